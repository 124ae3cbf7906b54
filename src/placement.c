/* numa-runtime: the placement decision.  See placement.h for the rules.  */
#include <config.h>

#include "placement_internal.h"
#include "util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <limits.h>
#include <string.h>

enum nr_policy
nr_effective_policy (const struct nr_request *req, const struct nr_config *config)
{
  return req->has_policy ? req->policy : config->policy;
}

bool
placement_strict (const struct context *ctx)
{
  return ctx->policy == NR_POLICY_RESTRICTED || ctx->policy == NR_POLICY_SINGLE_NUMA_NODE;
}

static void add_warning (struct nr_placement *out, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
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
  bool exclusive = req->has_exclusive ? req->exclusive : config->cpu_exclusive;
  struct demand *d = &ctx->demand;

  memset (d, 0, sizeof (*d));
  d->unlimited = req->millicpus <= 0;
  d->millicpus = d->unlimited ? config->best_effort_millicpus : req->millicpus;
  d->memory = req->memory;
  d->hugepages = req->hugepages;
  /* Whole CPUs only, as the CPU Manager's static policy: a fractional
     request shares the pool.  A sandbox never pins CPUs.  */
  if (exclusive && ! req->sandbox && req->millicpus >= 1000 && req->millicpus % 1000 == 0)
    d->exclusive = req->millicpus / 1000 > INT_MAX ? INT_MAX : (int) (req->millicpus / 1000);
  d->prepaid = ctx->in->pod_reserved && ! req->sandbox;
}

static void
compute_rooms (struct context *ctx)
{
  const struct nr_topology *topo = ctx->in->topo;
  const struct nr_config *config = ctx->in->config;

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
      nr_set_count_minus (&r->node->cpus, &config->reserved_cpus, &u->exclusive, &n_pool,
                          &n_shared);
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
      /* Keep one CPU in the shared pool: the node's other containers
         must still have somewhere to run.  */
      r->exclusive_free = n_shared - 1;
      if (r->exclusive_free < 0)
        r->exclusive_free = 0;
      r->load = u->load;
      r->hints = 0;
      for (size_t h = 0; h < ctx->in->req->n_hints; h++)
        r->hints += ctx->in->req->hints[h].node == r->node->id;
    }
}

static bool
usable (const struct node_room *r)
{
  return r->cpu_capacity > 0;
}

void
room_pool (const struct context *ctx, int i, nr_set_t *pool)
{
  nr_set_difference (pool, &ctx->rooms[i].node->cpus, &ctx->in->config->reserved_cpus);
}

void
room_shared (const struct context *ctx, int i, nr_set_t *shared)
{
  nr_set_t pool;

  room_pool (ctx, i, &pool);
  nr_set_difference (shared, &pool, &ctx->in->usage[i].exclusive);
}

/* Does the container fit in what nodes offer together?  */
static bool
fits_in (const struct context *ctx, int64_t cpu, int64_t mem, int64_t huge, int excl)
{
  const struct demand *d = &ctx->demand;

  if (! d->prepaid && ! d->unlimited && cpu < d->millicpus)
    return false;
  if (! d->prepaid && d->memory > 0 && mem < d->memory)
    return false;
  if (d->hugepages > 0 && huge < d->hugepages)
    return false;
  return excl >= d->exclusive;
}

/* Does the container fit on node index I (with its memory-only nodes)?  */
static bool
fits_one (const struct context *ctx, int i)
{
  const struct node_room *r = &ctx->rooms[i];
  return fits_in (ctx, r->cpu_free, sat_add (r->mem_free, r->tier_free), r->huge_free,
                  r->exclusive_free);
}

