/* numa-runtime: where a placed container's memory is, by the kernel's
   own count (its cgroup's memory.numa_stat), and how much of it is on the
   nodes it was given.  */
#ifndef NR_RESIDENCY_H
#define NR_RESIDENCY_H

#include "enforced.h"
#include "numastat.h"

#include <stdbool.h>
#include <yajl/yajl_gen.h>

struct nr_residency
{
  bool known;              /* memory.numa_stat was read */
  struct nr_numastat stat; /* bytes per node */
  uint64_t local;          /* bytes on the entry's mems (nodes plus tier nodes) */
};

/* Measure E into OUT.  A container whose cgroup is gone (or was never
   found) leaves OUT->known false and returns 0; an unreadable or garbled
   numa_stat returns -1 with *ERR naming the file.  */
int nr_residency_measure (const struct nr_enforced_ctx *ctx, const struct nr_ledger_entry *e,
                          struct nr_residency *out, nr_error_t *err);

/* LOCAL / total as 0..1 in *RATIO; false when there is nothing to divide
   (not known, or no memory at all).  */
bool nr_residency_ratio (const struct nr_residency *r, double *ratio);

/* Write into the object G has open "memory_by_node" (node -> bytes; {}
   when not known) and "local_ratio" (0..1, or null).  */
void nr_residency_gen_json (yajl_gen g, const struct nr_residency *r);

#endif
