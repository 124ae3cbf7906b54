/* numa-runtime: the text of a refusal — what the container asked for and
   what each node could offer — shown to the user like kubelet's
   TopologyAffinityError.  */
#include <config.h>

#include "annotations.h"
#include "placement.h"
#include "placement_context.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static char *
gib (int64_t bytes)
{
  return xasprintf ("%.1f GiB", (double) bytes / (double) (INT64_C (1) << 30));
}

static char *
describe_request (const struct context *ctx)
{
  const struct demand *d = &ctx->demand;
  const struct nr_request *req = ctx->in->req;
  cleanup_free char *mem = gib (d->memory);
  cleanup_free char *hints = NULL;
  cleanup_free char *cpus = d->unlimited ? xstrdup ("no CPU limit")
                                         : xasprintf ("%.3g CPUs", (double) d->millicpus / 1000.0);
  char *out;

  for (size_t h = 0; h < req->n_hints; h++)
    {
      char *next = xasprintf ("%s%s%s on node %d", hints ? hints : "", hints ? ", " : "",
                              req->hints[h].source, req->hints[h].node);
      free (hints);
      hints = next;
    }
  out = xasprintf ("%s%s, %s memory%s%s%s", cpus, d->exclusive ? " (exclusive)" : "",
                   d->memory > 0 ? mem : "no", hints ? ", devices: " : "", hints ? hints : "", "");
  return out;
}

static char *
describe_offers (const struct context *ctx)
{
  char *out = xstrdup ("");

  for (int i = 0; i < ctx->in->topo->n_nodes; i++)
    {
      const struct node_room *r = &ctx->rooms[i];
      cleanup_free char *mem = gib (r->mem_free > 0 ? r->mem_free : 0);
      cleanup_free char *tier = NULL;
      char *next;

      /* A memory-only node is offered with the CPU node whose domain
         it is in.  */
      if (nr_set_is_empty (&r->node->cpus))
        continue;
      if (r->tier_free > 0)
        {
          cleanup_free char *tier_gib = gib (r->tier_free);
          cleanup_free char *list = NULL;
          nr_set_t ids;

          nr_set_clear (&ids);
          for (int t = 0; t < ctx->in->topo->n_nodes; t++)
            if (ctx->rooms[t].owner == i)
              nr_set_add (&ids, ctx->rooms[t].node->id);
          list = nr_set_format (&ids);
          tier = xasprintf (" + %s tier memory (node %s)", tier_gib, list);
        }
      next = xasprintf ("%s%snode %d: %.3g CPUs, %s free%s, %d exclusive CPUs free%s", out,
                        *out ? "; " : "", r->node->id,
                        (double) (r->cpu_free > 0 ? r->cpu_free : 0) / 1000.0, mem,
                        tier ? tier : "", r->exclusive_free, r->hints ? ", has devices" : "");
      free (out);
      out = next;
    }
  return out;
}

int
placement_refuse (const struct context *ctx, nr_error_t *err, const char *why)
{
  cleanup_free char *asked = describe_request (ctx);
  cleanup_free char *offers = describe_offers (ctx);

  return nr_make_error (err, 0,
                        "TopologyAffinityError: container %s cannot be placed under policy %s: %s; "
                        "asked %s; offered %s",
                        ctx->in->req->id, nr_policy_name (ctx->resolved.policy), why, asked,
                        offers);
}

char *
nr_placement_reason (const struct nr_placement_input *in, const struct nr_placement *out)
{
  const struct nr_request *req = in->req;
  cleanup_free char *nodes = nr_set_format (&out->nodes);
  cleanup_free char *hinted = NULL;
  nr_set_t hint_nodes;

  if (out->keep_cpus || out->keep_mems)
    return xasprintf ("kubelet already chose its %s (kubelet_cpuset = respect): node(s) %s",
                      out->keep_cpus ? "cpuset" : "mems", nodes);
  if (! nr_set_is_empty (&req->nodes_wanted))
    return xasprintf ("annotation " NR_ANNOTATION_PREFIX "nodes asks for node(s) %s", nodes);
  if (! nr_set_is_empty (&in->pod_nodes))
    return xasprintf ("its pod %s already holds node(s) %s", req->pod ? req->pod : "?", nodes);
  nr_set_clear (&hint_nodes);
  for (size_t h = 0; h < req->n_hints; h++)
    if (nr_topology_index (in->topo, req->hints[h].node) >= 0)
      nr_set_add (&hint_nodes, req->hints[h].node);
  hinted = nr_set_format (&hint_nodes);
  if (! nr_set_is_empty (&hint_nodes) && nr_set_is_subset (&hint_nodes, &out->nodes))
    return xasprintf ("node(s) %s hold its devices and volumes, and it fits there", nodes);
  if (! nr_set_is_empty (&hint_nodes))
    return xasprintf ("its devices are on node(s) %s, which cannot take it all: node(s) %s", hinted,
                      nodes);
  if (req->span > 1)
    return xasprintf ("it asks to span %d nodes: the closest set that fits is %s", req->span,
                      nodes);
  if (nr_set_count (&out->nodes) > 1)
    return xasprintf ("too big for one node: the closest set of nodes that fits is %s", nodes);
  return xasprintf ("no device or pod ties it to a node: node %s has the most free room where it "
                    "fits",
                    nodes);
}

enum nr_outcome
nr_outcome_of (const struct nr_topology *topo, const struct nr_request *req, enum nr_policy policy,
               const struct nr_placement *p)
{
  bool aligned = req->n_hints > 0;
  nr_set_t beyond = p->mems;

  if (p->n_moved > 0)
    return NR_OUTCOME_POD_MOVED;
  /* Memory charged on a memory-only node: spilled to a lower tier.  */
  nr_set_subtract (&beyond, &p->nodes);
  if (p->memory_local < p->memory)
    for (int n = nr_set_next (&beyond, 0); n >= 0; n = nr_set_next (&beyond, n + 1))
      {
        int i = nr_topology_index (topo, n);
        if (i >= 0 && ! topo->nodes[i].has_cpu)
          return NR_OUTCOME_TIER_SPILL;
      }
  if (nr_set_count (&p->nodes) > 1)
    return NR_OUTCOME_SPANNED;
  if (policy == NR_POLICY_BEST_EFFORT && p->warning != NULL)
    return NR_OUTCOME_FALLBACK;
  for (size_t h = 0; h < req->n_hints; h++)
    if (! nr_set_has (&p->nodes, req->hints[h].node))
      aligned = false;
  return aligned ? NR_OUTCOME_DEVICE_ALIGNED : NR_OUTCOME_PLACED;
}
