/* numa-runtime: the dies and clusters of a node's CPUs, as the kernel
 * shows them (cpuN/topology/die_cpus_list, cluster_cpus_list), for
 * `topology` to report.  Placement does not use them: the last-level cache
 * groups (cpu_groups.c) already are the unit that matters for exclusive
 * CPUs, and a die or cluster that equals a node, a package or a core says
 * nothing more; so only a domain that is smaller than the node and holds
 * more than one core is listed.  Read on demand, not cached: only
 * `topology` asks.  */
#include <config.h>

#include "topology.h"
#include "util.h"

#include <stdlib.h>

/* Does DOMAIN hold CPUs of more than one core?  */
static bool
holds_cores (const struct nr_topology *topo, const nr_set_t *domain)
{
  int first = nr_set_next (domain, 0);

  if (topo->core_leader == NULL)
    return nr_set_count (domain) > 1;
  for (int c = first; c >= 0 && c < topo->n_cpu_slots; c = nr_set_next (domain, c + 1))
    if (topo->core_leader[c] != topo->core_leader[first])
      return true;
  return false;
}

int
nr_cpu_domains_read (const char *sysfs_root, const struct nr_topology *topo, int i,
                     const char *list_name, nr_set_t **domains)
{
  const nr_set_t *node_cpus = &topo->nodes[i].cpus;
  nr_set_t covered;
  int n = 0;

  *domains = NULL;
  nr_set_clear (&covered);
  for (int c = nr_set_next (node_cpus, 0); c >= 0; c = nr_set_next (node_cpus, c + 1))
    {
      cleanup_free char *path =
          xasprintf ("%s/devices/system/cpu/cpu%d/topology/%s", sysfs_root, c, list_name);
      char buf[8192];
      nr_set_t domain;

      if (nr_set_has (&covered, c))
        continue;
      if (read_small_file (path, buf, sizeof (buf)) < 0 || nr_set_parse (buf, &domain, NULL) < 0)
        break; /* the kernel does not give this level */
      nr_set_intersect (&domain, node_cpus);
      nr_set_add (&domain, c);
      nr_set_union (&covered, &domain);
      if (nr_set_equal (&domain, node_cpus) || ! holds_cores (topo, &domain))
        continue;
      *domains = xrealloc (*domains, (size_t) (n + 1) * sizeof (nr_set_t));
      (*domains)[n++] = domain;
    }
  return n;
}
