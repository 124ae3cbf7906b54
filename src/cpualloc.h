/* numa-runtime: which CPUs of a set to hand out (cpualloc.c): whole cache
   groups and whole cores first.  No I/O.  */
#ifndef NR_CPUALLOC_H
#define NR_CPUALLOC_H

#include "cpuset.h"
#include "topology.h"

/* Pick COUNT CPUs out of AVAILABLE: whole cache groups (TOPO->llc), else
   the fewest groups, best fit first; whole cores (TOPO->thread_siblings
   when loaded), lowest numbers first; never a CPU of a core of which HELD
   (CPUs other containers hold exclusively; may be NULL) has a part.
   Returns the number picked (less than COUNT when AVAILABLE is short).  */
int nr_pick_cpus (const struct nr_topology *topo, const nr_set_t *available, const nr_set_t *held,
                  int count, nr_set_t *picked);

/* How many cache groups nr_pick_cpus would draw COUNT CPUs from (counting
   CPUs, not whole cores: a ranking of nodes, not a promise); 0 when
   AVAILABLE is short.  */
int nr_count_groups (const struct nr_topology *topo, const nr_set_t *available,
                     const nr_set_t *held, int count);

#endif
