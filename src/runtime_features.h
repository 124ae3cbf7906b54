/* numa-runtime: what the real runtime can do, from `RUNTIME features`,
   cached on disk per runtime binary.  */
#ifndef NR_RUNTIME_FEATURES_H
#define NR_RUNTIME_FEATURES_H

#include "error.h"

#include <stdbool.h>

/* In a modes mask: the runtime also takes MPOL_F_STATIC_NODES in
   linux.memoryPolicy.flags (bit 15, where the kernel keeps that flag; no
   mode uses it).  */
#define NR_MPOL_STATIC_NODES_KNOWN (1u << 15)

/* Which memory policy modes RUNTIME accepts in linux.memoryPolicy, as a
   bit mask of (1u << MPOL_*), plus NR_MPOL_STATIC_NODES_KNOWN; 0 when it
   does not know the field.  Runs
   `RUNTIME features` once and remembers the answer in
   CACHE_DIR/runtime-features, keyed by the binary's identity (device,
   inode, size, mtime), so an upgraded runtime is asked again.  CACHE_DIR
   may be NULL (no cache).  Fails only when RUNTIME cannot be run or does
   not answer in time.  */
int nr_runtime_memory_policy_modes (const char *runtime, const char *cache_dir, unsigned *modes,
                                    nr_error_t *err);

/* *OUT: RUNTIME accepts linux.memoryPolicy with every mode numa-runtime
   writes (bind, preferred, preferred-many, interleave).  */
int nr_runtime_supports_memory_policy (const char *runtime, const char *cache_dir, bool *out,
                                       nr_error_t *err);

#endif
