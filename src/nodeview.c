/* numa-runtime: a node as the reporting commands show it.  See
   nodeview.h.  */
#include <config.h>

#include "nodeview.h"
#include "util.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
nr_node_views_fill (const struct nr_topology *topo, const struct nr_ledger *ledger,
                    const struct nr_config *config, struct nr_node_view *views)
{
  for (int i = 0; i < topo->n_nodes; i++)
    {
      struct nr_node_view *v = &views[i];
      int64_t total = (int64_t) topo->nodes[i].memory_total;

      memset (v, 0, sizeof (*v));
      v->node = &topo->nodes[i];
      v->usage.node = v->node->id;
      if (ledger)
        nr_ledger_usage (ledger, v->node->id, &v->usage);
      v->reserved_cpus = v->node->cpus;
      nr_set_intersect (&v->reserved_cpus, &config->reserved_cpus);
      v->memory_reserved = config->reserved_memory < total ? config->reserved_memory : total;
      v->memory_free = total - v->memory_reserved - v->usage.memory;
      if (v->memory_free < 0)
        v->memory_free = 0;
      v->has_cpu = ! nr_set_is_empty (&v->node->cpus);
      v->memory_tier = -1;
    }
}

static bool
read_list (const char *path, nr_set_t *out)
{
  char buf[4096];

  return read_small_file (path, buf, sizeof (buf)) == 0 && nr_set_parse (buf, out, NULL) == 0;
}

void
nr_node_views_sysfs (const char *sysfs_root, const struct nr_topology *topo,
                     struct nr_node_view *views)
{
  cleanup_free char *has_cpu_path = xasprintf ("%s/devices/system/node/has_cpu", sysfs_root);
  cleanup_free char *tiers_path = xasprintf ("%s/devices/virtual/memory_tiering", sysfs_root);
  nr_set_t with_cpu;
  struct dirent *de;
  DIR *dir;

  if (read_list (has_cpu_path, &with_cpu))
    for (int i = 0; i < topo->n_nodes; i++)
      views[i].has_cpu = nr_set_has (&with_cpu, topo->nodes[i].id);
  dir = opendir (tiers_path);
  while (dir && (de = readdir (dir)) != NULL)
    {
      cleanup_free char *list_path = NULL;
      nr_set_t nodes;
      int tier;

      if (sscanf (de->d_name, "memory_tier%d", &tier) != 1 || tier < 0)
        continue;
      list_path = xasprintf ("%s/%s/nodelist", tiers_path, de->d_name);
      if (! read_list (list_path, &nodes))
        continue;
      for (int i = 0; i < topo->n_nodes; i++)
        if (nr_set_has (&nodes, topo->nodes[i].id))
          views[i].memory_tier = tier;
    }
  if (dir)
    closedir (dir);
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
