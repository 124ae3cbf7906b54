/* numa-runtime: the placement decision.  See placement.h for the rules.  */
#include <config.h>

#include "placement.h"
#include "placement_context.h"
#include "util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

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

/* The container asks to span K nodes (the spread annotation).  */
static int
place_spanning (const struct context *ctx, int k, const nr_set_t *candidates,
                struct nr_placement *out, nr_error_t *err)
{
  nr_set_t chosen;

  if (ctx->resolved.policy == NR_POLICY_SINGLE_NUMA_NODE)
    return placement_refuse (ctx, err, "it asks to span several nodes");
  if (placement_choose_set (ctx, k, candidates, true, &chosen)
      || (! placement_strict (ctx) && placement_choose_set (ctx, k, candidates, false, &chosen)))
    {
      if (! placement_fits (ctx, &chosen))
        add_warning (out, "it does not fit on %d nodes; placed anyway", k);
      placement_finish (ctx, &chosen, out);
      return 0;
    }
  return placement_refuse (ctx, err, "no set of nodes of that size fits it");
}

/* Rule 3: *PREFERRED, the CANDIDATES holding most of the container's
   device hints (all CANDIDATES without hints).  Devices on several nodes
   span them when they fit (returns 0, or -1 refused); 1 to go on.  */
static int
prefer_device_nodes (const struct context *ctx, const nr_set_t *candidates, nr_set_t *preferred,
                     struct nr_placement *out, nr_error_t *err)
{
  int most = 0;

  *preferred = *candidates;
  if (nr_set_is_empty (&ctx->hint_nodes))
    return 1;
  for (int i = nr_set_next (candidates, 0); i >= 0; i = nr_set_next (candidates, i + 1))
    if (ctx->rooms[i].hints > most)
      most = ctx->rooms[i].hints;
  nr_set_clear (preferred);
  for (int i = nr_set_next (candidates, 0); i >= 0; i = nr_set_next (candidates, i + 1))
    if (most > 0 && ctx->rooms[i].hints == most)
      nr_set_add (preferred, i);
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
  if (nr_set_is_empty (preferred))
    *preferred = *candidates;
  return 1;
}

/* Rules 3-5.  */
static int
place_freely (const struct context *ctx, struct nr_placement *out, nr_error_t *err)
{
  const struct nr_request *req = ctx->in->req;
  nr_set_t candidates, preferred, chosen;
  int n_usable, first_span, span, r;

  nr_set_clear (&candidates);
  for (int i = 0; i < ctx->in->topo->n_nodes; i++)
    if (usable (&ctx->rooms[i]))
      nr_set_add (&candidates, i);
  n_usable = nr_set_count (&candidates);
  if (n_usable == 0)
    return nr_make_error (err, 0, "the host has no NUMA node with usable CPUs");

  if (req->span > 1)
    return place_spanning (ctx, req->span < n_usable ? req->span : n_usable, &candidates, out, err);

  /* Rule 3: the nodes holding most device hints.  */
  r = prefer_device_nodes (ctx, &candidates, &preferred, out, err);
  if (r <= 0)
    return r;

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

  /* Rule 5 (best-effort): the closest of the smallest sets of nodes that
     fit, from the fewest nodes that could hold it.  */
  first_span = placement_fewest_nodes (ctx, &candidates);
  span = first_span > n_usable ? 0
                               : placement_choose_smallest_set (
                                   ctx, &candidates, first_span > 2 ? first_span : 2, &chosen);
  if (span > 0)
    {
      add_warning (out, "too big for one node: spanning %d nodes", span);
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

void
cleanup_placementp (struct nr_placement *placement)
{
  nr_placement_free (placement);
}
