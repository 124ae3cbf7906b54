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
 *     the lower id.  Exclusive CPUs on cache groups: the node holding them
 *     in the fewest groups, then the fullest.  shared_nodes = gather: a
 *     shared container, while exclusive ones hold CPUs, takes a node whose
 *     pool has sharers first, else the one with the fewest CPUs left to
 *     hold exclusively.
 *  5. Too big for one node (or asked to span N nodes): the closest set of
 *     nodes by SLIT distance that fits.  Nothing fits: refused under
 *     restricted/single-numa-node, the least-loaded node with a warning
 *     under best-effort.  */
#ifndef NR_PLACEMENT_H
#define NR_PLACEMENT_H

#include "counters.h"
#include "cpualloc.h"
#include "error.h"
#include "placement_types.h"

/* Decide where IN->req goes.  Fails, with a message naming what was asked
   and what each node could offer, only when the policy forbids every
   possibility.  */
int nr_place (const struct nr_placement_input *in, struct nr_placement *out, nr_error_t *err);

void nr_placement_free (struct nr_placement *placement);
void cleanup_placementp (struct nr_placement *placement);
#define cleanup_placement __attribute__ ((cleanup (cleanup_placementp)))

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

#endif
