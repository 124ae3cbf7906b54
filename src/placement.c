/* numa-runtime: the placement decision.  See placement.h for the rules.  */
#include <config.h>

#include "placement_context.h"
#include "util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

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
}

static void
compute_rooms (struct context *ctx)
{
  const struct nr_topology *topo = ctx->in->topo;
  const struct nr_config *config = ctx->in->config;

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

      r->node = &topo->nodes[i];
      nr_set_count_minus (&r->node->cpus, &ctx->withheld_cpus, &u->exclusive, &n_pool, &n_shared);
      r->n_shared = n_shared;
      r->cpu_capacity = (int64_t) n_pool * 1000;
      /* Ledger and meminfo values can be anything: saturate.  */
      r->cpu_free = sat_sub (r->cpu_capacity, u->load);
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
      /* Keep one CPU in the shared pool: the node's other containers
         must still have somewhere to run.  */
      r->exclusive_free = n_shared - 1;
      if (r->exclusive_free < 0)
        r->exclusive_free = 0;
      r->load = u->load;
      r->llc_needed = placement_llc_needed (ctx, i);
      r->hints = 0;
      for (size_t h = 0; h < ctx->in->req->n_hints; h++)
        r->hints += ctx->in->req->hints[h].node == r->node->id;
    }
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
placement_prepare (struct context *ctx)
{
  compute_demand (ctx);
  compute_rooms (ctx);
  placement_tier_domains (ctx);
}

void
placement_index_set_to_nodes (const struct context *ctx, const nr_set_t *idx, nr_set_t *nodes)
{
  nr_set_clear (nodes);
  for (int i = nr_set_next (idx, 0); i >= 0; i = nr_set_next (idx, i + 1))
    nr_set_add (nodes, ctx->rooms[i].node->id);
}

/* ---- CPUs for the chosen nodes ---------------------------------------- */

/* Hold D->exclusive CPUs of CHOSEN for the container.  False (nothing
   held) when the nodes cannot spare that many.  */
