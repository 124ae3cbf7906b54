/* numa-runtime: what numa-runtime did since boot — creates by outcome and
   policy, deletes, reclaims, ledger set-asides and rebuilds.  Kept in the
   ledger's index (a "counters" object), written by the commit the change
   it counts makes anyway, so that a short-lived process can add to them
   and `metrics` can read them.  */
#ifndef NR_COUNTERS_H
#define NR_COUNTERS_H

#include "conf.h"

#include <stdint.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* How a create ended.  One outcome per create, the first that applies in
   this order: refused; its pod moved to its devices' node(s); memory on
   a node without CPUs (a memory tier);
   several nodes; a compromise under best-effort; every device hint on
   the chosen node; one node.  */
enum nr_outcome
{
  NR_OUTCOME_PLACED,         /* one node */
  NR_OUTCOME_DEVICE_ALIGNED, /* one node, holding every device it hints at */
  NR_OUTCOME_SPANNED,        /* several nodes */
  NR_OUTCOME_TIER_SPILL,     /* its memory goes to a node without CPUs */
  NR_OUTCOME_FALLBACK,       /* best-effort placed it where it does not fit */
  NR_OUTCOME_POD_MOVED,      /* its pod moved to its devices' node(s) with it */
  NR_OUTCOME_REFUSED,        /* placement refused it (restricted, single-numa-node) */
  NR_OUTCOMES
};

#define NR_POLICIES (NR_POLICY_SINGLE_NUMA_NODE + 1)

struct nr_counters
{
  uint64_t creates[NR_OUTCOMES][NR_POLICIES];
  uint64_t deletes;        /* entries released by delete or the poststop hook */
  uint64_t reclaims;       /* entries released because their container was gone */
  uint64_t set_asides;     /* unreadable ledgers kept aside */
  uint64_t rebuilds;       /* ledgers rebuilt from the runtime's state */
  uint64_t migrated_bytes; /* memory `rebalance` moved home */
};

/* "placed", "device_aligned", ...: the label value.  */
const char *nr_outcome_name (enum nr_outcome outcome);

/* The counters as the index's "counters" member (key included), and
   back (zeroes when absent; unknown names are ignored).  */
void nr_counters_gen (yajl_gen g, const struct nr_counters *c);
void nr_counters_read (yajl_val doc, struct nr_counters *c);

#endif
