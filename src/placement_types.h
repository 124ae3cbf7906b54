/* numa-runtime: what placement takes and gives (placement.h decides;
   the placement files below it fill these).  */
#ifndef NR_PLACEMENT_TYPES_H
#define NR_PLACEMENT_TYPES_H

#include "conf.h"
#include "cpuset.h"
#include "ledger.h"
#include "request.h"
#include "topology.h"

struct nr_placement_input
{
  const struct nr_topology *topo;
  /* usage[i] is what the ledger holds on topo->nodes[i].  */
  const struct nr_node_usage *usage;
  const struct nr_request *req;
  const struct nr_config *config;
  nr_set_t pod_nodes; /* nodes the container's pod holds; empty: none yet */
  bool pod_reserved;  /* the pod's sandbox entry already charges its resources */
  /* Taken outside the ledger by kubelet's static CPU and Memory Managers
     (kubelet_state.h reads them): never handed out, shared or exclusive.
     KUBELET_MEMORY and KUBELET_HUGEPAGES are per topo->nodes[i], bytes;
     NULL: none.  */
  nr_set_t kubelet_cpus;
  const int64_t *kubelet_memory;
  const int64_t *kubelet_hugepages;
  /* kubelet's static CPU policy hands out exclusive CPUs itself (from
     CPUs that include ours): numa-runtime holds none then, refusing under
     restricted and single-numa-node, sharing the pool with a warning
     under best-effort.  */
  bool kubelet_static_cpus;
  /* The pod's entries (sandbox, containers already created): what moves
     when the container's devices sit off POD_NODES.  None given: the pod
     cannot move, and the container follows it.  */
  const struct nr_ledger_entry *pod_entries;
  size_t n_pod_entries;
};

struct nr_placement
{
  nr_set_t nodes;     /* chosen CPU node(s): NUMA_NODE */
  nr_set_t mems;      /* nodes its memory may use: NODES plus tier nodes (NUMA_MEMORY_NODES) */
  nr_set_t cpus;      /* cpuset to write */
  nr_set_t exclusive; /* CPUs held exclusively (subset of cpus) */
  bool keep_cpus;     /* the spec's cpus stay as they are (kubelet's) */
  bool keep_mems;     /* the spec's mems stay as they are (kubelet's) */
  bool interleave;    /* distribute mode: interleave memory over nodes */
  /* What the ledger entry charges on its nodes.  */
  int64_t load; /* milli-CPUs of room it takes */
  int64_t millicpus;
  int64_t memory;
  int64_t hugepages;
  /* Bytes of MEMORY charged on NODES (evenly); the rest is charged on the
     tier nodes (MEMS minus NODES), evenly.  Equal to MEMORY when MEMS is
     NODES.  */
  int64_t memory_local;
  enum nr_tiers tiers;               /* memory-tiers mode applied */
  bool tier_interleave;              /* tiers = interleave over MEMS: (weighted) interleave */
  bool weighted;                     /* WEIGHTS hold a weight for every node of MEMS */
  unsigned char weights[NR_SET_MAX]; /* per node id, for MPOL_WEIGHTED_INTERLEAVE */
  char *warning;                     /* a compromise worth logging, or NULL; owned */
  /* The pod moved to NODES: each of IN->pod_entries re-placed there (same
     ids), for the ledger and the runtime's `update`; owned.  */
  struct nr_ledger_entry *moved;
  size_t n_moved;
};

#endif
