/* numa-runtime: libnuma's view of this host as a cross-check of the
   topology we read from sysfs.  */
#ifndef NR_NUMA_CHECK_H
#define NR_NUMA_CHECK_H

#include "topology.h"

enum nr_numa_check
{
  NR_NUMA_CHECK_SKIPPED,     /* the topology is a fixture tree, not this kernel's */
  NR_NUMA_CHECK_UNAVAILABLE, /* libnuma says the kernel has no NUMA API */
  NR_NUMA_CHECK_AGREES,
  NR_NUMA_CHECK_DIFFERS,
};

/* Compare TOPO, read from SYSFS_ROOT, with what libnuma reads for this
   kernel: every node of TOPO must be one libnuma knows (numa_max_node),
   and each pair's SLIT distance must be libnuma's numa_distance.  Only
   done when SYSFS_ROOT is /sys.  On NR_NUMA_CHECK_DIFFERS, *WHY (caller
   frees) says where.  */
enum nr_numa_check nr_numa_cross_check (const char *sysfs_root, const struct nr_topology *topo,
                                        char **why);

/* "skipped", "unavailable", "agrees", "differs".  */
const char *nr_numa_check_name (enum nr_numa_check check);

#endif