/* Does the container fit on the nodes of SET (topo indexes flagged)?  */
static bool
fits (const struct context *ctx, const nr_set_t *set)
{
  int64_t cpu = 0, mem = 0, huge = 0;
  int excl = 0;

  for (int i = nr_set_next (set, 0); i >= 0; i = nr_set_next (set, i + 1))
    {
      cpu = sat_add (cpu, ctx->rooms[i].cpu_free);
      /* A CPU node and its memory-only nodes are one domain.  */
      mem = sat_add (mem, sat_add (ctx->rooms[i].mem_free, ctx->rooms[i].tier_free));
      huge = sat_add (huge, ctx->rooms[i].huge_free);
      excl += ctx->rooms[i].exclusive_free;
    }
  return fits_in (ctx, cpu, mem, huge, excl);
}

static double headroom_of (const struct context *ctx, int64_t cpu_cap, int64_t cpu_free,
                           int64_t mem_cap, int64_t mem_free);

/* Headroom left on SET after placing: the smaller of the CPU and memory
   fractions left free.  */
static double
headroom (const struct context *ctx, const nr_set_t *set)
{
  int64_t cpu_cap = 0, cpu_free = 0, mem_cap = 0, mem_free = 0;

  for (int i = nr_set_next (set, 0); i >= 0; i = nr_set_next (set, i + 1))
    {
      cpu_cap = sat_add (cpu_cap, ctx->rooms[i].cpu_capacity);
      cpu_free = sat_add (cpu_free, ctx->rooms[i].cpu_free);
      mem_cap = sat_add (mem_cap, ctx->rooms[i].mem_capacity);
      mem_free = sat_add (mem_free, ctx->rooms[i].mem_free);
    }
  return headroom_of (ctx, cpu_cap, cpu_free, mem_cap, mem_free);
}

static double
headroom_of (const struct context *ctx, int64_t cpu_cap, int64_t cpu_free, int64_t mem_cap,
             int64_t mem_free)
{
  double cpu_frac, mem_frac;

  cpu_frac =
      cpu_cap > 0 ? (double) sat_sub (cpu_free, ctx->demand.millicpus) / (double) cpu_cap : 0;
  mem_frac = mem_cap > 0 ? (double) sat_sub (mem_free, ctx->demand.memory) / (double) mem_cap : 1;
  return cpu_frac < mem_frac ? cpu_frac : mem_frac;
}

static int64_t
set_load (const struct context *ctx, const nr_set_t *set)
{
  int64_t load = 0;
  for (int i = nr_set_next (set, 0); i >= 0; i = nr_set_next (set, i + 1))
    load = sat_add (load, ctx->rooms[i].load);
  return load;
}

/* Is A a better home than B (both topo index sets)?  */
static bool
better (const struct context *ctx, const nr_set_t *a, const nr_set_t *b)
{
  double ha = headroom (ctx, a), hb = headroom (ctx, b);
  int64_t la, lb;

  if (ha > hb + 1e-9)
    return true;
  if (hb > ha + 1e-9)
    return false;
  la = set_load (ctx, a);
  lb = set_load (ctx, b);
  if (la != lb)
    return la < lb;
  return nr_set_next (a, 0) < nr_set_next (b, 0);
}

/* ---- choosing node sets ------------------------------------------------ */

static void
index_set_to_nodes (const struct context *ctx, const nr_set_t *idx, nr_set_t *nodes)
{
  nr_set_clear (nodes);
  for (int i = nr_set_next (idx, 0); i >= 0; i = nr_set_next (idx, i + 1))
    nr_set_add (nodes, ctx->rooms[i].node->id);
}

static void
nodes_to_index_set (const struct context *ctx, const nr_set_t *nodes, nr_set_t *idx)
{
  nr_set_clear (idx);
  for (int i = 0; i < ctx->in->topo->n_nodes; i++)
    if (nr_set_has (nodes, ctx->rooms[i].node->id) && usable (&ctx->rooms[i]))
      nr_set_add (idx, i);
}

