/* numa-runtime: what a container needs, read from its spec.  */
#ifndef NR_REQUEST_H
#define NR_REQUEST_H

#include "conf.h"
#include "cpuset.h"
#include "error.h"
#include "json.h"

#include <stdbool.h>
#include <stdint.h>

/* A node a device or volume of the container is attached to.  */
struct nr_hint
{
  int node;
  char *source; /* what produced it, e.g. "device /dev/nvme1n1", owned */
};

struct nr_request
{
  const char *id;    /* container id, borrowed from argv */
  int64_t millicpus; /* from quota/period, else shares; 0: no CPU limit */
  int64_t memory;    /* linux.resources.memory.limit in bytes; 0: none */
  int64_t hugepages; /* sum of linux.resources.hugepageLimits */
  bool has_cpus;     /* linux.resources.cpu.cpus was already set */
  nr_set_t cpus;
  bool has_mems; /* linux.resources.cpu.mems was already set */
  nr_set_t mems;
  char *pod;             /* the pod's sandbox id (own id for a sandbox), owned */
  bool sandbox;          /* this container is a pod sandbox */
  struct nr_hint *hints; /* device/volume locality, owned */
  size_t n_hints;

  /* Per-pod control from annotations (annotations.c), already checked
     against the admin's bounds in the config.  */
  bool opt_out; /* leave this container alone */
  bool has_policy;
  enum nr_policy policy;
  nr_set_t nodes_wanted; /* empty: any node */
  /* What asked for NODES_WANTED ("annotation numa-runtime.io/nodes",
     "env NUMA_NODE", ...), for the log and `status`; a static string, or
     NULL.  */
  const char *pinned_by;
  /* NODES_WANTED is the spec's own NUMA_NODE (env_pin.c): placement
     refuses under restricted and single-numa-node rather than write
     another node over it, and warns under best-effort.  */
  bool pin_from_env;
  int span; /* nodes asked for; 0: as many as needed */
  bool has_spread;
  enum nr_spread spread;
  bool has_exclusive;
  bool exclusive;
  bool isolated; /* exclusive CPUs from the isolated ones (annotation, admin allowing) */
  bool has_alignment;
  bool llc_strict; /* cpu-alignment annotation: llc (else prefer) */
  bool has_mpol;
  enum nr_mpol mpol;
  bool has_tiers;
  enum nr_tiers tiers; /* memory-tiers annotation */
  bool has_topology_view;
  bool topology_view_container; /* topology-view annotation: container (else host) */
};

/* Read what the container of SPEC (document root) needs.  */
int nr_request_from_spec (yajl_val spec, const char *id, struct nr_request *req, nr_error_t *err);

/* Append a hint (SOURCE copied).  */
void nr_request_add_hint (struct nr_request *req, int node, const char *source);

void nr_request_free (struct nr_request *req);

#endif
