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

/* Does the container fit on the nodes of SET (topo indexes flagged)?  */
bool
placement_fits (const struct context *ctx, const nr_set_t *set)
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

void
placement_nodes_to_index_set (const struct context *ctx, const nr_set_t *nodes, nr_set_t *idx)
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

/* What node index I can still give the container: its exclusive CPUs
   when it asks for some, else its free CPU room.  A set grows by nodes
   that give something before nodes that only add distance.  */
static int64_t
room_for (const struct context *ctx, int i)
{
  if (ctx->demand.exclusive > 0)
    return ctx->rooms[i].exclusive_free;
  return ctx->rooms[i].cpu_free > 0 ? ctx->rooms[i].cpu_free : 0;
}

/* Should node index J join a set grown from SEED before node index BEST?
   Hinted nodes first, then nodes with room, then the closer, then the
   roomier (fewer nodes for the same demand).  */
static bool
joins_before (const struct context *ctx, int seed, int j, int best, const nr_set_t *hints)
{
  int64_t room_j = room_for (ctx, j), room_best = room_for (ctx, best);
  int dist_j, dist_best;

  if (nr_set_has (hints, best) != nr_set_has (hints, j))
    return nr_set_has (hints, j);
  if ((room_best > 0) != (room_j > 0))
    return room_j > 0;
  dist_j = nr_topology_distance (ctx->in->topo, seed, j);
  dist_best = nr_topology_distance (ctx->in->topo, seed, best);
  if (dist_j != dist_best)
    return dist_j < dist_best;
  return room_j > room_best;
}

/* Should node index J join a set grown from the roomiest node before
   node index BEST?  Hinted nodes first, then the roomier.  */
static bool
roomier (const struct context *ctx, int j, int best, const nr_set_t *hints)
{
  if (nr_set_has (hints, best) != nr_set_has (hints, j))
    return nr_set_has (hints, j);
  return room_for (ctx, j) > room_for (ctx, best);
}

/* The node of CANDIDATES that joins SET next: grown from node index SEED,
   SEED itself and then the one joins_before ranks first; SEED -1, the
   roomiest first (roomier): where the closest sets all miss, the set that
   fits when any K nodes can.  -1 when none is left.  The order does not
   depend on the set's final size, so a set of K+1 nodes is the set of K
   and one more.  */
static int
next_member (const struct context *ctx, int seed, const nr_set_t *set, const nr_set_t *candidates,
             const nr_set_t *hints)
{
  int best = -1;

  if (seed >= 0 && ! nr_set_has (set, seed))
    return seed;
  for (int j = nr_set_next (candidates, 0); j >= 0; j = nr_set_next (candidates, j + 1))
    if (! nr_set_has (set, j)
        && (best < 0
            || (seed >= 0 ? joins_before (ctx, seed, j, best, hints)
                          : roomier (ctx, j, best, hints))))
      best = j;
  return best;
}

/* The first K nodes grown from SEED (next_member).  */
static void
grow_set (const struct context *ctx, int seed, int k, const nr_set_t *candidates,
          const nr_set_t *hints, nr_set_t *set)
{
  nr_set_clear (set);
  for (int taken = 0; taken < k; taken++)
    {
      int j = next_member (ctx, seed, set, candidates, hints);
      if (j < 0)
        return;
      nr_set_add (set, j);
    }
}

/* The best set of K nodes found so far.  */
struct set_choice
{
  nr_set_t chosen;
  bool found, has_hints;
  int cost;
};

/* Keep SET in *C if it is a better choice: sets holding every hinted node
   first, then the closer (pairwise distances), then the better home.  */
static void
consider_set (const struct context *ctx, const nr_set_t *set, int k, bool require_fit,
              const nr_set_t *hint_idx, struct set_choice *c)
{
  bool has_hints;
  int cost;

  if (nr_set_count (set) != k || (require_fit && ! placement_fits (ctx, set)))
    return;
  has_hints = nr_set_is_subset (hint_idx, set);
  cost = set_cost (ctx, set);
  if (c->found)
    {
      if (c->has_hints && ! has_hints)
        return;
      if (has_hints == c->has_hints
          && (cost > c->cost || (cost == c->cost && ! better (ctx, set, &c->chosen))))
        return;
    }
  c->chosen = *set;
  c->found = true;
  c->has_hints = has_hints;
  c->cost = cost;
}

/* The closest fitting set of exactly K nodes among CANDIDATES, preferring
   sets that hold every hinted node: the set grown from each node, and the
   roomiest set.  Returns false when none placement_fits (or, with
   REQUIRE_FIT false, none exists).  */
bool
placement_choose_set (const struct context *ctx, int k, const nr_set_t *candidates,
                      bool require_fit, nr_set_t *chosen)
{
  struct set_choice c = { .found = false };
  nr_set_t hint_idx, set;

  placement_nodes_to_index_set (ctx, &ctx->hint_nodes, &hint_idx);
  for (int seed = nr_set_next (candidates, 0); seed >= 0; seed = nr_set_next (candidates, seed + 1))
    {
      grow_set (ctx, seed, k, candidates, &hint_idx, &set);
      consider_set (ctx, &set, k, require_fit, &hint_idx, &c);
    }
  grow_set (ctx, -1, k, candidates, &hint_idx, &set);
  consider_set (ctx, &set, k, require_fit, &hint_idx, &c);
  if (c.found)
    *chosen = c.chosen;
  return c.found;
}

int
placement_choose_smallest_set (const struct context *ctx, const nr_set_t *candidates, int least,
                               nr_set_t *chosen)
{
  struct set_choice c = { .found = false };
  int fewest = nr_set_count (candidates) + 1;
  nr_set_t hint_idx, set;

  placement_nodes_to_index_set (ctx, &ctx->hint_nodes, &hint_idx);
  /* Each seed's set grows one node at a time (its sets of every size are
     nested) until it first fits or outgrows the fewest found:
     choose_set's answer for the smallest size any seed fits at, in one
     pass.  A larger set need not fit what a smaller one fits: a node's
     room is below 0 when the ledger holds more than it has.  */
  for (int seed = nr_set_next (candidates, 0);; seed = nr_set_next (candidates, seed + 1))
    {
      nr_set_clear (&set);
      for (int size = 1; size <= fewest; size++)
        {
          int j = next_member (ctx, seed, &set, candidates, &hint_idx);
          if (j < 0)
            break;
          nr_set_add (&set, j);
          if (size < least || ! placement_fits (ctx, &set))
            continue;
          if (size < fewest)
            c = (struct set_choice){ .found = false };
          fewest = size;
          consider_set (ctx, &set, size, false, &hint_idx, &c);
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
   without building sets, so that it costs one pass over the nodes.  */
static bool
better_one (const struct context *ctx, int a, int b, int hinted)
{
  const struct node_room *ra = &ctx->rooms[a], *rb = &ctx->rooms[b];
  double ha, hb;

  if (hinted >= -1 && (a == hinted) != (b == hinted))
    return a == hinted;
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
      if (best < 0 || better_one (ctx, i, best, hinted))
        best = i;
    }
  if (best < 0)
    return false;
  nr_set_clear (chosen);
  nr_set_add (chosen, best);
  return true;
}