/* Sum of pairwise distances: smaller is closer.  */
static int
set_cost (const struct context *ctx, const nr_set_t *set)
{
  int cost = 0;
  for (int i = nr_set_next (set, 0); i >= 0; i = nr_set_next (set, i + 1))
    for (int j = nr_set_next (set, i + 1); j >= 0; j = nr_set_next (set, j + 1))
      cost += nr_topology_distance (ctx->in->topo, i, j);
  return cost;
}

/* SEED plus the K-1 nodes of CANDIDATES closest to it, taking nodes of
   HINTS (topo indexes) first.  */
static void
closest_set (const struct context *ctx, int seed, int k, const nr_set_t *candidates,
             const nr_set_t *hints, nr_set_t *set)
{
  nr_set_clear (set);
  nr_set_add (set, seed);
  for (int taken = 1; taken < k; taken++)
    {
      int best = -1;
      for (int j = nr_set_next (candidates, 0); j >= 0; j = nr_set_next (candidates, j + 1))
        {
          if (nr_set_has (set, j))
            continue;
          if (best >= 0 && nr_set_has (hints, best) != nr_set_has (hints, j))
            {
              if (nr_set_has (hints, j))
                best = j;
              continue;
            }
          if (best < 0
              || nr_topology_distance (ctx->in->topo, seed, j)
                     < nr_topology_distance (ctx->in->topo, seed, best))
            best = j;
        }
      if (best < 0)
        return;
      nr_set_add (set, best);
    }
}

/* The closest fitting set of exactly K nodes among CANDIDATES, preferring
   sets that hold every hinted node.  Returns false when none fits (or,
   with REQUIRE_FIT false, none exists).  */
static bool
choose_set (const struct context *ctx, int k, const nr_set_t *candidates, bool require_fit,
            nr_set_t *chosen)
{
  nr_set_t hint_idx;
  bool found = false, found_has_hints = false;
  int found_cost = 0;

  nodes_to_index_set (ctx, &ctx->hint_nodes, &hint_idx);
  for (int seed = nr_set_next (candidates, 0); seed >= 0; seed = nr_set_next (candidates, seed + 1))
    {
      nr_set_t set;
      bool has_hints;
      int cost;

      closest_set (ctx, seed, k, candidates, &hint_idx, &set);
      if (nr_set_count (&set) != k || (require_fit && ! fits (ctx, &set)))
        continue;
      has_hints = nr_set_is_subset (&hint_idx, &set);
      cost = set_cost (ctx, &set);
      if (found)
        {
          if (found_has_hints && ! has_hints)
            continue;
          if (has_hints == found_has_hints
              && (cost > found_cost || (cost == found_cost && ! better (ctx, &set, chosen))))
            continue;
        }
      *chosen = set;
      found = true;
      found_has_hints = has_hints;
      found_cost = cost;
    }
  return found;
}

/* Is node index A a better home than node index B: choose_set's order for
   single nodes (the hinted node, then headroom, load, lower index),
   without building sets, so that it costs one pass over the nodes.  */
static bool
better_one (const struct context *ctx, int a, int b, int hinted)
{
  const struct node_room *ra = &ctx->rooms[a], *rb = &ctx->rooms[b];
  double ha, hb;

  if (hinted >= -1 && (a == hinted) != (b == hinted))
    return a == hinted;
  ha = headroom_of (ctx, ra->cpu_capacity, ra->cpu_free, ra->mem_capacity, ra->mem_free);
  hb = headroom_of (ctx, rb->cpu_capacity, rb->cpu_free, rb->mem_capacity, rb->mem_free);
  if (ha > hb + 1e-9)
    return true;
  if (hb > ha + 1e-9)
    return false;
  if (ra->load != rb->load)
    return ra->load < rb->load;
  return a < b;
}

/* The best single node of CANDIDATES that fits (or any, without
   REQUIRE_FIT).  */
