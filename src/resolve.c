/* numa-runtime: the request over the config, in one place (resolve.h).  */
#include <config.h>

#include "resolve.h"

#include <limits.h>

enum nr_policy
nr_effective_policy (const struct nr_request *req, const struct nr_config *config)
{
  return req->has_policy ? req->policy : config->policy;
}

bool
nr_policy_strict (enum nr_policy policy)
{
  return policy == NR_POLICY_RESTRICTED || policy == NR_POLICY_SINGLE_NUMA_NODE;
}

/* Whole CPUs only, as the CPU Manager's static policy: a fractional
   request shares the pool.  How many REQ asks to hold, or 0.  */
static int
whole_cpus_asked (const struct nr_request *req, const struct nr_config *config)
{
  bool asked = req->has_exclusive ? req->exclusive : config->cpu_exclusive;

  if (! asked || req->millicpus < 1000 || req->millicpus % 1000 != 0)
    return 0;
  return req->millicpus / 1000 > INT_MAX ? INT_MAX : (int) (req->millicpus / 1000);
}

void
nr_request_resolve (const struct nr_request *req, const struct nr_config *config,
                    struct nr_resolved *out)
{
  out->policy = nr_effective_policy (req, config);
  out->strict = nr_policy_strict (out->policy);
  out->spread = req->has_spread ? req->spread : config->spread;
  out->tiers = req->has_tiers ? req->tiers : config->memory_tiers;
  out->llc_strict = req->has_alignment ? req->llc_strict : config->llc_strict;
  out->topology_view =
      req->has_topology_view ? req->topology_view_container : config->topology_view_container;
  /* A sandbox never pins CPUs: its pod's containers do.  */
  out->exclusive_cpus = req->sandbox ? 0 : whole_cpus_asked (req, config);
  out->exclusive_pod_cpus = req->sandbox ? whole_cpus_asked (req, config) : 0;
  out->gather_shared = config->shared_gather && whole_cpus_asked (req, config) == 0;
}
