/* numa-runtime: what placement asks of the cache groups (cpu_groups.c):
   how many groups a node would give an exclusive demand, for choosing the
   node, and the cpu-alignment llc check of a finished placement.  */
#include <config.h>

#include "placement_context.h"
#include "util.h"

/* How many cache groups node index I would give the exclusive demand:
   the node whose groups hold it in the fewest is the better home.  0 when
   that does not apply.  */
int
placement_llc_needed (const struct context *ctx, int i)
{
  const struct nr_topology *topo = ctx->in->topo;
  nr_set_t shared;
  int groups_here = 0;

  if (ctx->demand.exclusive_room <= 0 || topo->n_llc == 0 || ctx->in->req->isolated)
    return 0;
  /* A node that is one group (or none): no pick needed to know, which
     keeps a create on 64 such nodes linear.  */
  for (int g = 0; g < topo->n_llc && groups_here < 2; g++)
    groups_here += topo->llc_node[g] == i;
  if (groups_here < 2)
    return groups_here == 1 && ctx->rooms[i].exclusive_free >= ctx->demand.exclusive_room ? 1 : 0;
  room_shared (ctx, i, &shared);
  return nr_count_groups (topo, &shared, &ctx->in->usage[i].exclusive, ctx->demand.exclusive_room);
}

/* The fewest cache groups of the nodes in NODES (ids) that COUNT CPUs
   need on an empty machine: the largest groups first.  0 when the nodes
   have no groups.  */
static int
fewest_groups (const struct nr_topology *topo, const nr_set_t *nodes, int count)
{
  int used = 0;
  nr_set_t taken;

  nr_set_clear (&taken);
  while (count > 0)
    {
      int best = -1;
      for (int g = 0; g < topo->n_llc; g++)
        if (! nr_set_has (&taken, g) && nr_set_has (nodes, topo->nodes[topo->llc_node[g]].id)
            && (best < 0 || nr_set_count (&topo->llc[g]) > nr_set_count (&topo->llc[best])))
          best = g;
      if (best < 0)
        return used;
      nr_set_add (&taken, best);
      count -= nr_set_count (&topo->llc[best]);
      used++;
    }
  return used;
}

/* numa-runtime.io/cpu-alignment: llc (or [placement] cpu_alignment = llc):
   exclusive CPUs in more cache groups than their count needs, or none
   held, are a refusal rather than a compromise.  */
int
placement_check_llc (const struct context *ctx, const struct nr_placement *out, nr_error_t *err)
{
  const struct nr_topology *topo = ctx->in->topo;
  int touched = 0, fewest;

  if (! ctx->resolved.llc_strict || ctx->demand.exclusive <= 0 || topo->n_llc == 0
      || out->keep_cpus)
    return 0;
  for (int g = 0; g < topo->n_llc; g++)
    touched += nr_set_intersects (&topo->llc[g], &out->exclusive);
  fewest = fewest_groups (topo, &out->nodes, ctx->demand.exclusive);
  if (! nr_set_is_empty (&out->exclusive) && touched <= fewest)
    return 0;
  {
    cleanup_free char *why = xasprintf ("%d exclusive CPUs fit in no %d cache group(s) "
                                        "(cpu alignment llc)",
                                        ctx->demand.exclusive, fewest);
    return placement_refuse (ctx, err, why);
  }
}
