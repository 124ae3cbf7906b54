/* numa-runtime: the placement written into the container's spec — its
   cpuset, mems and NUMA_NODE (the memory policy is mempolicy.c's, the
   seccomp rule seccomp_edit.c's).  */
#ifndef NR_SPEC_EDIT_H
#define NR_SPEC_EDIT_H

#include "error.h"
#include "json.h"
#include "placement.h"

/* Set linux.resources.cpu.cpus and .mems (creating the objects as needed;
   a cpuset or mems kubelet wrote stays when the placement keeps it) and
   NUMA_NODE in process.env (replacing an existing one).  */
int nr_apply_placement (yajl_val spec, const struct nr_placement *placement, nr_error_t *err);

/* The value of the last NAME=... in SPEC's process.env (runc hands the
   list to execve as it is, and nr_apply_placement keeps only the last),
   or NULL.  Borrowed from SPEC.  */
const char *nr_spec_env (yajl_val spec, const char *name);

#endif
