/* numa-runtime: write a placement into the container's spec.  */
#ifndef NR_APPLY_H
#define NR_APPLY_H

#include "error.h"
#include "json.h"
#include "placement.h"

/* Set linux.resources.cpu.cpus and .mems (creating the objects as needed;
   a cpuset or mems kubelet wrote stays when the placement keeps it) and
   NUMA_NODE in process.env (replacing an existing one).  */
int nr_apply_placement (yajl_val spec, const struct nr_placement *placement, nr_error_t *err);

#endif
