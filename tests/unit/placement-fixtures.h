/* What the placement unit tests share: a host (topology, ledger usage,
   configuration, request and pod) built in memory, and placing on it.  */
#ifndef NR_PLACEMENT_FIXTURES_H
#define NR_PLACEMENT_FIXTURES_H

#include "unit.h"

#include "placement.h"

#include <string.h>

#define GiB (INT64_C (1) << 30)
#define HOST_MAX_NODES 64

struct host
{
  struct nr_topology topo;
  struct nr_node_usage usage[HOST_MAX_NODES];
  struct nr_config config;
  struct nr_request req;
  nr_set_t pod_nodes;
  bool pod_reserved;
};

/* A host of NODES nodes with no CPUs, memory or distances yet: each test
   file fills in the machine it is about.  Best-effort policy, a 100
   millicpu share for a container without limits, request id "c1".  */
static inline void
host_alloc (struct host *h, int nodes)
{
  assert_true (nodes <= HOST_MAX_NODES);
  memset (h, 0, sizeof (*h));
  h->topo.n_nodes = nodes;
  h->topo.nodes = xmalloc0 ((size_t) nodes * sizeof (struct nr_node));
  h->topo.distance = xmalloc0 ((size_t) (nodes * nodes) * sizeof (int));
  for (int i = 0; i < nodes; i++)
    {
      h->topo.nodes[i].id = i;
      h->usage[i].node = i;
    }
  h->config.policy = NR_POLICY_BEST_EFFORT;
  h->config.best_effort_millicpus = 100;
  h->req.id = "c1";
}

static inline void
host_free (struct host *h)
{
  nr_topology_free (&h->topo);
  nr_request_free (&h->req);
}

static inline void
set_distance (struct host *h, int a, int b, int d)
{
  h->topo.distance[a * h->topo.n_nodes + b] = d;
  h->topo.distance[b * h->topo.n_nodes + a] = d;
}

static inline int
try_place (struct host *h, struct nr_placement *out, nr_error_t *err)
{
  struct nr_placement_input in = { .topo = &h->topo,
                                   .usage = h->usage,
                                   .req = &h->req,
                                   .config = &h->config,
                                   .pod_nodes = h->pod_nodes,
                                   .pod_reserved = h->pod_reserved };
  return nr_place (&in, out, err);
}

static inline void
place (struct host *h, struct nr_placement *out)
{
  nr_error_t err = NULL;
  if (try_place (h, out, &err) < 0)
    fail_msg ("placement failed: %s", err->msg);
}

/* Place and expect a refusal whose text holds every string in NEEDLES.  */
static inline void
assert_refused (struct host *h, const char *const *needles)
{
  struct nr_placement p;
  nr_error_t err = NULL;

  assert_int_equal (try_place (h, &p, &err), -1);
  assert_non_null (err);
  assert_null (strchr (err->msg, '\n'));
  for (; *needles; needles++)
    if (strstr (err->msg, *needles) == NULL)
      fail_msg ("refusal `%s` lacks `%s`", err->msg, *needles);
  nr_error_release (&err);
}

#define REFUSED(h, ...) assert_refused ((h), (const char *const[]){ __VA_ARGS__, NULL })

#endif
