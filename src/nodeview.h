/* numa-runtime: one NUMA node as the reporting commands (status, metrics,
   topology --nrt) show it — the topology, the config's reservations and
   what the ledger holds there — computed in one place so that the three
   agree.  */
#ifndef NR_NODEVIEW_H
#define NR_NODEVIEW_H

#include "conf.h"
#include "ledger.h"
#include "topology.h"

#include <stdbool.h>
#include <stdint.h>

struct nr_node_view
{
  const struct nr_node *node; /* points into the topology */
  struct nr_node_usage usage; /* what the ledger holds on it */
  nr_set_t reserved_cpus;     /* the config's reserved CPUs on this node */
  int64_t memory_reserved;    /* the config's reservation, at most the total */
  int64_t memory_free;        /* total - reserved - allocated, never below 0 */
  bool has_cpu;               /* the topology's: node/has_cpu lists it */
  int memory_tier;            /* the topology's: memory_tierN holding it, -1 when unknown */
};

/* Fill VIEWS[i] for each TOPO->nodes[i].  LEDGER NULL: nothing held.  */
void nr_node_views_fill (const struct nr_topology *topo, struct nr_ledger *ledger,
                         const struct nr_config *config, struct nr_node_view *views);

/* Bytes of hugepages of SIZE_KB on node ID (nr_hugepages x size) into
 *BYTES; -1 when the kernel has no pool of that size there.  */
int nr_node_hugepages_of_size (const char *sysfs_root, int id, uint64_t size_kb, uint64_t *bytes);

#endif