static bool
choose_node (const struct context *ctx, const nr_set_t *candidates, bool require_fit,
             nr_set_t *chosen)
{
  nr_set_t hint_idx;
  int best = -1, hinted = -1;

  /* A single node holds every hint only when there is one hinted node.  */
  nodes_to_index_set (ctx, &ctx->hint_nodes, &hint_idx);
  if (nr_set_count (&hint_idx) == 1)
    hinted = nr_set_next (&hint_idx, 0);
  else if (! nr_set_is_empty (&hint_idx))
    hinted = -2; /* none can: no preference */
  for (int i = nr_set_next (candidates, 0); i >= 0; i = nr_set_next (candidates, i + 1))
    {
      if (require_fit && ! fits_one (ctx, i))
        continue;
      if (best < 0 || better_one (ctx, i, best, hinted))
        best = i;
    }
  if (best < 0)
    return false;
  nr_set_clear (chosen);
  nr_set_add (chosen, best);
  return true;
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
      nr_set_t shared;
      int want = ctx->spread == NR_SPREAD_DISTRIBUTE
                     ? d->exclusive / n + (k < d->exclusive % n ? 1 : 0)
                     : left;
      nr_set_t picked;

      if (want > r->exclusive_free)
        want = r->exclusive_free;
      if (want > left)
        want = left;
      room_shared (ctx, i, &shared);
      left -= nr_pick_cpus (ctx->in->topo, &shared, want, &picked);
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
  if (ctx->demand.exclusive > 0)
    {
      if (assign_exclusive (ctx, chosen, out))
        return;
      add_warning (out, "cannot hold %d CPUs exclusively there; sharing the pool",
                   ctx->demand.exclusive);
    }

  if (ctx->spread == NR_SPREAD_DISTRIBUTE && n > 1)
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
          nr_pick_cpus (ctx->in->topo, &shared, each, &picked);
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

static void
finish (const struct context *ctx, const nr_set_t *chosen, struct nr_placement *out)
{
  const struct demand *d = &ctx->demand;

  index_set_to_nodes (ctx, chosen, &out->nodes);
  assign_cpus (ctx, chosen, out);
  out->interleave = ctx->spread == NR_SPREAD_DISTRIBUTE && nr_set_count (chosen) > 1;
  if (d->prepaid)
    {
      /* the pod's sandbox entry already charges all of it */
      placement_add_tiers (ctx, chosen, out);
      return;
    }
  out->millicpus = d->unlimited ? 0 : d->millicpus;
  out->load = ! nr_set_is_empty (&out->exclusive) ? (int64_t) d->exclusive * 1000 : d->millicpus;
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

  nodes_to_index_set (ctx, nodes, &idx);
  if (nr_set_is_empty (&idx))
    {
      cleanup_free char *list = nr_set_format (nodes);
      if (placement_strict (ctx))
        return placement_refuse (ctx, err, "the requested nodes do not exist or have no CPU");
      add_warning (out, "%s %s: no such node with CPUs; placing freely", what, list);
      return 1;
    }
  if (ctx->policy == NR_POLICY_SINGLE_NUMA_NODE && nr_set_count (&idx) > 1)
    return placement_refuse (ctx, err, "asked for several nodes");
  if (! fits (ctx, &idx))
    {
      cleanup_free char *list = nr_set_format (nodes);
      cleanup_free char *why = xasprintf ("it does not fit on %s %s", what, list);
      if (placement_strict (ctx))
        return placement_refuse (ctx, err, why);
      add_warning (out, "%s", why);
    }
  if (! nr_set_is_empty (&ctx->hint_nodes) && ! nr_set_is_subset (&ctx->hint_nodes, nodes))
    add_warning (out, "%s keeps the container away from its devices' node(s)", what);
  finish (ctx, &idx, out);
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
      if (ctx->policy == NR_POLICY_SINGLE_NUMA_NODE)
        return placement_refuse (ctx, err, "it asks to span several nodes");
      if (choose_set (ctx, k, &candidates, true, &chosen)
          || (! placement_strict (ctx) && choose_set (ctx, k, &candidates, false, &chosen)))
        {
          if (! fits (ctx, &chosen))
            add_warning (out, "it does not fit on %d nodes; placed anyway", k);
          finish (ctx, &chosen, out);
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
          cleanup_free char *why =
              xasprintf ("its devices sit on nodes %s and no node holds all of them", list);
          if (placement_strict (ctx))
            return placement_refuse (ctx, err, why);
          add_warning (out, "%s; chose among the nodes holding most of them, by load", why);
        }
      if (nr_set_is_empty (&preferred))
        preferred = candidates;
    }

  /* Rule 4: one node that fits, with the most headroom.  */
  if (choose_node (ctx, &preferred, true, &chosen))
    {
      finish (ctx, &chosen, out);
      return 0;
    }
  if (ctx->policy == NR_POLICY_SINGLE_NUMA_NODE)
    return placement_refuse (ctx, err,
                             nr_set_is_empty (&ctx->hint_nodes)
                                 ? "it fits on no single node"
                                 : "it does not fit on its devices' node");
  if (ctx->policy == NR_POLICY_RESTRICTED)
    return placement_refuse (ctx, err,
                             nr_set_is_empty (&ctx->hint_nodes)
                                 ? "it fits on no node"
                                 : "it does not fit on its devices' node");

  /* Rule 5 (best-effort): the closest set of nodes that fits.  */
  for (int k = 2; k <= n_usable; k++)
    if (choose_set (ctx, k, &candidates, true, &chosen))
      {
        add_warning (out, "too big for one node: spanning %d nodes", k);
        finish (ctx, &chosen, out);
        return 0;
      }
  choose_node (ctx, &preferred, false, &chosen);
  add_warning (out, "it fits nowhere; placed on the least-loaded node");
  finish (ctx, &chosen, out);
  return 0;
}

