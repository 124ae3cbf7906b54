/* numa-runtime: what placement.c and placement_explain.c share.  */
#ifndef NR_PLACEMENT_INTERNAL_H
#define NR_PLACEMENT_INTERNAL_H

#include "placement.h"

/* What one node can still offer this container.  */
struct node_room
{
  const struct nr_node *node;
  nr_set_t pool;        /* CPUs containers may use: the node's minus reserved */
  nr_set_t shared;      /* pool minus CPUs held exclusively */
  int64_t cpu_capacity; /* |pool| in milli-CPUs */
  int64_t cpu_free;     /* capacity minus the ledger's load */
  int64_t mem_capacity; /* bytes, less the reservation */
  int64_t mem_free;
  int64_t huge_free;
  int exclusive_free; /* CPUs that could still be given exclusively */
  int hints;          /* device hints on this node */
  int64_t load;
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
};

struct context
{
  const struct nr_placement_input *in;
  enum nr_policy policy;
  enum nr_spread spread;
  struct node_room *rooms; /* per topo index */
  struct demand demand;
  nr_set_t hint_nodes;
};

/* restricted and single-numa-node refuse where best-effort compromises.  */
bool placement_strict (const struct context *ctx);

/* Fill *ERR with a TopologyAffinityError naming the container, WHY, what
   it asked for and what each node offers.  Returns -1.  */
int placement_refuse (const struct context *ctx, nr_error_t *err, const char *why);

#endif
