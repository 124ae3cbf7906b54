/* numa-runtime: the steps every placement file shares (placement_context.h):
   node rooms' CPU sets, node ids of index sets, warnings, strictness.  */
#include <config.h>

#include "placement_context.h"
#include "util.h"

#include <stdarg.h>

bool
placement_strict (const struct context *ctx)
{
  return ctx->resolved.strict;
}

void
add_warning (struct nr_placement *out, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  msg = try_vasprintf (fmt, ap);
  va_end (ap);
  if (msg == NULL)
    return;
  if (out->warning)
    {
      char *joined = xasprintf ("%s; %s", out->warning, msg);
      free (out->warning);
      out->warning = joined;
    }
  else
    out->warning = steal_pointer (&msg);
}

void
room_pool (const struct context *ctx, int i, nr_set_t *pool)
{
  nr_set_difference (pool, &ctx->rooms[i].node->cpus, &ctx->withheld_cpus);
}

void
room_shared (const struct context *ctx, int i, nr_set_t *shared)
{
  nr_set_t pool;

  room_pool (ctx, i, &pool);
  nr_set_difference (shared, &pool, &ctx->in->usage[i].exclusive);
}

void
placement_index_set_to_nodes (const struct context *ctx, const nr_set_t *idx, nr_set_t *nodes)
{
  nr_set_clear (nodes);
  for (int i = nr_set_next (idx, 0); i >= 0; i = nr_set_next (idx, i + 1))
    nr_set_add (nodes, ctx->rooms[i].node->id);
}
