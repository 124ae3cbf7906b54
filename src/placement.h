/* numa-runtime: the placement decision — a pure function of the host's
   topology, what the ledger says is taken, what the container needs and the
   policy.  No I/O here, so every rule is unit-tested without root.  */
#ifndef NR_PLACEMENT_H
#define NR_PLACEMENT_H

#include "conf.h"
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
  enum nr_policy policy;
};

struct nr_placement
{
  nr_set_t nodes;     /* chosen node(s) */
  nr_set_t cpus;      /* cpuset to write */
  nr_set_t exclusive; /* CPUs held exclusively (subset of cpus) */
  int64_t load;       /* what the container weighs on its nodes */
  char *warning;      /* a compromise worth logging, or NULL; owned */
};

/* Decide where IN->req goes.  Fails (with the reason) only when the policy
   forbids every possibility.  */
int nr_place (const struct nr_placement_input *in, struct nr_placement *out,
              nr_error_t *err);

void nr_placement_free (struct nr_placement *placement);

#endif
