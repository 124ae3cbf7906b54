/* numa-runtime: the container's NUMA memory policy.
 *
 * Two ways to hand it to the container:
 *   - the OCI runtime-spec v1.3 field linux.memoryPolicy, for a runtime
 *     whose `features` output lists linux.memoryPolicy (runc >= 1.5,
 *     crun >= 1.24): the runtime applies it inside the container's init;
 *   - set_mempolicy(2) on ourselves just before exec'ing an older runtime:
 *     the policy is inherited across fork and kept across execve, so runc,
 *     `runc init` and the container's process all start with it.  */
#ifndef NR_MEMPOLICY_H
#define NR_MEMPOLICY_H

#include "conf.h"
#include "cpuset.h"
#include "error.h"
#include "json.h"
#include "mpol_modes.h"
#include "placement.h"
#include "request.h"

#include <stdbool.h>

/* The mode create uses: the pod's memory-policy annotation, else
   interleave when placement spread the container over several nodes in
   distribute mode (DISTRIBUTED, placement's `interleave`), else [memory]
   policy.  */
enum nr_mpol nr_mempolicy_choose (const struct nr_config *config, const struct nr_request *req,
                                  bool distributed);

/* Set linux.memoryPolicy of SPEC to MODE over NODES with
   MPOL_F_STATIC_NODES, e.g.
   {"mode":"MPOL_BIND","nodes":"1","flags":["MPOL_F_STATIC_NODES"]}: the
   runtime sets the policy before the container joins its cpuset, and
   without the flag the kernel remaps the nodes by their position in the
   old and new cpuset (nodes 0,2 of 0-3 become 0 of 0,2).  NODES must not
   be empty.  */
int nr_mempolicy_write_spec (yajl_val spec, enum nr_mpol mode, const nr_set_t *nodes,
                             nr_error_t *err);

/* set_mempolicy(2) MODE over NODES for this process, to be inherited by
   the runtime we exec next.  Fails when NODES are not all among the nodes
   this process may use (its cpuset), or when the kernel refuses.  */
int nr_mempolicy_apply_self (enum nr_mpol mode, const nr_set_t *nodes, nr_error_t *err);

/* How create hands over the memory policy.  */
struct nr_mempolicy_plan
{
  bool apply_self; /* set_mempolicy before exec'ing the runtime */
  enum nr_mpol mode;
  nr_set_t nodes;
};

/* Decide the memory policy of the container of SPEC over PLACEMENT's nodes
   (kubelet's mems when it kept them): when
   the spec already has linux.memoryPolicy, leave it; when RUNTIME takes the
   chosen mode in linux.memoryPolicy, write it there; otherwise plan
   set_mempolicy on ourselves, but only when the topology is this kernel's
   ([topology] sysfs_root = /sys): a fixture tree's nodes mean nothing to
   the kernel.  The features answer is cached in the ledger's directory.  */
int nr_mempolicy_prepare (yajl_val spec, const struct nr_config *config, const char *runtime,
                          const struct nr_request *req, const struct nr_placement *placement,
                          struct nr_mempolicy_plan *plan, nr_error_t *err);

/* Carry out PLAN just before exec'ing the runtime.  A failure is logged as
   a warning and otherwise ignored: the runtime still confines the
   container's memory to its nodes through cpuset.mems; the policy only
   refines how it is spread and preferred.  */
void nr_mempolicy_finish (const struct nr_mempolicy_plan *plan, const char *id);

#endif
