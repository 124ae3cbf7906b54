/* numa-runtime: the placement decision — a pure function of the host's
 * topology, what the ledger says is taken, what the container needs, its
 * pod and the configuration.  No I/O here, so every rule is unit-tested
 * without root.
 *
 * The rules, in order:
 *  1. A cpuset kubelet already wrote is kept (kubelet_cpuset = respect);
 *     its nodes are derived from it.
 *  2. Nodes named by annotation, or the nodes of the container's pod, are
 *     where it goes — unless its devices sit elsewhere: then the pod moves
 *     to its devices' node(s), its entries re-placed there
 *     (placement_pod.c), under every policy when the whole pod fits there
 *     (single-numa-node: on one node); where it does not, restricted and
 *     single-numa-node refuse and best-effort stays with a warning.
 *  3. Device hints: the node holding every hinted device; devices on
 *     several nodes: exactly those nodes, CPUs from each in proportion to
 *     its devices (refused under single-numa-node; not fitting there,
 *     refused under restricted, the nodes holding most of them under
 *     best-effort).
 *  4. Capacity: among those nodes, one where the container fits (CPUs,
 *     memory, hugepages, exclusive CPUs, after reservations and ledger
 *     allocations) with the most headroom; ties to the less loaded, then
 *     the lower id.
 *  5. Too big for one node (or asked to span N nodes): the closest set of
 *     nodes by SLIT distance that fits.  Nothing fits: refused under
 *     restricted/single-numa-node, the least-loaded node with a warning
 *     under best-effort.  */
#ifndef NR_PLACEMENT_H
#define NR_PLACEMENT_H

#include "conf.h"
#include "counters.h"
#include "cpuset.h"
#include "error.h"
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

/* Decide where IN->req goes.  Fails, with a message naming what was asked
   and what each node could offer, only when the policy forbids every
   possibility.  */
int nr_place (const struct nr_placement_input *in, struct nr_placement *out, nr_error_t *err);

void nr_placement_free (struct nr_placement *placement);

/* What one node offers a container, as nr_place counts it (for
   `explain`).  */
struct nr_node_offer
{
  int node;
  bool usable;          /* it has CPUs containers may use */
  int64_t cpu_capacity; /* milli-CPUs, less reserved CPUs */
  int64_t cpu_free;     /* milli-CPUs, less what the ledger holds */
  int64_t mem_free;     /* bytes, less reservation and ledger */
  int64_t huge_free;    /* bytes of hugepages */
  int exclusive_free;   /* CPUs that could still be held exclusively */
  int hints;            /* the container's device hints on it */
  int64_t tier_free;    /* memory-only nodes' free memory in its domain */
};

/* OFFERS[i]: what IN->topo->nodes[i] offers IN->req.  No I/O.  */
void nr_placement_offers (const struct nr_placement_input *in, struct nr_node_offer *offers);

/* Why nr_place put IN->req on OUT's nodes, in one sentence the caller
   frees: kubelet's choice, the annotation, its pod, its devices, its
   size, or free room.  No I/O.  */
char *nr_placement_reason (const struct nr_placement_input *in, const struct nr_placement *out);

/* How the create that placed REQ as P (nr_place succeeded) is counted
   (placement_explain.c).  */
enum nr_outcome nr_outcome_of (const struct nr_topology *topo, const struct nr_request *req,
                               enum nr_policy policy, const struct nr_placement *p);

/* ---- CPU selection (cpualloc.c) ---------------------------------------- */

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
