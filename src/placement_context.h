/* numa-runtime: what the placement files share.  From the bottom up:
   placement_context.c (rooms' CPU sets, warnings, strictness),
   placement_llc.c, placement_tiers.c, placement_choose.c,
   placement_explain.c, placement_rooms.c (demand and rooms),
   placement_cpus.c (CPUs and charge of the chosen nodes), placement_pod.c,
   and placement.c (the rules) on top; none calls a file above it.  */
#ifndef NR_PLACEMENT_CONTEXT_H
#define NR_PLACEMENT_CONTEXT_H

#include "cpualloc.h"
#include "placement_types.h"
#include "resolve.h"

/* What one node can still offer this container.  */
struct node_room
{
  const struct nr_node *node;
  /* The CPU sets themselves (pool: the node's CPUs minus reserved ones;
     shared: pool minus CPUs held exclusively) are built only for the
     chosen nodes (room_pool, room_shared): 2 KiB a node otherwise.  */
  int n_shared;         /* |shared| */
  int64_t cpu_capacity; /* |pool| in milli-CPUs */
  int64_t cpu_free;     /* capacity minus the ledger's load */
  int64_t mem_capacity; /* bytes, less the reservation */
  int64_t mem_free;
  int64_t huge_free;
  int exclusive_free; /* CPUs that could still be given exclusively */
  bool sharers;       /* containers share its pool: one of its CPUs is kept for them */
  int hints;          /* device hints on this node */
  int64_t load;
  /* For a CPU node: memory free on the memory-only (tier) nodes nearest to
     it, its NUMA domain for admission (0 with tiers off).  For a tier
     node: the index of the CPU node whose domain it is in, else -1.  */
  int64_t tier_free;
  int owner;
  /* Cache groups the exclusive CPUs would take here (0: no exclusive
     demand, no groups, or they do not fit).  */
  int llc_needed;
};

/* What the container needs, as placement counts it.  */
struct demand
{
  int64_t millicpus; /* room it takes on its nodes */
  bool unlimited;    /* no CPU limit: takes a share, always fits */
  int64_t memory;
  int64_t hugepages;
  int exclusive; /* CPUs to hold exclusively; 0: shared pool */
  bool prepaid;  /* its pod's sandbox already charges CPU and memory */
  /* Exclusive CPUs its node(s) should have room for: EXCLUSIVE, or for
     the sandbox of a pod that will hold whole CPUs exclusively, the pod's
     (its containers follow it).  Chooses among nodes, never refuses.  */
  int exclusive_room;
};

struct context
{
  const struct nr_placement_input *in;
  struct nr_resolved resolved; /* policy, spread, tiers, exclusive CPUs in force */
  struct node_room *rooms;     /* per topo index */
  struct demand demand;
  nr_set_t hint_nodes;
  nr_set_t withheld_cpus;   /* never handed out: reserved_cpus, kubelet's, isolated */
  bool exclusive_withdrawn; /* exclusive CPUs asked for, kubelet's to give */
  bool by_devices;          /* on several nodes: CPUs in proportion to the devices on each */
  /* A shared container (resolved.gather_shared) on a machine where
     exclusive containers hold CPUs: nodes whose pool already has sharers
     come first (placement_choose_node).  */
  bool gather_shared;
};

/* Does node room R offer any CPU at all?  */
static inline bool
usable (const struct node_room *r)
{
  return r->cpu_capacity > 0;
}

/* ---- choosing nodes (placement_choose.c) ------------------------------- */

/* Does the container fit on the nodes of SET (topo indexes flagged)?  A
   CPU node and its memory-only nodes count as one domain.  */
bool placement_fits (const struct context *ctx, const nr_set_t *set);

/* The topo indexes of the usable nodes among node ids NODES.  */
void placement_nodes_to_index_set (const struct context *ctx, const nr_set_t *nodes, nr_set_t *idx);

/* The closest fitting set of exactly K nodes among CANDIDATES (topo
   indexes), preferring sets that hold every hinted node.  Returns false
   when none fits (or, with REQUIRE_FIT false, none exists).  */
bool placement_choose_set (const struct context *ctx, int k, const nr_set_t *candidates,
                           bool require_fit, nr_set_t *chosen);

/* The smallest fitting set of at least LEAST nodes among CANDIDATES: of
   the sets placement_choose_set would try, those of the smallest size
   that fits, the best of them as it ranks them.  Returns its size, 0 when
   no set fits.  */
int placement_choose_smallest_set (const struct context *ctx, const nr_set_t *candidates, int least,
                                   nr_set_t *chosen);

