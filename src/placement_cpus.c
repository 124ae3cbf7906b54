/* numa-runtime: the CPUs a placed container gets on its chosen nodes,
   and its charge (placement_finish).  */
#include <config.h>

#include "placement_context.h"
#include "util.h"

#include <string.h>

/* ---- CPUs for the chosen nodes ---------------------------------------- */

/* The nodes of CHOSEN in the order exclusive CPUs are taken from them:
   packed, the roomiest first, so that they come from as few nodes as
   can give them; distributed, in index order.  Returns their count.  */
static int
exclusive_order (const struct context *ctx, const nr_set_t *chosen, int *order)
{
  int n = 0;

  for (int i = nr_set_next (chosen, 0); i >= 0; i = nr_set_next (chosen, i + 1))
    {
      int at = n++;
      if (ctx->resolved.spread != NR_SPREAD_DISTRIBUTE)
        for (; at > 0 && ctx->rooms[order[at - 1]].exclusive_free < ctx->rooms[i].exclusive_free;
             at--)
          order[at] = order[at - 1];
      order[at] = i;
    }
  return n;
}

/* Hold D->exclusive CPUs of CHOSEN for the container.  False (nothing
   held) when the nodes cannot spare that many.  */
static bool
assign_exclusive (const struct context *ctx, const nr_set_t *chosen, struct nr_placement *out)
{
  const struct demand *d = &ctx->demand;
  cleanup_free int *order = xmalloc ((size_t) ctx->in->topo->n_nodes * sizeof (int));
  int n = exclusive_order (ctx, chosen, order);
  int left = d->exclusive;

  for (int k = 0; k < n; k++)
    {
      int i = order[k];
      const struct node_room *r = &ctx->rooms[i];
      nr_set_t available;
      int want = ctx->resolved.spread == NR_SPREAD_DISTRIBUTE
                     ? d->exclusive / n + (k < d->exclusive % n ? 1 : 0)
                     : left;
      nr_set_t picked;

      if (want > left)
        want = left;
      if (ctx->in->req->isolated)
        {
          /* Isolated CPUs (the admin allowed it): outside the pool, so no
             CPU of it need stay shared.  */
          available = ctx->in->topo->isolated;
          nr_set_intersect (&available, &r->node->cpus);
          nr_set_subtract (&available, &ctx->in->config->reserved_cpus);
          nr_set_subtract (&available, &ctx->in->usage[i].exclusive);
        }
      else
        {
          if (want > r->exclusive_free)
            want = r->exclusive_free;
          room_shared (ctx, i, &available);
        }
      left -= nr_pick_cpus (ctx->in->topo, &available, &ctx->in->usage[i].exclusive, want, &picked);
      nr_set_union (&out->exclusive, &picked);
    }
  if (left > 0)
    {
      nr_set_clear (&out->exclusive);
      return false;
    }
  out->cpus = out->exclusive;
  return true;
}

static void
assign_cpus (const struct context *ctx, const nr_set_t *chosen, struct nr_placement *out)
{
  int n = nr_set_count (chosen);

  nr_set_clear (&out->cpus);
  nr_set_clear (&out->exclusive);
  if (ctx->by_devices && n > 1 && placement_assign_by_devices (ctx, chosen, out))
    return;
  if (ctx->demand.exclusive > 0)
    {
      if (assign_exclusive (ctx, chosen, out))
        return;
      add_warning (out, "cannot hold %d CPUs exclusively there; sharing the pool",
                   ctx->demand.exclusive);
    }

  if (ctx->resolved.spread == NR_SPREAD_DISTRIBUTE && n > 1)
    {
      /* The same number of CPUs from each node.  */
      int each = -1;
      for (int i = nr_set_next (chosen, 0); i >= 0; i = nr_set_next (chosen, i + 1))
        {
          int c = ctx->rooms[i].n_shared;
          if (each < 0 || c < each)
            each = c;
        }
      for (int i = nr_set_next (chosen, 0); i >= 0; i = nr_set_next (chosen, i + 1))
        {
          nr_set_t picked, shared;
          room_shared (ctx, i, &shared);
          nr_pick_cpus (ctx->in->topo, &shared, NULL, each, &picked);
          nr_set_union (&out->cpus, &picked);
        }
    }
  else
    for (int i = nr_set_next (chosen, 0); i >= 0; i = nr_set_next (chosen, i + 1))
      {
        nr_set_t shared;
        room_shared (ctx, i, &shared);
        nr_set_union (&out->cpus, &shared);
      }

  if (nr_set_is_empty (&out->cpus))
    {
      /* Every CPU is held exclusively: share the pool rather than fail.  */
      for (int i = nr_set_next (chosen, 0); i >= 0; i = nr_set_next (chosen, i + 1))
        {
          nr_set_t pool;
          room_pool (ctx, i, &pool);
          nr_set_union (&out->cpus, &pool);
        }
      add_warning (out, "no shared CPU left on the chosen node(s); using CPUs held exclusively");
    }
}

