/* numa-runtime: let a container refine its memory placement.
 *
 * Docker's and containerd's default seccomp profiles allow mbind,
 * set_mempolicy, get_mempolicy and set_mempolicy_home_node only to a
 * container holding CAP_SYS_NICE; without it `numactl --membind` and
 * libnuma-aware programs fail with EPERM even inside the cpuset they were
 * given.  These calls cannot reach memory outside the container's
 * cpuset.mems, so numa-runtime allows them.  */
#ifndef NR_SECCOMP_EDIT_H
#define NR_SECCOMP_EDIT_H

#include "error.h"
#include "json.h"

#include <stdbool.h>

/* When SPEC (document root) has a linux.seccomp profile whose
   defaultAction blocks (anything but SCMP_ACT_ALLOW and SCMP_ACT_LOG), no
   rule already allows one of the memory policy syscalls, and the container
   lacks CAP_SYS_NICE (process.capabilities bounding and effective), append
   one rule {"names":[...],"action":"SCMP_ACT_ALLOW"} to linux.seccomp.
   syscalls.  It names the calls libseccomp resolves on at least one
   architecture the profile lists (the native one when it lists none) and
   that no existing rule names; nothing else in the profile changes.
   Returns 1 when it added the rule, 0 when the spec is unchanged.  A
   profile too malformed to read is left alone, for the runtime to reject.  */
int nr_seccomp_allow_mempolicy (yajl_val spec, nr_error_t *err);

/* The same for the NULL-terminated list NAMES (for tests).  */
int nr_seccomp_allow_syscalls (yajl_val spec, const char *const *names, nr_error_t *err);

#endif
