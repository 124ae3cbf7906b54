/* numa-runtime: a node as the reporting commands show it.  See
   nodeview.h.  */
#include <config.h>

#include "nodeview.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
nr_node_views_fill (const struct nr_topology *topo, struct nr_ledger *ledger,
                    const struct nr_config *config, struct nr_node_view *views)
{
  int end = nr_topology_cpu_end (topo);

  for (int i = 0; i < topo->n_nodes; i++)
    {
      struct nr_node_view *v = &views[i];
      int64_t total = (int64_t) topo->nodes[i].memory_total;

      memset (v, 0, sizeof (*v));
      v->node = &topo->nodes[i];
      v->usage.node = v->node->id;
      if (ledger)
        nr_ledger_usage (ledger, v->node->id, &v->usage);
      v->usage.load = nr_usage_load (&v->usage, &v->node->cpus, end);
      v->reserved_cpus = v->node->cpus;
      nr_set_intersect (&v->reserved_cpus, &config->reserved_cpus);
      v->memory_reserved = config->reserved_memory < total ? config->reserved_memory : total;
      v->memory_free = sat_sub (sat_sub (total, v->memory_reserved), v->usage.memory);
      if (v->memory_free < 0)
        v->memory_free = 0;
      v->has_cpu = v->node->has_cpu;
      v->memory_tier = v->node->tier;
    }
}

int
nr_node_hugepages_of_size (const char *sysfs_root, int id, uint64_t size_kb, uint64_t *bytes)
{
  cleanup_free char *path =
      xasprintf ("%s/devices/system/node/node%d/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages",
                 sysfs_root, id, size_kb);
  char buf[64];

  *bytes = 0;
  if (read_small_file (path, buf, sizeof (buf)) < 0)
    return -1;
  *bytes = strtoull (buf, NULL, 10) * size_kb * 1024;
  return 0;
}