static bool
assign_exclusive (const struct context *ctx, const nr_set_t *chosen, struct nr_placement *out)
{
  const struct demand *d = &ctx->demand;
  int n = nr_set_count (chosen);
  int left = d->exclusive, k = 0;

  for (int i = nr_set_next (chosen, 0); i >= 0; i = nr_set_next (chosen, i + 1), k++)
    {
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

/* ---- the rules --------------------------------------------------------- */

/* Rule 1: kubelet's CPU or Memory Manager already chose.  */
static void
keep_kubelet_choice (const struct context *ctx, struct nr_placement *out)
{
  const struct nr_request *req = ctx->in->req;
  const struct nr_topology *topo = ctx->in->topo;

  nr_set_clear (&out->nodes);
  if (req->has_mems)
    out->nodes = req->mems;
  else
    for (int i = 0; i < topo->n_nodes; i++)
      if (nr_set_intersects (&topo->nodes[i].cpus, &req->cpus))
        nr_set_add (&out->nodes, topo->nodes[i].id);
  if (req->has_cpus)
    out->cpus = req->cpus;
  else
    nr_topology_cpus_of (topo, &out->nodes, &out->cpus);
  out->keep_cpus = req->has_cpus;
  out->keep_mems = req->has_mems;
  out->millicpus = ctx->demand.unlimited ? 0 : ctx->demand.millicpus;
  out->load = ctx->demand.millicpus;
  out->memory = ctx->demand.memory;
  out->hugepages = ctx->demand.hugepages;
  /* Kubelet's mems may name memory-only nodes: NUMA_NODE and the CPU
     charge stay on the CPU nodes, the memory is charged evenly.  */
  out->mems = out->nodes;
  for (int i = 0; i < topo->n_nodes; i++)
    if (nr_set_is_empty (&topo->nodes[i].cpus) && nr_set_has (&out->nodes, topo->nodes[i].id))
      nr_set_remove (&out->nodes, topo->nodes[i].id);
  if (nr_set_is_empty (&out->nodes))
    out->nodes = out->mems;
  {
    /* The CPU nodes' share, without overflow; no mems at all: all local.  */
    int64_t n_mems = nr_set_count (&out->mems), n_local = nr_set_count (&out->nodes);
    out->memory_local =
        n_mems > 0 ? out->memory / n_mems * n_local + out->memory % n_mems * n_local / n_mems
                   : out->memory;
  }
  out->tiers = NR_TIERS_OFF;
  if (! nr_set_is_empty (&ctx->hint_nodes) && ! nr_set_is_subset (&ctx->hint_nodes, &out->nodes))
    add_warning (out, "kubelet's cpuset keeps the container away from its devices' node(s)");
}

/* Rule 2: a fixed set of nodes (annotation or pod).  */
static int
place_on (const struct context *ctx, const nr_set_t *nodes, const char *what,
          struct nr_placement *out, nr_error_t *err)
{
  nr_set_t idx;

  placement_nodes_to_index_set (ctx, nodes, &idx);
  if (nr_set_is_empty (&idx))
    {
      cleanup_free char *list = nr_set_format (nodes);
      if (placement_strict (ctx))
        {
          cleanup_free char *why =
              xasprintf ("the requested nodes do not exist or have no CPU (%s: %s)", what, list);
          return placement_refuse (ctx, err, why);
        }
      add_warning (out, "%s %s: no such node with CPUs; placing freely", what, list);
      return 1;
    }
  if (ctx->resolved.policy == NR_POLICY_SINGLE_NUMA_NODE && nr_set_count (&idx) > 1)
    return placement_refuse (ctx, err, "asked for several nodes");
  if (! placement_fits (ctx, &idx))
    {
      cleanup_free char *list = nr_set_format (nodes);
      cleanup_free char *why = xasprintf ("it does not fit on %s %s", what, list);
      if (placement_strict (ctx))
        return placement_refuse (ctx, err, why);
      add_warning (out, "%s", why);
    }
  if (! nr_set_is_empty (&ctx->hint_nodes) && ! nr_set_is_subset (&ctx->hint_nodes, nodes))
    add_warning (out, "%s keeps the container away from its devices' node(s)", what);
  placement_finish (ctx, &idx, out);
  return 0;
}

/* Rules 3-5.  */
static int
place_freely (const struct context *ctx, struct nr_placement *out, nr_error_t *err)
{
  const struct nr_request *req = ctx->in->req;
  nr_set_t candidates, preferred, chosen;
  int n_usable;

  nr_set_clear (&candidates);
  for (int i = 0; i < ctx->in->topo->n_nodes; i++)
    if (usable (&ctx->rooms[i]))
      nr_set_add (&candidates, i);
  n_usable = nr_set_count (&candidates);
  if (n_usable == 0)
    return nr_make_error (err, 0, "the host has no NUMA node with usable CPUs");

  if (req->span > 1)
    {
      int k = req->span < n_usable ? req->span : n_usable;
      if (ctx->resolved.policy == NR_POLICY_SINGLE_NUMA_NODE)
        return placement_refuse (ctx, err, "it asks to span several nodes");
      if (placement_choose_set (ctx, k, &candidates, true, &chosen)
          || (! placement_strict (ctx)
              && placement_choose_set (ctx, k, &candidates, false, &chosen)))
        {
          if (! placement_fits (ctx, &chosen))
            add_warning (out, "it does not fit on %d nodes; placed anyway", k);
          placement_finish (ctx, &chosen, out);
          return 0;
        }
      return placement_refuse (ctx, err, "no set of nodes of that size fits it");
    }

  /* Rule 3: the nodes holding most device hints.  */
  preferred = candidates;
  if (! nr_set_is_empty (&ctx->hint_nodes))
    {
      int most = 0;
      for (int i = nr_set_next (&candidates, 0); i >= 0; i = nr_set_next (&candidates, i + 1))
        if (ctx->rooms[i].hints > most)
          most = ctx->rooms[i].hints;
      nr_set_clear (&preferred);
      for (int i = nr_set_next (&candidates, 0); i >= 0; i = nr_set_next (&candidates, i + 1))
        if (most > 0 && ctx->rooms[i].hints == most)
          nr_set_add (&preferred, i);
      if (nr_set_count (&ctx->hint_nodes) > 1)
        {
          cleanup_free char *list = nr_set_format (&ctx->hint_nodes);
          int r = placement_span_devices (ctx, out, err);
          if (r <= 0)
            return r;
          add_warning (out,
                       "it does not fit on its devices' nodes %s; chose among the nodes holding "
                       "most of them, by load",
                       list);
        }
      if (nr_set_is_empty (&preferred))
        preferred = candidates;
    }

  /* Rule 4: one node that fits, with the most headroom.  */
  if (placement_choose_node (ctx, &preferred, true, &chosen))
    {
      placement_finish (ctx, &chosen, out);
      return 0;
    }
  if (ctx->resolved.policy == NR_POLICY_SINGLE_NUMA_NODE)
    return placement_refuse (ctx, err,
                             nr_set_is_empty (&ctx->hint_nodes)
                                 ? "it fits on no single node"
                                 : "it does not fit on its devices' node");
  if (ctx->resolved.policy == NR_POLICY_RESTRICTED)
    return placement_refuse (ctx, err,
                             nr_set_is_empty (&ctx->hint_nodes)
                                 ? "it fits on no node"
                                 : "it does not fit on its devices' node");

  /* Rule 5 (best-effort): the closest set of nodes that fits.  */
  for (int k = 2; k <= n_usable; k++)
    if (placement_choose_set (ctx, k, &candidates, true, &chosen))
      {
        add_warning (out, "too big for one node: spanning %d nodes", k);
        placement_finish (ctx, &chosen, out);
        return 0;
      }
  placement_choose_node (ctx, &preferred, false, &chosen);
  add_warning (out, "it fits nowhere; placed on the least-loaded node");
  placement_finish (ctx, &chosen, out);
  return 0;
}

/* What placement knows before it applies its rules: the policy in force,
   the demand and what each node offers.  */
static void
set_up_context (const struct nr_placement_input *in, struct node_room *rooms, struct context *ctx)
{
  memset (ctx, 0, sizeof (*ctx));
  ctx->in = in;
  ctx->rooms = rooms;
  nr_request_resolve (in->req, in->config, &ctx->resolved);
  placement_prepare (ctx);
}

void
nr_placement_offers (const struct nr_placement_input *in, struct nr_node_offer *offers)
{
  cleanup_free struct node_room *rooms = xmalloc ((size_t) in->topo->n_nodes * sizeof (*rooms));
  struct context ctx;

  set_up_context (in, rooms, &ctx);
  for (int i = 0; i < in->topo->n_nodes; i++)
    offers[i] = (struct nr_node_offer){
      .node = rooms[i].node->id,
      .usable = usable (&rooms[i]),
      .cpu_capacity = rooms[i].cpu_capacity,
      .cpu_free = rooms[i].cpu_free,
      .mem_free = rooms[i].mem_free,
      .huge_free = rooms[i].huge_free,
      .exclusive_free = rooms[i].exclusive_free,
      .hints = rooms[i].hints,
      .tier_free = rooms[i].tier_free,
    };
}

/* Rules 1-5 in turn.  */
static int
place_by_rules (const struct context *ctx, struct nr_placement *out, nr_error_t *err)
{
  const struct nr_request *req = ctx->in->req;
  int r;

  if ((req->has_cpus || req->has_mems) && ! ctx->in->config->kubelet_override)
    {
      keep_kubelet_choice (ctx, out);
      if (nr_set_is_empty (&out->nodes))
        {
          /* Found by fuzzing: a cpuset of CPUs the host does not have
             would leave mems and NUMA_NODE empty.  */
          cleanup_free char *cpus = nr_set_format (&req->cpus);
          return nr_make_error (err, 0, "linux.resources.cpu.cpus `%s` names no CPU of this host",
                                cpus);
        }
      return 0;
    }
  if (! nr_set_is_empty (&req->nodes_wanted))
    {
      r = place_on (ctx, &req->nodes_wanted,
                    req->pin_from_env ? "NUMA_NODE in its env" : "the annotation's nodes", out,
                    err);
      if (r <= 0)
        return r;
    }
  if (! nr_set_is_empty (&ctx->in->pod_nodes))
    {
      r = placement_move_pod (ctx, out, err);
      if (r <= 0)
        return r;
      r = place_on (ctx, &ctx->in->pod_nodes, "its pod's node(s)", out, err);
      if (r <= 0)
        return r;
    }
  return place_freely (ctx, out, err);
}

/* NUMA_NODE came with the spec (a device plugin's choice) and is about to
   be written over: refused where the policy forbids it, else said.  */
static int
check_env_pin (const struct context *ctx, struct nr_placement *out, nr_error_t *err)
{
  const nr_set_t *asked = &ctx->in->req->nodes_wanted;
  cleanup_free char *asked_list = NULL;
  cleanup_free char *got_list = NULL;
  cleanup_free char *why = NULL;

  if (! ctx->in->req->pin_from_env || nr_set_equal (asked, &out->nodes))
    return 0;
  asked_list = nr_set_format (asked);
  got_list = nr_set_format (&out->nodes);
  why =
      xasprintf ("its spec's NUMA_NODE=%s (a device plugin's choice) cannot be met: %s", asked_list,
                 out->keep_cpus || out->keep_mems ? "kubelet's cpuset is on other node(s)"
                                                  : "no such node with CPUs");
  if (placement_strict (ctx))
    return placement_refuse (ctx, err, why);
  /* A node that does not exist place_on has already said.  */
  if (out->keep_cpus || out->keep_mems)
    add_warning (out, "%s; placed on node(s) %s", why, got_list);
  return 0;
}

int
nr_place (const struct nr_placement_input *in, struct nr_placement *out, nr_error_t *err)
{
  const struct nr_request *req = in->req;
  /* compute_rooms and placement_tier_domains set every field.  */
  cleanup_free struct node_room *rooms = xmalloc ((size_t) in->topo->n_nodes * sizeof (*rooms));
  struct context ctx;

  memset (out, 0, sizeof (*out));
  set_up_context (in, rooms, &ctx);

  if (ctx.exclusive_withdrawn && placement_strict (&ctx))
    return nr_make_error (err, 0,
                          "container %s: no exclusive CPUs from numa-runtime while kubelet's CPU "
                          "Manager runs the static policy (it hands out exclusive CPUs itself "
                          "and cannot see ours): give the pod Guaranteed QoS with whole CPUs for "
                          "kubelet to pin, or set numa-runtime.io/cpu-allocation: shared",
                          req->id ? req->id : "?");
  if (place_by_rules (&ctx, out, err) < 0 || check_env_pin (&ctx, out, err) < 0
      || placement_check_llc (&ctx, out, err) < 0)
    {
      nr_placement_free (out);
      return -1;
    }
  if (ctx.exclusive_withdrawn)
    add_warning (out, "sharing the pool instead of holding CPUs exclusively: kubelet's CPU "
                      "Manager runs the static policy and hands out exclusive CPUs itself");
  return 0;
}

void
nr_placement_free (struct nr_placement *placement)
{
  for (size_t i = 0; i < placement->n_moved; i++)
    nr_ledger_entry_free (&placement->moved[i]);
  free (placement->moved);
  free (placement->warning);
  memset (placement, 0, sizeof (*placement));
}
