/* numa-runtime: what the container asks and what each node offers it,
   as placement counts them (placement_prepare).  */
#include <config.h>

#include "placement_context.h"
#include "util.h"

#include <string.h>

/* ---- what is asked, what is offered ----------------------------------- */

static void
compute_demand (struct context *ctx)
{
  const struct nr_request *req = ctx->in->req;
  const struct nr_config *config = ctx->in->config;
  struct demand *d = &ctx->demand;

  memset (d, 0, sizeof (*d));
  d->unlimited = req->millicpus <= 0;
  d->millicpus = d->unlimited ? config->best_effort_millicpus : req->millicpus;
  d->memory = req->memory;
  d->hugepages = req->hugepages;
  d->exclusive = ctx->resolved.exclusive_cpus;
  /* Two owners of exclusive CPUs, one of which (kubelet) cannot see the
     other's, would give the same CPU twice.  */
  ctx->exclusive_withdrawn = d->exclusive > 0 && ctx->in->kubelet_static_cpus;
  if (ctx->exclusive_withdrawn)
    d->exclusive = 0;
  d->prepaid = ctx->in->pod_reserved && ! req->sandbox;
  d->exclusive_room = d->exclusive;
  if (ctx->resolved.exclusive_pod_cpus > 0 && ! ctx->in->kubelet_static_cpus)
    d->exclusive_room = ctx->resolved.exclusive_pod_cpus;
}

static void
compute_rooms (struct context *ctx)
{
  const struct nr_topology *topo = ctx->in->topo;
  const struct nr_config *config = ctx->in->config;
  int end = nr_topology_cpu_end (topo);
  bool held_anywhere = false; /* by an exclusive container, on some node */

  ctx->withheld_cpus = config->reserved_cpus;
  nr_set_union (&ctx->withheld_cpus, &ctx->in->kubelet_cpus);
  nr_set_union (&ctx->withheld_cpus, &ctx->in->topo->isolated);
  nr_set_clear (&ctx->hint_nodes);
  for (size_t h = 0; h < ctx->in->req->n_hints; h++)
    if (nr_topology_index (topo, ctx->in->req->hints[h].node) >= 0)
      nr_set_add (&ctx->hint_nodes, ctx->in->req->hints[h].node);

  for (int i = 0; i < topo->n_nodes; i++)
    {
      struct node_room *r = &ctx->rooms[i];
      const struct nr_node_usage *u = &ctx->in->usage[i];
      int n_pool, n_shared;
      int64_t load;

      r->node = &topo->nodes[i];
      load = nr_usage_load (u, &r->node->cpus, end);
      nr_set_count_minus (&r->node->cpus, &ctx->withheld_cpus, &u->exclusive, &n_pool, &n_shared);
      r->n_shared = n_shared;
      r->cpu_capacity = (int64_t) n_pool * 1000;
      /* Ledger and meminfo values can be anything: saturate.  */
      r->cpu_free = sat_sub (r->cpu_capacity, load);
      r->mem_capacity =
          sat_sub (r->node->memory_total > INT64_MAX ? INT64_MAX : (int64_t) r->node->memory_total,
                   config->reserved_memory);
      if (r->mem_capacity < 0)
        r->mem_capacity = 0;
      r->mem_free = sat_sub (r->mem_capacity, u->memory);
      r->huge_free = sat_sub (
          r->node->hugepages_total > INT64_MAX ? INT64_MAX : (int64_t) r->node->hugepages_total,
          u->hugepages);
      if (ctx->in->kubelet_memory)
        r->mem_free = sat_sub (r->mem_free, ctx->in->kubelet_memory[i]);
      if (ctx->in->kubelet_hugepages)
        r->huge_free = sat_sub (r->huge_free, ctx->in->kubelet_hugepages[i]);
      /* While containers share the node's pool, keep one CPU in it: they
         must still have somewhere to run.  A node nobody shares (only
         exclusive holders, or nothing) can give all of its pool.  */
      r->exclusive_free = u->sharing > 0 ? n_shared - 1 : n_shared;
      if (r->exclusive_free < 0)
        r->exclusive_free = 0;
      r->load = load;
      r->sharers = u->sharing > 0;
      held_anywhere |= ! nr_set_is_empty (&u->exclusive);
      r->llc_needed = placement_llc_needed (ctx, i);
      r->hints = 0;
      for (size_t h = 0; h < ctx->in->req->n_hints; h++)
        r->hints += ctx->in->req->hints[h].node == r->node->id;
    }
  ctx->gather_shared = held_anywhere && ctx->resolved.gather_shared && ctx->demand.exclusive <= 0;
}

void
placement_prepare (struct context *ctx)
{
  compute_demand (ctx);
  compute_rooms (ctx);
  placement_tier_domains (ctx);
}
