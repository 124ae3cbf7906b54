/* numa-runtime: a pod moving to its devices' node(s) — what create does
   around placement's decision (placement_pod.c): find the pod's entries
   when a container's devices sit off the pod's nodes, and, once the
   ledger holds the pod's new place, move the containers already running
   through the real runtime's `update`.  */
#ifndef NR_POD_MOVE_H
#define NR_POD_MOVE_H

#include "args.h"
#include "conf.h"
#include "ledger.h"
#include "placement.h"
#include "request.h"

/* The pod's entries placement may move, owned here.  */
struct nr_pod_entries
{
  struct nr_ledger_entry *v;
  size_t n;
};

/* When one of REQ's device hints sits off INPUT->pod_nodes, read the pod's
   entries into *HELD and point INPUT at them.  A ledger that cannot give
   them (damage found on the way) leaves the pod unmovable: a warning.  */
void nr_pod_entries_for_move (struct nr_ledger *ledger, const struct nr_request *req,
                              struct nr_placement_input *input, struct nr_pod_entries *held);

void nr_pod_entries_free (struct nr_pod_entries *held);

/* Record P's moved entries in LEDGER (replacing the old ones).  */
void nr_pod_move_record (struct nr_ledger *ledger, const struct nr_placement *p);

/* Give each container of P->moved its new cpuset and mems through
   RUNTIME's `update` (under cgroup v2 its pages follow the mems), and
   rewrite its topology view, if it has one, for them (TOPO, CONFIG's
   sysfs).  A failure is a warning naming the container: the ledger
   already holds the new place, and the container being created is not at
   fault.  */
void nr_pod_move_update (const char *runtime, const struct nr_args *args,
                         const struct nr_config *config, const struct nr_topology *topo,
                         const struct nr_placement *p);

#endif
