/* numa-runtime: per-pod control through annotations under the
   `numa-runtime.io/` prefix
   (containerd passes pod annotations into config.json when the runtime
   handler lists them in `pod_annotations`).
 *
 *   numa-runtime.io/policy          none | best-effort | restricted | single-numa-node
 *   numa-runtime.io/nodes           node list, e.g. "1" or "0-1"
 *   numa-runtime.io/numa-nodes      how many nodes to span, 1..64
 *   numa-runtime.io/spread          pack | distribute
 *   numa-runtime.io/cpu-allocation  shared | exclusive
 *   numa-runtime.io/memory-policy   bind | preferred | interleave
 *   numa-runtime.io/topology-view   host | container (topology_view.h)
 *   numa-runtime.io/disable         "true": leave the container alone
 *
 * Two keys of the topology-aware scheduling guide are aliases, read when
 * the numa-runtime.io/ key is absent:
 *   kubernetes.io/topology-policy   = numa-runtime.io/policy
 *   cpu-set.kubernetes.io/numa-node = numa-runtime.io/nodes
 *
 * The admin bounds them in the config's [annotations] section.  Values are
 * only ever parsed into numbers, sets and enums: nothing from an annotation
 * reaches a shell, a path or the runtime's argv.  */
#ifndef NR_ANNOTATIONS_H
#define NR_ANNOTATIONS_H

#include "conf.h"
#include "error.h"
#include "json.h"
#include "request.h"

#define NR_ANNOTATION_PREFIX "numa-runtime.io/"
#define NR_ANNOTATION_POLICY_ALIAS "kubernetes.io/topology-policy"
#define NR_ANNOTATION_NODES_ALIAS "cpu-set.kubernetes.io/numa-node"

/* Largest numa-runtime.io/numa-nodes accepted.  */
#define NR_ANNOTATION_MAX_SPAN 64

/* The env variable that, already in the spec, is a pin request.  */
#define NR_ENV_PIN_NAME "NUMA_NODE"

/* Read the annotations of SPEC (document root) into the override fields of
   REQ (opt_out, has_policy/policy, nodes_wanted/pinned_by, span,
   has_spread/spread, has_exclusive/exclusive, has_mpol/mpol), leaving its
   other fields alone.  Then NUMA_NODE in process.env, as a device plugin
   puts it there: a pin request (pin_from_env) when no nodes annotation
   asked for nodes, under [annotations] numa_node_env and allowed_nodes.
   EFFECTIVE_POLICY is the configured policy: it is the base that
   `allow_weaker_policy` protects, and under restricted or single-numa-node
   (or when an accepted annotation asks for one of those) a malformed or
   forbidden value is an error; otherwise it is logged as a warning and
   ignored.  Returns 0, or -1 with *ERR filled.  */
int nr_annotations_read (yajl_val spec, const struct nr_config *config,
                         enum nr_policy effective_policy, struct nr_request *req, nr_error_t *err);

#endif
