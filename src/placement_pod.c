/* numa-runtime: a pod goes where its devices are.
 *
 * kubelet creates a pod's sandbox before any of its containers, and the
 * sandbox carries no device: unless kubelet's checkpoint told us where the
 * pod's devices are (kubelet_checkpoint.c), the sandbox lands by load
 * alone.  When a container of the pod then brings a device on another
 * node, following the sandbox would leave the one container that matters
 * away from its device.  So the pod follows the device instead: every
 * entry of the pod is re-placed on the device's node(s) here, and the
 * caller updates the containers already running through the runtime.
 *
 * The pod's other containers keep their devices: each ledger entry
 * records its devices' nodes, and the pod moves to the union of those and
 * the new container's, spanning them where they differ (refused under
 * single-numa-node), never away from a device it already holds.
 *
 * Devices on several nodes: the container spans exactly those nodes, with
 * CPUs from each in proportion to its devices there.  */
#include <config.h>

#include "placement_context.h"
#include "util.h"

#include <string.h>

/* The usable node indexes holding the container's devices, in *IDX.
   False when it has none.  */
static bool
device_index_set (const struct context *ctx, nr_set_t *idx)
{
  placement_nodes_to_index_set (ctx, &ctx->hint_nodes, idx);
  return ! nr_set_is_empty (idx);
}

/* The usable node indexes of the devices the pod's entries hold, in
 *IDX.  */
static void
pod_device_index_set (const struct context *ctx, nr_set_t *idx)
{
  nr_set_t nodes;

  nr_set_clear (&nodes);
  for (size_t e = 0; e < ctx->in->n_pod_entries; e++)
    nr_set_union (&nodes, &ctx->in->pod_entries[e].device_nodes);
  placement_nodes_to_index_set (ctx, &nodes, idx);
}

/* TO: entry FROM re-placed on the nodes of TARGET (topo indexes), with
   CTX's usage (what the rest of the host and the pod's entries moved so
   far hold).  It keeps its charge; it gets the shared CPUs of TARGET, or
   as many CPUs held exclusively as it held before.  */
static void
move_entry (const struct context *ctx, const nr_set_t *target, const struct nr_ledger_entry *from,
            struct nr_ledger_entry *to)
{
  int want = nr_set_count (&from->exclusive);

  nr_ledger_entry_copy (to, from);
  placement_index_set_to_nodes (ctx, target, &to->nodes);
  to->mems = to->nodes;
  to->memory_local = to->memory;
  nr_set_clear (&to->cpus);
  nr_set_clear (&to->exclusive);
  for (int i = nr_set_next (target, 0); i >= 0 && want > 0; i = nr_set_next (target, i + 1))
    {
      nr_set_t picked;
      want -= placement_pick_exclusive (ctx, i, want, &picked);
      nr_set_union (&to->exclusive, &picked);
    }
  if (want > 0)
    nr_set_clear (&to->exclusive); /* not enough: it shares the pool */
  if (! nr_set_is_empty (&to->exclusive))
    {
      to->cpus = to->exclusive;
      return;
    }
  to->load = to->millicpus > 0 ? to->millicpus : to->load;
  for (int i = nr_set_next (target, 0); i >= 0; i = nr_set_next (target, i + 1))
    {
      nr_set_t shared;
      room_shared (ctx, i, &shared);
      nr_set_union (&to->cpus, &shared);
    }
}

/* Re-place every entry of the pod on TARGET, those holding CPUs
   exclusively first; USAGE (the host without the pod) takes each moved
   entry's charge.  MOVED gets N_POD_ENTRIES entries.  */
static void
move_entries (const struct context *ctx, const nr_set_t *target, struct nr_node_usage *usage,
              struct nr_ledger_entry *moved)
{
  const struct nr_placement_input *in = ctx->in;
  size_t k = 0;

  for (int pass = 0; pass < 2; pass++)
    for (size_t e = 0; e < in->n_pod_entries; e++)
      {
        const struct nr_ledger_entry *from = &in->pod_entries[e];
        if (nr_set_is_empty (&from->exclusive) == (pass == 0))
          continue;
        move_entry (ctx, target, from, &moved[k]);
        nr_usage_account (usage, (size_t) in->topo->n_nodes, &moved[k], +1);
        k++;
      }
}

/* A reason the pod cannot move at all: an entry whose cpuset kubelet's
   CPU Manager chose (it is kubelet's to change).  NULL when it can.  */
static char *
why_pod_stays (const struct nr_placement_input *in)
{
  for (size_t e = 0; e < in->n_pod_entries; e++)
    if (in->pod_entries[e].kubelet_cpus)
      return xasprintf ("its pod's container %s keeps the cpuset kubelet gave it",
                        in->pod_entries[e].id);
  return NULL;
}

/* Not moving although the devices are elsewhere: refused under restricted
   and single-numa-node, a warning under best-effort (returns 1).  */
static int
stay (const struct context *ctx, struct nr_placement *out, nr_error_t *err, const char *why)
{
  if (placement_strict (ctx))
    return placement_refuse (ctx, err, why);
  add_warning (out, "%s; it follows its pod, away from its devices", why);
  return 1;
}

/* Does the whole pod — its entries' charges and the container's — fit on
   TARGET, CTX's usage being the host without the pod?  The container
   alone may be prepaid by its sandbox; the sandbox is not.  */