/* The fewest nodes of CANDIDATES whose room could hold the container,
   counting each kind of room (CPU, memory, hugepages, exclusive CPUs) on
   its own: no smaller set fits, so the search for a set starts there.
   More than the candidates' count when even all of them do not.  */
int placement_fewest_nodes (const struct context *ctx, const nr_set_t *candidates);

/* The best single node of CANDIDATES that fits (or any, without
   REQUIRE_FIT): the hinted node, then (gather_shared, fitting) a pool
   with sharers, else the fewest exclusive CPUs left; then headroom, load,
   lower index.  */
bool placement_choose_node (const struct context *ctx, const nr_set_t *candidates, bool require_fit,
                            nr_set_t *chosen);

/* ---- memory tiers (placement_tiers.c) ---------------------------------- */

/* Can node index I take memory only (a CPU-less node placement may use)?  */
bool placement_is_tier_node (const struct context *ctx, int i);

/* Fill rooms[].owner and rooms[].tier_free: each tier node goes to the
   domain of its nearest CPU node.  Linear in nodes x CPU nodes.  */
void placement_tier_domains (struct context *ctx);

/* Add the tier nodes to OUT (mems, memory_local, weights) for the CPU
   node set CHOSEN (topo indexes), as ctx->tiers says.  */
void placement_add_tiers (const struct context *ctx, const nr_set_t *chosen,
                          struct nr_placement *out);

/* ---- the shared helpers (placement_context.c) ------------------------ */

/* The CPUs containers may use on node index I, and those of them not held
   exclusively.  */
void room_pool (const struct context *ctx, int i, nr_set_t *pool);
void room_shared (const struct context *ctx, int i, nr_set_t *shared);

/* The node ids of topo index set IDX.  */
void placement_index_set_to_nodes (const struct context *ctx, const nr_set_t *idx, nr_set_t *nodes);

/* Append a warning (joined with "; ") to OUT.  */
void add_warning (struct nr_placement *out, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* restricted and single-numa-node refuse where best-effort compromises.  */
bool placement_strict (const struct context *ctx);

/* ---- demand and rooms (placement_rooms.c) ----------------------------- */

/* Fill CTX's demand, rooms (from CTX->in->usage) and tier domains.  */
void placement_prepare (struct context *ctx);

/* ---- CPUs of the chosen nodes (placement_cpus.c) ---------------------- */

/* Place the container on CHOSEN (topo indexes): nodes, CPUs, charge.  */
void placement_finish (const struct context *ctx, const nr_set_t *chosen, struct nr_placement *out);

/* Pick up to WANT CPUs of node index I for an entry holding them
   exclusively, no more than its room's exclusive_free.  Returns how many.  */
int placement_pick_exclusive (const struct context *ctx, int i, int want, nr_set_t *picked);

/* CPUs from each node of CHOSEN in proportion to the container's devices
   there.  False (OUT untouched) when that cannot be done.  */
bool placement_assign_by_devices (const struct context *ctx, const nr_set_t *chosen,
                                  struct nr_placement *out);

/* ---- pods and devices on several nodes (placement_pod.c) -------------- */

/* Rule 2's exception: the container's devices sit off its pod's nodes.
   Returns 1 when the pod stays (no device elsewhere, or best-effort and
   the pod does not fit there), 0 when it moved (OUT filled, OUT->moved
   holding the pod's entries re-placed), -1 when refused.  */
int placement_move_pod (const struct context *ctx, struct nr_placement *out, nr_error_t *err);

/* Rule 3 for devices on several nodes: exactly their nodes.  1 when
   best-effort must look further (they do not fit there), 0 placed, -1
   refused.  */
int placement_span_devices (const struct context *ctx, struct nr_placement *out, nr_error_t *err);

/* ---- cache groups (placement_llc.c) ------------------------------------ */

/* How many cache groups node index I would give the exclusive demand (0:
   no exclusive demand, no groups there, or it does not fit).  */
int placement_llc_needed (const struct context *ctx, int i);

/* Under cpu alignment llc (annotation or config), refuse OUT when its
   exclusive CPUs take more cache groups than their count needs.  */
int placement_check_llc (const struct context *ctx, const struct nr_placement *out,
                         nr_error_t *err);

/* Fill *ERR with a TopologyAffinityError naming the container, WHY, what
   it asked for and what each node offers.  Returns -1.  */
int placement_refuse (const struct context *ctx, nr_error_t *err, const char *why);

#endif
