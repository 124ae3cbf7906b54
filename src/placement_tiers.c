/* numa-runtime: memory beyond the CPU nodes — which memory-only (tier)
 * nodes a container's memory may use, and how much is charged there.
 *
 * A tier node belongs to the domain of its nearest CPU node (SLIT; ties
 * to the lower index).  A CPU node and its domain are one NUMA domain for
 * admission (fits() counts tier_free); once the CPU node(s) are chosen,
 * the modes add tier nodes nearest to them:
 *   spill       only when the memory limit exceeds what the CPU node(s)
 *               have free, as many as cover the rest;
 *   tiered      always the nearest one (more when needed): the kernel
 *               demotes cold pages there;
 *   interleave  the nearest one of each CPU node; pages spread by weight;
 *   off         none.
 * Nothing here enumerates node subsets: one pass over the nodes per added
 * node at most.  */
#include <config.h>

#include "placement_context.h"
#include "util.h"

#include <string.h>

bool
placement_is_tier_node (const struct context *ctx, int i)
{
  const struct nr_node *node = &ctx->in->topo->nodes[i];
  return node->kind == NR_MEM_TIER;
}

/* The smallest SLIT distance from node index T to the nodes of SET.  */
static int
distance_to_set (const struct context *ctx, int t, const nr_set_t *set)
{
  int best = -1;

  for (int i = nr_set_next (set, 0); i >= 0; i = nr_set_next (set, i + 1))
    {
      int d = nr_topology_distance (ctx->in->topo, i, t);
      if (best < 0 || d < best)
        best = d;
    }
  return best;
}

/* May tier node T take memory of CPU nodes SET: not in a tier the kernel
   ranks above theirs (memory_tierN with a smaller N is faster memory than
   the CPU node's own; the admin lists such nodes in tier_nodes to use
   them).  */
static bool
tier_allowed_for (const struct context *ctx, int t, const nr_set_t *set)
{
  const struct nr_topology *topo = ctx->in->topo;

  if (! placement_is_tier_node (ctx, t))
    return false;
  if (ctx->in->config->tier_nodes_set || topo->nodes[t].tier < 0)
    return true;
  for (int i = nr_set_next (set, 0); i >= 0; i = nr_set_next (set, i + 1))
    if (topo->nodes[i].tier >= 0 && topo->nodes[t].tier < topo->nodes[i].tier)
      return false;
  return true;
}

void
placement_tier_domains (struct context *ctx)
{
  const struct nr_topology *topo = ctx->in->topo;

  for (int i = 0; i < topo->n_nodes; i++)
    {
      ctx->rooms[i].owner = -1;
      ctx->rooms[i].tier_free = 0;
    }
  if (ctx->resolved.tiers == NR_TIERS_OFF)
    return;
  for (int t = 0; t < topo->n_nodes; t++)
    {
      int owner = -1;
      nr_set_t one;

      if (! placement_is_tier_node (ctx, t))
        continue;
      for (int i = 0; i < topo->n_nodes; i++)
        if (ctx->rooms[i].cpu_capacity > 0
            && (owner < 0
                || nr_topology_distance (topo, i, t) < nr_topology_distance (topo, owner, t)))
          owner = i;
      if (owner < 0)
        continue;
      nr_set_clear (&one);
      nr_set_add (&one, owner);
      if (! tier_allowed_for (ctx, t, &one))
        continue;
      ctx->rooms[t].owner = owner;
      if (ctx->rooms[t].mem_free > 0)
        ctx->rooms[owner].tier_free = sat_add (ctx->rooms[owner].tier_free, ctx->rooms[t].mem_free);
    }
}

/* The tier node nearest to SET not yet in TAKEN (topo indexes), else -1.
   Nodes of SET's own domains first, then by distance, then index.  */