int
nr_place (const struct nr_placement_input *in, struct nr_placement *out, nr_error_t *err)
{
  const struct nr_request *req = in->req;
  /* compute_rooms and placement_tier_domains set every field.  */
  cleanup_free struct node_room *rooms = xmalloc ((size_t) in->topo->n_nodes * sizeof (*rooms));
  struct context ctx = { .in = in, .rooms = rooms };
  int r;

  memset (out, 0, sizeof (*out));
  ctx.policy = nr_effective_policy (req, in->config);
  ctx.spread = req->has_spread ? req->spread : in->config->spread;
  ctx.tiers = req->has_tiers ? req->tiers : in->config->memory_tiers;
  compute_demand (&ctx);
  compute_rooms (&ctx);
  placement_tier_domains (&ctx);

  if ((req->has_cpus || req->has_mems) && ! in->config->kubelet_override)
    {
      keep_kubelet_choice (&ctx, out);
      if (nr_set_is_empty (&out->nodes))
        {
          /* Found by fuzzing: a cpuset of CPUs the host does not have
             would leave mems and NUMA_NODE empty.  */
          cleanup_free char *cpus = nr_set_format (&req->cpus);
          nr_placement_free (out);
          return nr_make_error (err, 0, "linux.resources.cpu.cpus `%s` names no CPU of this host",
                                cpus);
        }
      return 0;
    }
  if (! nr_set_is_empty (&req->nodes_wanted))
    {
      r = place_on (&ctx, &req->nodes_wanted, "the annotation's nodes", out, err);
      if (r <= 0)
        return r;
    }
  if (! nr_set_is_empty (&in->pod_nodes))
    {
      r = place_on (&ctx, &in->pod_nodes, "its pod's node(s)", out, err);
      if (r <= 0)
        return r;
    }
  return place_freely (&ctx, out, err);
}

void
nr_placement_free (struct nr_placement *placement)
{
  free (placement->warning);
  memset (placement, 0, sizeof (*placement));
}
