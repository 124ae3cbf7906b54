/* numa-runtime: which nodes placement chooses: whether the container
   fits on a node or a set of nodes, how a home is scored (headroom, then
   load), and the choice of one node or of the closest set of K nodes.  */
#include <config.h>

#include "placement_context.h"
#include "util.h"

#include <stdlib.h>

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

/* What a set of nodes offers together, summed as nodes join it.  */
struct offer
{
  int64_t cpu, mem, huge;
  int excl;
};

static void
offer_add (const struct context *ctx, int i, struct offer *o)
{
  o->cpu = sat_add (o->cpu, ctx->rooms[i].cpu_free);
  /* A CPU node and its memory-only nodes are one domain.  */
  o->mem = sat_add (o->mem, sat_add (ctx->rooms[i].mem_free, ctx->rooms[i].tier_free));
  o->huge = sat_add (o->huge, ctx->rooms[i].huge_free);
  o->excl += ctx->rooms[i].exclusive_free;
}

/* Does the container fit on the nodes of SET (topo indexes flagged)?  */
bool
placement_fits (const struct context *ctx, const nr_set_t *set)
{
  struct offer o = { 0 };

  for (int i = nr_set_next (set, 0); i >= 0; i = nr_set_next (set, i + 1))
    offer_add (ctx, i, &o);
  return fits_in (ctx, o.cpu, o.mem, o.huge, o.excl);
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

void
placement_nodes_to_index_set (const struct context *ctx, const nr_set_t *nodes, nr_set_t *idx)
{
  nr_set_clear (idx);
  for (int i = 0; i < ctx->in->topo->n_nodes; i++)
    if (nr_set_has (nodes, ctx->rooms[i].node->id) && usable (&ctx->rooms[i]))
      nr_set_add (idx, i);
}

/* What node index I can still give the container: its exclusive CPUs
   when it asks for some, else its free CPU room.  A set grows by nodes
   that give something before nodes that only add distance.  */
static int64_t
room_for (const struct context *ctx, int i)
{
  if (ctx->demand.exclusive_room > 0)
    return ctx->rooms[i].exclusive_free;
  return ctx->rooms[i].cpu_free > 0 ? ctx->rooms[i].cpu_free : 0;
}

/* A node's place in the order a set grows in (growth_next).  */
struct joiner
{
  int index, distance;
  bool hinted, has_room;
  int64_t room;
};

/* Hinted nodes first, then nodes with room, then the closer to the
   seed, then the roomier (fewer nodes for the same demand), then the
   lower index.  */
static int
joins_earlier (const void *a, const void *b)
{
  const struct joiner *x = a, *y = b;

  if (x->hinted != y->hinted)
    return x->hinted ? -1 : 1;
  if (x->has_room != y->has_room)
    return x->has_room ? -1 : 1;
  if (x->distance != y->distance)
    return x->distance < y->distance ? -1 : 1;
  if (x->room != y->room)
    return x->room > y->room ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* A set of nodes grown one node at a time from a seed: the nodes that
   joined (ORDER, SIZE of them) and the rest (SCRATCH, from NEXT on).  */
struct growth
{
  struct joiner *scratch;
  int *order;
  int seed, size, next, n_joiners;
};

/* Sizes up to this take the next node by one pass over the rest: most
   sets are small.  Past it the rest is sorted once.  */
enum
{
  GROWTH_SELECT_STEPS = 8
};

static void
growth_init (const nr_set_t *candidates, struct growth *g)
{
  size_t n = (size_t) nr_set_count (candidates) + 1;

  g->scratch = xmalloc (n * sizeof (*g->scratch));
  g->order = xmalloc (n * sizeof (*g->order));
}

static void
growth_free (struct growth *g)
{
  free (g->scratch);
  free (g->order);
}
#define cleanup_growth __attribute__ ((cleanup (growth_free)))

/* Start a set grown from node index SEED of CANDIDATES: SEED itself, then
   joins_earlier's order.  SEED -1 grows the roomiest set (no distance):
   where the closest sets all miss, the set that fits when any K nodes
   can.  The order does not depend on the set's final size, so a set of
   K+1 nodes is the set of K and one more.  */
static void
growth_start (const struct context *ctx, int seed, const nr_set_t *candidates,
              const nr_set_t *hints, struct growth *g)
{
  g->seed = seed;
  g->size = g->next = g->n_joiners = 0;
  for (int j = nr_set_next (candidates, 0); j >= 0; j = nr_set_next (candidates, j + 1))
    if (j != seed)
      {
        int64_t room = room_for (ctx, j);
        g->scratch[g->n_joiners++] = (struct joiner){
          .index = j,
          .distance = seed >= 0 ? nr_topology_distance (ctx->in->topo, seed, j) : 0,
          .hinted = nr_set_has (hints, j),
          .has_room = room > 0,
          .room = room,
        };
      }
}

/* Add the next node to G's set; false when none is left.  */
static bool
growth_next (struct growth *g)
{
  struct joiner *rest = g->scratch + g->next, first;
  int n_rest = g->n_joiners - g->next, best = 0;

  if (g->seed >= 0 && g->size == 0)
    {
      g->order[g->size++] = g->seed;
      return true;
    }
  if (n_rest <= 0)
    return false;
  if (g->next == GROWTH_SELECT_STEPS)
    qsort (rest, (size_t) n_rest, sizeof (*rest), joins_earlier);
  else if (g->next < GROWTH_SELECT_STEPS)
    {
      for (int i = 1; i < n_rest; i++)
        if (joins_earlier (&rest[i], &rest[best]) < 0)
          best = i;
      first = rest[best];
      rest[best] = rest[0];
      rest[0] = first;
    }
  g->order[g->size++] = rest[0].index;
  g->next++;
  return true;
}

/* A set of nodes as consider_members ranks it.  */
struct set_rank
{
  bool has_hints;  /* holds every hinted node */
  int cost;        /* sum of pairwise distances: smaller is closer */
  double headroom; /* left after placing (headroom_of) */
  int64_t load;
  int lowest; /* its lowest index */
};

/* Rank the K nodes of MEMBERS, of which N_HINTS are hinted nodes (indexes
   in HINT_IDX) when it holds them all.  */
static void
rank_members (const struct context *ctx, const int *members, int k, const nr_set_t *hint_idx,
              int n_hints, struct set_rank *r)
{
  int64_t cpu_cap = 0, cpu_free = 0, mem_cap = 0, mem_free = 0;
  int hinted = 0;

  *r = (struct set_rank){ .lowest = members[0] };
  for (int a = 0; a < k; a++)
    {
      const struct node_room *room = &ctx->rooms[members[a]];

      for (int b = a + 1; b < k; b++)
        r->cost += nr_topology_distance (ctx->in->topo, members[a], members[b]);
      cpu_cap = sat_add (cpu_cap, room->cpu_capacity);
      cpu_free = sat_add (cpu_free, room->cpu_free);
      mem_cap = sat_add (mem_cap, room->mem_capacity);
      mem_free = sat_add (mem_free, room->mem_free);
      r->load = sat_add (r->load, room->load);
      hinted += nr_set_has (hint_idx, members[a]);
      if (members[a] < r->lowest)
        r->lowest = members[a];
    }
  r->has_hints = hinted == n_hints;
  r->headroom = headroom_of (ctx, cpu_cap, cpu_free, mem_cap, mem_free);
}

/* Is A a better choice than B: sets holding every hinted node first, then
   the closer, then the better home (headroom, then load, then the lower
   first index).  */
static bool
ranks_before (const struct set_rank *a, const struct set_rank *b)
{
  if (a->has_hints != b->has_hints)
    return a->has_hints;
  if (a->cost != b->cost)
    return a->cost < b->cost;
  if (a->headroom > b->headroom + 1e-9)
    return true;
  if (b->headroom > a->headroom + 1e-9)
    return false;
  if (a->load != b->load)
    return a->load < b->load;
  return a->lowest < b->lowest;
}

/* The best set of nodes found so far, and what it is ranked by.  */
struct set_choice
{
  nr_set_t chosen;
  struct set_rank rank;
  bool found;
  const nr_set_t *hint_idx;
  int n_hints;
};

static void
set_choice_init (const struct context *ctx, nr_set_t *hint_idx, struct set_choice *c)
{
  placement_nodes_to_index_set (ctx, &ctx->hint_nodes, hint_idx);
  c->found = false;
  c->hint_idx = hint_idx;
  c->n_hints = nr_set_count (hint_idx);
}

/* Keep the K nodes of MEMBERS in *C if they are a better choice
   (ranks_before) and, with REQUIRE_FIT, fit.  */
static void
consider_members (const struct context *ctx, const int *members, int k, bool require_fit,
                  struct set_choice *c)
{
  struct set_rank rank;

  if (require_fit)
    {
      struct offer o = { 0 };
      for (int a = 0; a < k; a++)
        offer_add (ctx, members[a], &o);
      if (! fits_in (ctx, o.cpu, o.mem, o.huge, o.excl))
        return;
    }
  rank_members (ctx, members, k, c->hint_idx, c->n_hints, &rank);
  if (c->found && ! ranks_before (&rank, &c->rank))
    return;
  nr_set_clear (&c->chosen);
  for (int a = 0; a < k; a++)
    nr_set_add (&c->chosen, members[a]);
  c->rank = rank;
  c->found = true;
}

/* The closest fitting set of exactly K nodes among CANDIDATES, preferring
   sets that hold every hinted node: the set grown from each node, and the
   roomiest set.  Returns false when none placement_fits (or, with
   REQUIRE_FIT false, none exists).  */
bool
placement_choose_set (const struct context *ctx, int k, const nr_set_t *candidates,
                      bool require_fit, nr_set_t *chosen)
{
  struct set_choice c;
  cleanup_growth struct growth g;
  nr_set_t hint_idx;
  int seed = nr_set_next (candidates, 0);

  growth_init (candidates, &g);
  set_choice_init (ctx, &hint_idx, &c);
  for (;; seed = nr_set_next (candidates, seed + 1))
    {
      growth_start (ctx, seed, candidates, &hint_idx, &g);
      while (g.size < k && growth_next (&g))
        ;
      if (k > 0 && g.size == k)
        consider_members (ctx, g.order, k, require_fit, &c);
      if (seed < 0)
        break;
    }
  if (c.found)
    *chosen = c.chosen;
  return c.found;
}

int
placement_choose_smallest_set (const struct context *ctx, const nr_set_t *candidates, int least,
                               nr_set_t *chosen)
{
  struct set_choice c;
  cleanup_growth struct growth g;
  int fewest = nr_set_count (candidates) + 1;
  nr_set_t hint_idx;

  growth_init (candidates, &g);
  set_choice_init (ctx, &hint_idx, &c);
  /* Each seed's set grows one node at a time (its sets of every size are
     nested) until it first fits or outgrows the fewest found:
     choose_set's answer for the smallest size any seed fits at, in one
     pass.  A larger set need not fit what a smaller one fits: a node's
     room is below 0 when the ledger holds more than it has.  */
  for (int seed = nr_set_next (candidates, 0);; seed = nr_set_next (candidates, seed + 1))
    {
      struct offer o = { 0 };

      growth_start (ctx, seed, candidates, &hint_idx, &g);
      for (int size = 1; size <= fewest && growth_next (&g); size++)
        {
          offer_add (ctx, g.order[size - 1], &o);
          if (size < least || ! fits_in (ctx, o.cpu, o.mem, o.huge, o.excl))
            continue;
          if (size < fewest)
            c.found = false;
          fewest = size;
          consider_members (ctx, g.order, size, false, &c);
          break;
        }
      if (seed < 0)
        break;
    }
  if (! c.found)
    return 0;
  *chosen = c.chosen;
  return fewest;
}

static int
descending (const void *a, const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x < y) - (x > y);
}

/* How many of the N largest values of VALUES (sorted here) reach WANT:
   N + 1 when all of them do not.  */
static int
largest_to_reach (int64_t *values, int n, int64_t want)
{
  int64_t sum = 0;

  if (want <= 0)
    return 1;
  qsort (values, (size_t) n, sizeof (*values), descending);
  for (int k = 0; k < n; k++)
    {
      sum = sat_add (sum, values[k]);
      if (sum >= want)
        return k + 1;
    }
  return n + 1;
}

int
placement_fewest_nodes (const struct context *ctx, const nr_set_t *candidates)
{
  const struct demand *d = &ctx->demand;
  int n = nr_set_count (candidates), fewest = 1, k = 0;
  cleanup_free int64_t *cpu = xmalloc ((size_t) (n > 0 ? n : 1) * sizeof (int64_t));
  cleanup_free int64_t *mem = xmalloc ((size_t) (n > 0 ? n : 1) * sizeof (int64_t));
  cleanup_free int64_t *huge = xmalloc ((size_t) (n > 0 ? n : 1) * sizeof (int64_t));
  cleanup_free int64_t *excl = xmalloc ((size_t) (n > 0 ? n : 1) * sizeof (int64_t));
  int need[4];

  /* placement_fits' sums, one dimension at a time: no K-set reaches a sum
     the K largest values do not.  */
  for (int i = nr_set_next (candidates, 0); i >= 0; i = nr_set_next (candidates, i + 1), k++)
    {
      const struct node_room *r = &ctx->rooms[i];
      cpu[k] = r->cpu_free;
      mem[k] = sat_add (r->mem_free, r->tier_free);
      huge[k] = r->huge_free;
      excl[k] = r->exclusive_free;
    }
  need[0] = d->prepaid || d->unlimited ? 1 : largest_to_reach (cpu, n, d->millicpus);
  need[1] = d->prepaid ? 1 : largest_to_reach (mem, n, d->memory);
  need[2] = largest_to_reach (huge, n, d->hugepages);
  need[3] = largest_to_reach (excl, n, d->exclusive);
  for (int i = 0; i < 4; i++)
    if (need[i] > fewest)
      fewest = need[i];
  return fewest;
}

/* Is node index A a better home than node index B: choose_set's order for
   single nodes (the hinted node, then headroom, load, lower index),
   without building sets, so that it costs one pass over the nodes.  With
   GATHER, a shared container takes a pool that has sharers first, else
   opens one on the node with the fewest CPUs left to hold exclusively.  */
static bool
better_one (const struct context *ctx, int a, int b, int hinted, bool gather)
{
  const struct node_room *ra = &ctx->rooms[a], *rb = &ctx->rooms[b];
  double ha, hb;

  if (hinted >= -1 && (a == hinted) != (b == hinted))
    return a == hinted;
  /* The sandbox of a pod whose containers will hold CPUs exclusively: a
     node with room for them (they follow it), though it holds none.  */
  if (ctx->demand.exclusive_room > ctx->demand.exclusive)
    {
      bool room_a = ra->exclusive_free >= ctx->demand.exclusive_room;
      bool room_b = rb->exclusive_free >= ctx->demand.exclusive_room;
      if (room_a != room_b)
        return room_a;
    }
  /* Exclusive CPUs on a machine with cache groups: the node that holds
     them in the fewest groups, then the one with the fewest left to hold
     exclusively (packing, as kubelet's static policy does): whole nodes and
     groups stay free for the large containers to come.  */
  if (ra->llc_needed > 0 && rb->llc_needed > 0)
    {
      if (ra->llc_needed != rb->llc_needed)
        return ra->llc_needed < rb->llc_needed;
      if (ra->exclusive_free != rb->exclusive_free)
        return ra->exclusive_free < rb->exclusive_free;
    }
  /* A shared container, while exclusive ones hold CPUs: one more sharer
     of a pool that has sharers costs no exclusive room, the first sharer
     of a node costs the CPU kept for it (compute_rooms) and, on cores,
     the whole core.  So the pools that have sharers first (the roomiest
     of them: headroom below); else a new pool where that core is worth
     least, on the node with the fewest CPUs left to hold exclusively.
     Whole nodes and cache groups stay free for the exclusive containers
     to come.  */
  if (gather && ra->sharers != rb->sharers)
    return ra->sharers;
  if (gather && ! ra->sharers && ra->exclusive_free != rb->exclusive_free)
    return ra->exclusive_free < rb->exclusive_free;
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

/* The best single node of CANDIDATES that placement_fits (or any, without
   REQUIRE_FIT).  */
bool
placement_choose_node (const struct context *ctx, const nr_set_t *candidates, bool require_fit,
                       nr_set_t *chosen)
{
  nr_set_t hint_idx;
  int best = -1, hinted = -1;
  /* Where nothing fits, the least-loaded node, sharers or not.  */
  bool gather = require_fit && ctx->gather_shared;

  /* A single node holds every hint only when there is one hinted node.  */
  placement_nodes_to_index_set (ctx, &ctx->hint_nodes, &hint_idx);
  if (nr_set_count (&hint_idx) == 1)
    hinted = nr_set_next (&hint_idx, 0);
  else if (! nr_set_is_empty (&hint_idx))
    hinted = -2; /* none can: no preference */
  for (int i = nr_set_next (candidates, 0); i >= 0; i = nr_set_next (candidates, i + 1))
    {
      if (require_fit && ! fits_one (ctx, i))
        continue;
      if (best < 0 || better_one (ctx, i, best, hinted, gather))
        best = i;
    }
  if (best < 0)
    return false;
  nr_set_clear (chosen);
  nr_set_add (chosen, best);
  return true;
}