static bool
pod_fits (const struct context *ctx, const nr_set_t *target)
{
  const struct nr_placement_input *in = ctx->in;
  struct context whole = *ctx;
  struct demand *d = &whole.demand;

  if (d->prepaid)
    {
      d->millicpus = 0;
      d->memory = 0;
    }
  d->prepaid = false;
  d->unlimited = false;
  for (size_t e = 0; e < in->n_pod_entries; e++)
    {
      const struct nr_ledger_entry *entry = &in->pod_entries[e];
      d->millicpus = sat_add (d->millicpus, entry->load > 0 ? entry->load : 0);
      d->memory = sat_add (d->memory, entry->memory > 0 ? entry->memory : 0);
      d->hugepages = sat_add (d->hugepages, entry->hugepages > 0 ? entry->hugepages : 0);
      d->exclusive += nr_set_count (&entry->exclusive);
    }
  d->exclusive_room = d->exclusive;
  return placement_fits (&whole, target);
}

/* Place the container, the pod moved to TARGET, into OUT; 1 when it
   does not fit there (OUT untouched).  */
static int
place_with_pod_moved (const struct context *ctx, const nr_set_t *target, struct nr_placement *out)
{
  const struct nr_placement_input *in = ctx->in;
  size_t n_nodes = (size_t) in->topo->n_nodes;
  cleanup_free struct nr_node_usage *usage = xmalloc (n_nodes * sizeof (*usage));
  cleanup_free struct node_room *rooms = xmalloc (n_nodes * sizeof (*rooms));
  struct nr_ledger_entry *moved = NULL;
  struct nr_placement_input moved_in = *in;
  struct context moved_ctx = *ctx;

  memcpy (usage, in->usage, n_nodes * sizeof (*usage));
  for (size_t e = 0; e < in->n_pod_entries; e++)
    nr_usage_account (usage, n_nodes, &in->pod_entries[e], -1);
  moved_in.usage = usage;
  placement_index_set_to_nodes (ctx, target, &moved_in.pod_nodes);
  moved_ctx.in = &moved_in;
  moved_ctx.rooms = rooms;
  placement_prepare (&moved_ctx);
  if (! pod_fits (&moved_ctx, target))
    return 1;
  moved = xmalloc0 (in->n_pod_entries * sizeof (*moved));
  move_entries (&moved_ctx, target, usage, moved);
  /* Now with the pod's entries in place.  */
  placement_prepare (&moved_ctx);
  moved_ctx.by_devices = nr_set_count (target) > 1;
  placement_finish (&moved_ctx, target, out);
  out->moved = moved;
  out->n_moved = in->n_pod_entries;
  return 0;
}

/* Why the pod cannot go where all its devices are under
   single-numa-node: they sit on several nodes.  */
static int
refuse_devices_apart (const struct context *ctx, const nr_set_t *own, const nr_set_t *held,
                      nr_error_t *err)
{
  nr_set_t own_nodes, held_nodes;
  cleanup_free char *own_list = NULL;
  cleanup_free char *held_list = NULL;
  cleanup_free char *why = NULL;

  placement_index_set_to_nodes (ctx, own, &own_nodes);
  placement_index_set_to_nodes (ctx, held, &held_nodes);
  own_list = nr_set_format (&own_nodes);
  held_list = nr_set_format (&held_nodes);
  if (nr_set_count (own) > 1 || nr_set_is_subset (held, own))
    why = xasprintf ("its devices sit on nodes %s and no node holds all of them", own_list);
  else
    why = xasprintf ("its devices sit on node(s) %s and its pod's other containers' on node(s) "
                     "%s: no node holds all of them",
                     own_list, held_list);
  return placement_refuse (ctx, err, why);
}

int
placement_move_pod (const struct context *ctx, struct nr_placement *out, nr_error_t *err)
{
  const struct nr_placement_input *in = ctx->in;
  nr_set_t target, own, held, pod_idx, target_nodes;
  cleanup_free char *devices = NULL;
  cleanup_free char *why = NULL;

  placement_nodes_to_index_set (ctx, &in->pod_nodes, &pod_idx);
  if (! device_index_set (ctx, &own))
    return 1;
  pod_device_index_set (ctx, &held);
  target = own;
  nr_set_union (&target, &held);
  if (nr_set_is_subset (&target, &pod_idx))
    return 1;
  placement_index_set_to_nodes (ctx, &target, &target_nodes);
  devices = nr_set_format (&target_nodes);
  if (in->n_pod_entries == 0)
    {
      /* Nothing to move (the ledger could not list the pod): it follows
         its pod, which only best-effort allows.  */
      if (! placement_strict (ctx))
        return 1;
      why = xasprintf ("its pod stands off its devices' node(s) %s and cannot be moved", devices);
      return placement_refuse (ctx, err, why);
    }
  if (ctx->resolved.policy == NR_POLICY_SINGLE_NUMA_NODE && nr_set_count (&target) > 1)
    return refuse_devices_apart (ctx, &own, &held, err);
  why = why_pod_stays (in);
  if (why)
    return stay (ctx, out, err, why);
  if (place_with_pod_moved (ctx, &target, out) == 0)
    return 0;
  free (why);
  why = xasprintf ("its pod does not fit on its devices' node(s) %s", devices);
  return stay (ctx, out, err, why);
}

int
placement_span_devices (const struct context *ctx, struct nr_placement *out, nr_error_t *err)
{
  cleanup_free char *list = nr_set_format (&ctx->hint_nodes);
  cleanup_free char *why = NULL;
  struct context spanning = *ctx;
  nr_set_t target;

  if (ctx->resolved.policy == NR_POLICY_SINGLE_NUMA_NODE)
    {
      why = xasprintf ("its devices sit on nodes %s and no node holds all of them", list);
      return placement_refuse (ctx, err, why);
    }
  device_index_set (ctx, &target);
  if (! placement_fits (ctx, &target))
    {
      if (! placement_strict (ctx))
        return 1;
      why = xasprintf ("it does not fit on its devices' nodes %s", list);
      return placement_refuse (ctx, err, why);
    }
  spanning.by_devices = true;
  placement_finish (&spanning, &target, out);
  return 0;
}