static int
nearest_tier (const struct context *ctx, const nr_set_t *set, const nr_set_t *taken, bool need_room)
{
  int best = -1, best_d = 0;
  bool best_own = false;

  for (int t = 0; t < ctx->in->topo->n_nodes; t++)
    {
      bool own;
      int d;

      if (nr_set_has (taken, t) || ! tier_allowed_for (ctx, t, set))
        continue;
      if (need_room && ctx->rooms[t].mem_free <= 0)
        continue;
      own = ctx->rooms[t].owner >= 0 && nr_set_has (set, ctx->rooms[t].owner);
      d = distance_to_set (ctx, t, set);
      if (best < 0 || (own && ! best_own) || (own == best_own && d < best_d))
        {
          best = t;
          best_d = d;
          best_own = own;
        }
    }
  return best;
}

static int
weight_of (const struct context *ctx, int i)
{
  const struct nr_config *config = ctx->in->config;
  const struct nr_node *node = &ctx->in->topo->nodes[i];

  if (config->memory_weights)
    return config->memory_weights[node->id];
  return node->weight;
}

/* Charge the memory of an interleaved container by weight.  */
static void
interleave_charge (const struct context *ctx, const nr_set_t *chosen, const nr_set_t *taken,
                   struct nr_placement *out)
{
  int64_t local = 0, all = 0;
  bool weighted = true;

  for (int i = 0; i < ctx->in->topo->n_nodes; i++)
    if (nr_set_has (chosen, i) || nr_set_has (taken, i))
      {
        int w = weight_of (ctx, i);
        if (w <= 0)
          weighted = false;
        out->weights[ctx->in->topo->nodes[i].id] = (unsigned char) (w > 0 ? w : 1);
        all += w > 0 ? w : 1;
        if (nr_set_has (chosen, i))
          local += w > 0 ? w : 1;
      }
  out->weighted = weighted && ctx->in->topo->has_weights;
  out->memory_local =
      all > 0 ? (int64_t) ((double) out->memory * (double) local / (double) all) : out->memory;
}

void
placement_add_tiers (const struct context *ctx, const nr_set_t *chosen, struct nr_placement *out)
{
  const struct demand *d = &ctx->demand;
  int64_t local_free = 0, need, covered = 0;
  nr_set_t taken;
  int t;

  out->mems = out->nodes;
  out->memory_local = out->memory;
  out->tiers = ctx->resolved.tiers;
  if (ctx->resolved.tiers == NR_TIERS_OFF)
    return;
  nr_set_clear (&taken);
  for (int i = nr_set_next (chosen, 0); i >= 0; i = nr_set_next (chosen, i + 1))
    local_free = sat_add (local_free, ctx->rooms[i].mem_free > 0 ? ctx->rooms[i].mem_free : 0);

  if (ctx->resolved.tiers == NR_TIERS_INTERLEAVE)
    {
      /* The nearest tier node of each CPU node.  */
      for (int i = nr_set_next (chosen, 0); i >= 0; i = nr_set_next (chosen, i + 1))
        {
          nr_set_t one;
          nr_set_clear (&one);
          nr_set_add (&one, i);
          if ((t = nearest_tier (ctx, &one, &taken, false)) >= 0)
            nr_set_add (&taken, t);
        }
      if (nr_set_is_empty (&taken))
        return;
      for (t = nr_set_next (&taken, 0); t >= 0; t = nr_set_next (&taken, t + 1))
        nr_set_add (&out->mems, ctx->rooms[t].node->id);
      out->tier_interleave = true;
      interleave_charge (ctx, chosen, &taken, out);
      return;
    }

  need = d->memory > local_free ? d->memory - local_free : 0;
  if (ctx->resolved.tiers == NR_TIERS_SPILL && need == 0)
    return;
  if (ctx->resolved.tiers == NR_TIERS_TIERED && need == 0)
    {
      /* Room for demoted pages: the nearest tier node, charged nothing.  */
      if ((t = nearest_tier (ctx, chosen, &taken, false)) >= 0)
        nr_set_add (&out->mems, ctx->rooms[t].node->id);
      return;
    }
  while (covered < need && (t = nearest_tier (ctx, chosen, &taken, true)) >= 0)
    {
      nr_set_add (&taken, t);
      nr_set_add (&out->mems, ctx->rooms[t].node->id);
      covered = sat_add (covered, ctx->rooms[t].mem_free);
    }
  if (nr_set_is_empty (&taken))
    return;
  out->memory_local = local_free < out->memory ? local_free : out->memory;
}
