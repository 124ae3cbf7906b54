/* numa-runtime: what create knows just before placement — the request,
   its locality hints, the topology and what the ledger holds — gathered
   by one function that `create` and `explain` both call, so that a dry
   run sees exactly what a create would.  */
#ifndef NR_CREATE_PLAN_H
#define NR_CREATE_PLAN_H

#include "args.h"
#include "conf.h"
#include "error.h"
#include "json.h"
#include "ledger.h"
#include "placement.h"
#include "pod_move.h"
#include "rebuild.h"
#include "request.h"
#include "topology.h"

#include <stdbool.h>

struct nr_create_plan
{
  struct nr_request req;
  struct nr_topology topo;
  /* Open and locked after a create's plan (the caller commits and closes
     it); NULL after a dry run, which releases it once read.  */
  struct nr_ledger *ledger;
  struct nr_node_usage *usage; /* per topo index, owned */
  struct nr_placement_input input;
  /* What kubelet's static managers hold per topo index (NULL: none),
     which PLAN->input points to.  */
  int64_t *kubelet_memory;
  int64_t *kubelet_hugepages;
  /* The pod's entries, when a device of this container may move the pod
     (pod_move.h); PLAN->input points to them.  */
  struct nr_pod_entries pod_entries;
  bool left_alone; /* opted out or policy none: nothing else was read */
};

/* Options of nr_create_plan_read.  */
struct nr_plan_options
{
  const char *id;  /* the container's id (request and messages) */
  const char *pod; /* place as a member of this pod (explain --pod); NULL: the spec's */
  /* explain: write nothing (no topology cache, no ledger created, no
     commit) and hold the ledger's lock only while reading it; an id in
     use is not refused.  */
  bool dry_run;
};

/* Read everything placement needs for the container of SPEC (config.json
   document) into PLAN (zeroed by the caller; placement input in
   PLAN->input).  Free with nr_create_plan_free whatever it returns.  */
int nr_create_plan_read (const struct nr_args *args, const struct nr_config *config, yajl_val spec,
                         const struct nr_plan_options *options, struct nr_create_plan *plan,
                         nr_error_t *err);

void nr_create_plan_free (struct nr_create_plan *plan);
void cleanup_create_planp (struct nr_create_plan *plan);
#define cleanup_create_plan __attribute__ ((cleanup (cleanup_create_planp)))

#endif
