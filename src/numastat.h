/* numa-runtime: reading a cgroup's memory.numa_stat — how many bytes of
   its memory the kernel holds on each NUMA node.  A pure parser (no I/O):
   cgroup.c reads the file, the fuzzer feeds it anything.  */
#ifndef NR_NUMASTAT_H
#define NR_NUMASTAT_H

#include "cpuset.h"
#include "error.h"

#include <stddef.h>
#include <stdint.h>

/* The kernel's MAX_NUMNODES at its largest (NODES_SHIFT 10): a node
   number at or above it is garbage, not a node.  */
#define NR_NUMASTAT_MAX_NODES 1024

/* Longest memory.numa_stat we read: a v2 file has ~20 keys of one
   "N<node>=<bytes>" field per node, ~30 bytes each; 64 KiB covers 100
   nodes with room to spare.  */
#define NR_NUMASTAT_MAX_SIZE (64 * 1024)

struct nr_numastat
{
  nr_set_t nodes;                        /* the nodes the file listed */
  uint64_t bytes[NR_NUMASTAT_MAX_NODES]; /* per node, 0 when not listed */
  uint64_t total;                        /* the sum over NODES */
};

/* Parse TEXT (LEN bytes, no NUL needed) into OUT.  Both forms:
   - cgroup v2, bytes: "anon N0=4096 N1=0" ...; memory is anon + file
     (the kernel's "file" already holds shmem: tmpfs, shm and shared
     anonymous pages are page cache; adding "shmem" would count them
     twice);
   - cgroup v1, pages of PAGE_SIZE bytes: "total=12 N0=10 N1=2" ...;
     memory is hierarchical_total (the cgroup and its children, as v2
     counts), else total.
   A file with neither key, a node listed twice, a number that is not
   one, or a sum that overflows is an error.  */
int nr_numastat_parse (const char *text, size_t len, uint64_t page_size, struct nr_numastat *out,
                       nr_error_t *err);

#endif
