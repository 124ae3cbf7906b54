/* numa-runtime: libnuma's view of this host as a cross-check of ours.
 *
 * numa-runtime reads the topology from sysfs itself, because a fixture
 * tree must be able to stand in for /sys ([topology] sysfs_root) in tests
 * and on hosts being planned for.  libnuma reads the same kernel files
 * its own way; on the real /sys the two must agree, and `status` says
 * whether they do.  See numa_check.h.  */
#include <config.h>

#include "numa_check.h"
#include "util.h"

#include <numa.h>
#include <string.h>

enum nr_numa_check
nr_numa_cross_check (const char *sysfs_root, const struct nr_topology *topo, char **why)
{
  int max_node;

  *why = NULL;
  if (strcmp (sysfs_root, "/sys") != 0)
    return NR_NUMA_CHECK_SKIPPED;
  if (numa_available () < 0)
    return NR_NUMA_CHECK_UNAVAILABLE;
  max_node = numa_max_node ();
  for (int i = 0; i < topo->n_nodes; i++)
    {
      int a = topo->nodes[i].id;
      if (a > max_node)
        {
          *why = xasprintf ("node %d is beyond libnuma's highest node %d", a, max_node);
          return NR_NUMA_CHECK_DIFFERS;
        }
      for (int j = 0; j < topo->n_nodes; j++)
        {
          int b = topo->nodes[j].id;
          int ours = nr_topology_distance (topo, i, j);
          int theirs = numa_distance (a, b);
          /* 0: libnuma could not tell (no distance files); ours then holds
             the 10/20 defaults, nothing to compare.  */
          if (theirs != 0 && theirs != ours)
            {
              *why = xasprintf ("distance from node %d to node %d: %d in sysfs, %d from libnuma", a,
                                b, ours, theirs);
              return NR_NUMA_CHECK_DIFFERS;
            }
        }
    }
  return NR_NUMA_CHECK_AGREES;
}

const char *
nr_numa_check_name (enum nr_numa_check check)
{
  switch (check)
    {
    case NR_NUMA_CHECK_SKIPPED:
      return "skipped";
    case NR_NUMA_CHECK_UNAVAILABLE:
      return "unavailable";
    case NR_NUMA_CHECK_AGREES:
      return "agrees";
    case NR_NUMA_CHECK_DIFFERS:
    default:
      return "differs";
    }
}
