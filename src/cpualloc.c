/* numa-runtime: choosing CPUs within a node the way the chip is built.
 *
 * An exclusive container gets, in this order of preference:
 *  - whole last-level-cache groups (cpu_groups.c) when it is at least one
 *    group large;
 *  - else the fewest groups possible, filling the partly used group that
 *    fits best before opening an empty one;
 *  - always whole cores, never a core another exclusive container holds
 *    part of (the CPU Manager's full-pcpus-only aim);
 *  - on a tie, the choice that leaves the largest free groups intact.
 * Placement stays pure: everything comes from the topology and the sets
 * the caller passes.  */
#include <config.h>

#include "cpualloc.h"
#include "util.h"

/* What one cache group can still give.  */
struct group_room
{
  nr_set_t cpus; /* eligible CPUs of the group */
  int n_free;    /* |cpus|; 0 once used */
  int capacity;  /* CPUs of the group in the pool (free or held) */
  bool empty;    /* no CPU of the group is held by another container */
};

static void
core_of (const struct nr_topology *topo, int cpu, nr_set_t *core)
{
  nr_set_clear (core);
  if (topo->thread_siblings && cpu < topo->n_siblings)
    *core = topo->thread_siblings[cpu];
  nr_set_add (core, cpu);
}

/* COUNT CPUs of AVAILABLE, whole cores first, lowest numbers first; added
   to PICKED.  Returns how many.  */
static int
pick_cores (const struct nr_topology *topo, const nr_set_t *available, int count, nr_set_t *picked)
{
  nr_set_t left = *available;
  int got = 0;

  /* Pass 1: cores whose threads are all available and all needed.  */
  for (int c = nr_set_next (&left, 0); c >= 0 && got < count; c = nr_set_next (&left, c + 1))
    {
      nr_set_t core;
      int size;

      core_of (topo, c, &core);
      size = nr_set_count (&core);
      if (! nr_set_is_subset (&core, &left) || size > count - got)
        continue;
      nr_set_union (picked, &core);
      nr_set_subtract (&left, &core);
      got += size;
    }
  /* Pass 2: the rest from cores already partly out of use (a reserved
     thread), so that untouched cores stay whole for the next one.  */
  for (int c = nr_set_next (&left, 0); c >= 0 && got < count; c = nr_set_next (&left, c + 1))
    {
      nr_set_t core;
      core_of (topo, c, &core);
      if (nr_set_is_subset (&core, &left))
        continue;
      nr_set_add (picked, c);
      nr_set_remove (&left, c);
      got++;
    }
  /* Pass 3: break whole cores, lowest first.  */
  for (int c = nr_set_next (&left, 0); c >= 0 && got < count; c = nr_set_next (&left, c + 1))
    {
      nr_set_add (picked, c);
      got++;
    }
  return got;
}

/* AVAILABLE minus the cores HELD touches: a core is never split between
   two exclusive containers.  */
static void
eligible_cpus (const struct nr_topology *topo, const nr_set_t *available, const nr_set_t *held,
               nr_set_t *eligible)
{
  *eligible = *available;
  if (held == NULL)
    return;
  for (int c = nr_set_next (held, 0); c >= 0; c = nr_set_next (held, c + 1))
    if (topo->thread_siblings && c < topo->n_siblings)
      nr_set_subtract (eligible, &topo->thread_siblings[c]);
    else
      nr_set_remove (eligible, c);
}

/* The groups ELIGIBLE touches, plus one for its CPUs in no group.  Returns
   how many; *GROUPS is owned by the caller.  */
static int
group_rooms (const struct nr_topology *topo, const nr_set_t *eligible, const nr_set_t *held,
             struct group_room **groups)
{
  nr_set_t ungrouped = *eligible;
  int n = 0;

  *groups = xmalloc ((size_t) (topo->n_llc + 1) * sizeof (**groups));
  for (int g = 0; g < topo->n_llc; g++)
    {
      struct group_room *room = &(*groups)[n];
      nr_set_t held_here = topo->llc[g];
      int n_held = 0;

      if (held && nr_set_intersects (&held_here, held))
        {
          nr_set_intersect (&held_here, held);
          n_held = nr_set_count (&held_here);
        }
      room->cpus = topo->llc[g];
      nr_set_intersect (&room->cpus, eligible);
      nr_set_subtract (&ungrouped, &topo->llc[g]);
      room->n_free = nr_set_count (&room->cpus);
      if (room->n_free == 0)
        continue;
      room->empty = n_held == 0;
      room->capacity = room->n_free + n_held;
      n++;
    }
  if (! nr_set_is_empty (&ungrouped))
    {
      struct group_room *room = &(*groups)[n++];
      room->cpus = ungrouped;
      room->n_free = nr_set_count (&ungrouped);
      room->capacity = room->n_free;
      room->empty = false;
    }
  return n;
}

/* Is A a better group than B for WANT CPUs?  */
static bool
better_group (const struct group_room *a, const struct group_room *b, int want)
{
  bool a_whole = a->empty && a->n_free == a->capacity && a->capacity <= want;
  bool b_whole = b->empty && b->n_free == b->capacity && b->capacity <= want;
  bool a_fits = a->n_free >= want, b_fits = b->n_free >= want;

  /* A whole free group the container fills, the largest first.  */
  if (a_whole != b_whole)
    return a_whole;
  if (a_whole)
    return a->capacity > b->capacity;
  /* One group that holds it all: the tightest (best fit); on a tie, a
     partly used one, so that empty groups stay whole.  */
  if (a_fits != b_fits)
    return a_fits;
  if (a_fits && a->n_free != b->n_free)
    return a->n_free < b->n_free;
  /* None holds it all: the largest, for the fewest groups.  */
  if (! a_fits && a->n_free != b->n_free)
    return a->n_free > b->n_free;
  return ! a->empty && b->empty;
}

/* The best group for WANT more CPUs among N_GROUPS, or -1 when none has
   any left.  */
static int
best_group (const struct group_room *groups, int n_groups, int want)
{
  int best = -1;

  for (int g = 0; g < n_groups; g++)
    if (groups[g].n_free > 0 && (best < 0 || better_group (&groups[g], &groups[best], want)))
      best = g;
  return best;
}

int
nr_count_groups (const struct nr_topology *topo, const nr_set_t *available, const nr_set_t *held,
                 int count)
{
  cleanup_free struct group_room *groups = NULL;
  nr_set_t eligible;
  int n_groups, used = 0;

  eligible_cpus (topo, available, held, &eligible);
  n_groups = group_rooms (topo, &eligible, held, &groups);
  while (count > 0)
    {
      int best = best_group (groups, n_groups, count);
      if (best < 0)
        return 0;
      count -= groups[best].n_free;
      groups[best].n_free = 0;
      used++;
    }
  return used;
}

int
nr_pick_cpus (const struct nr_topology *topo, const nr_set_t *available, const nr_set_t *held,
              int count, nr_set_t *picked)
{
  cleanup_free struct group_room *groups = NULL;
  nr_set_t eligible;
  int n_groups, got = 0;

  nr_set_clear (picked);
  eligible_cpus (topo, available, held, &eligible);
  n_groups = group_rooms (topo, &eligible, held, &groups);
  while (got < count)
    {
      int best = best_group (groups, n_groups, count - got);

      if (best < 0)
        break;
      got += pick_cores (topo, &groups[best].cpus, count - got, picked);
      groups[best].n_free = 0;
    }
  return got;
}
