/* numa-runtime: what a container is placed under — its request's
   annotations (already checked against the admin's bounds by
   annotations.c) over the config — worked out in one place.  Placement,
   create's plan, the ledger's rebuild and the annotation reader all ask
   here; none of them compares a request with the config itself.  No
   I/O.  */
#ifndef NR_RESOLVE_H
#define NR_RESOLVE_H

#include "conf.h"
#include "request.h"

#include <stdbool.h>

struct nr_resolved
{
  enum nr_policy policy; /* the annotation's, else [placement] policy */
  bool strict;           /* POLICY refuses where best-effort compromises */
  enum nr_spread spread; /* the annotation's, else [placement] multi_node */
  enum nr_tiers tiers;   /* the annotation's, else [memory] tiers */
  bool llc_strict;       /* cpu alignment llc: annotation, else [placement] */
  bool topology_view;    /* its own sysfs view: annotation, else the config */
  /* Whole CPUs to hold to itself: it asks for them (annotation, else
     [cpu] exclusive) with a whole-CPU request and is no sandbox; 0: the
     shared pool.  */
  int exclusive_cpus;
  /* [placement] shared_nodes = gather, for a container that will share
     its node's pool: neither holding CPUs itself nor the sandbox of a pod
     whose whole-CPU request asks for them.  */
  bool gather_shared;
  /* A sandbox whose pod's whole-CPU request asks for CPUs held
     exclusively: that many CPUs, which its node(s) should have room for
     (its entry keeps no CPU of them shared); else 0.  */
  int exclusive_pod_cpus;
};

/* Fill *OUT for REQ under CONFIG.  */
void nr_request_resolve (const struct nr_request *req, const struct nr_config *config,
                         struct nr_resolved *out);

/* The policy in force for REQ: its annotation's, else the config's.  */
enum nr_policy nr_effective_policy (const struct nr_request *req, const struct nr_config *config);

/* Does POLICY refuse where best-effort compromises (restricted,
   single-numa-node)?  */
bool nr_policy_strict (enum nr_policy policy);

#endif
