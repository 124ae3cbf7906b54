/* numa-runtime: the counters kept in the ledger's index.  See counters.h.  */
#include <config.h>

#include "counters.h"
#include "json.h"

#include <string.h>

static const char *const outcome_names[NR_OUTCOMES] = {
  [NR_OUTCOME_PLACED] = "placed",     [NR_OUTCOME_DEVICE_ALIGNED] = "device_aligned",
  [NR_OUTCOME_SPANNED] = "spanned",   [NR_OUTCOME_TIER_SPILL] = "tier_spill",
  [NR_OUTCOME_FALLBACK] = "fallback", [NR_OUTCOME_POD_MOVED] = "pod_moved",
  [NR_OUTCOME_REFUSED] = "refused",
};

const char *
nr_outcome_name (enum nr_outcome outcome)
{
  return outcome < NR_OUTCOMES ? outcome_names[outcome] : "unknown";
}

enum nr_outcome
nr_outcome_of (const struct nr_topology *topo, const struct nr_request *req, enum nr_policy policy,
               const struct nr_placement *p)
{
  bool aligned = req->n_hints > 0;
  nr_set_t beyond = p->mems;

  if (p->n_moved > 0)
    return NR_OUTCOME_POD_MOVED;
  /* Memory charged on a memory-only node: spilled to a lower tier.  */
  nr_set_subtract (&beyond, &p->nodes);
  if (p->memory_local < p->memory)
    for (int n = nr_set_next (&beyond, 0); n >= 0; n = nr_set_next (&beyond, n + 1))
      {
        int i = nr_topology_index (topo, n);
        if (i >= 0 && ! topo->nodes[i].has_cpu)
          return NR_OUTCOME_TIER_SPILL;
      }
  if (nr_set_count (&p->nodes) > 1)
    return NR_OUTCOME_SPANNED;
  if (policy == NR_POLICY_BEST_EFFORT && p->warning != NULL)
    return NR_OUTCOME_FALLBACK;
  for (size_t h = 0; h < req->n_hints; h++)
    if (! nr_set_has (&p->nodes, req->hints[h].node))
      aligned = false;
  return aligned ? NR_OUTCOME_DEVICE_ALIGNED : NR_OUTCOME_PLACED;
}