void
placement_finish (const struct context *ctx, const nr_set_t *chosen, struct nr_placement *out)
{
  const struct demand *d = &ctx->demand;

  placement_index_set_to_nodes (ctx, chosen, &out->nodes);
  assign_cpus (ctx, chosen, out);
  out->interleave = ctx->resolved.spread == NR_SPREAD_DISTRIBUTE && nr_set_count (chosen) > 1;
  if (d->prepaid)
    {
      /* the pod's sandbox entry already charges all of it */
      placement_add_tiers (ctx, chosen, out);
      return;
    }
  out->millicpus = d->unlimited ? 0 : d->millicpus;
  out->load = ! nr_set_is_empty (&out->exclusive) ? (int64_t) d->exclusive * 1000 : d->millicpus;
  /* Isolated CPUs are in no pool: holding them takes none of its room.  */
  if (ctx->in->req->isolated && nr_set_is_subset (&out->exclusive, &ctx->in->topo->isolated)
      && ! nr_set_is_empty (&out->exclusive))
    out->load = 0;
  out->memory = d->memory;
  out->hugepages = d->hugepages;
  placement_add_tiers (ctx, chosen, out);
}

int
placement_pick_exclusive (const struct context *ctx, int i, int want, nr_set_t *picked)
{
  nr_set_t shared;
  int room;

  room_shared (ctx, i, &shared);
  room = ctx->rooms[i].exclusive_free;
  if (want > room)
    want = room > 0 ? room : 0;
  return nr_pick_cpus (ctx->in->topo, &shared, &ctx->in->usage[i].exclusive, want, picked);
}

/* Split COUNT over the nodes of CHOSEN in proportion to their devices
   (largest remainder), at least one each when COUNT allows: SHARE[i].  */
static void
split_by_devices (const struct context *ctx, const nr_set_t *chosen, int count, int *share)
{
  int total = 0, given = 0, n = nr_set_count (chosen);

  for (int i = nr_set_next (chosen, 0); i >= 0; i = nr_set_next (chosen, i + 1))
    total += ctx->rooms[i].hints;
  for (int i = nr_set_next (chosen, 0); i >= 0; i = nr_set_next (chosen, i + 1))
    {
      int64_t exact = total > 0 ? (int64_t) count * ctx->rooms[i].hints / total : count / n;
      share[i] = exact < 1 && count >= n ? 1 : (int) exact;
      given += share[i];
    }
  /* What rounding left goes to the nodes with the most devices first.  */
  while (given < count)
    {
      int best = -1;
      for (int i = nr_set_next (chosen, 0); i >= 0; i = nr_set_next (chosen, i + 1))
        if (best < 0
            || ctx->rooms[i].hints * (share[best] + 1) > ctx->rooms[best].hints * (share[i] + 1))
          best = i;
      share[best]++;
      given++;
    }
}

bool
placement_assign_by_devices (const struct context *ctx, const nr_set_t *chosen,
                             struct nr_placement *out)
{
  const struct demand *d = &ctx->demand;
  cleanup_free int *share = xmalloc0 ((size_t) ctx->in->topo->n_nodes * sizeof (int));
  int most = 0;

  if (d->exclusive > 0)
    {
      split_by_devices (ctx, chosen, d->exclusive, share);
      for (int i = nr_set_next (chosen, 0); i >= 0; i = nr_set_next (chosen, i + 1))
        {
          nr_set_t picked;
          if (placement_pick_exclusive (ctx, i, share[i], &picked) < share[i])
            {
              nr_set_clear (&out->exclusive);
              return false;
            }
          nr_set_union (&out->exclusive, &picked);
        }
      out->cpus = out->exclusive;
      return true;
    }
  /* Shared CPUs: the node with the most devices gives its whole pool,
     the others a share of theirs in proportion, rounded up.  */
  for (int i = nr_set_next (chosen, 0); i >= 0; i = nr_set_next (chosen, i + 1))
    if (ctx->rooms[i].hints > most)
      most = ctx->rooms[i].hints;
  for (int i = nr_set_next (chosen, 0); i >= 0; i = nr_set_next (chosen, i + 1))
    {
      nr_set_t shared, picked;
      int n_shared, want;

      room_shared (ctx, i, &shared);
      n_shared = nr_set_count (&shared);
      want = most > 0 ? (int) (((int64_t) n_shared * ctx->rooms[i].hints + most - 1) / most)
                      : n_shared;
      if (want < 1)
        want = 1;
      nr_pick_cpus (ctx->in->topo, &shared, NULL, want, &picked);
      nr_set_union (&out->cpus, &picked);
    }
  return ! nr_set_is_empty (&out->cpus);
}
