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

/* What one cache group can still give.  Counts only: the CPUs are worked
   out for the groups actually drawn from (room_cpus), so that ranking a
   node costs one walk over its grouped CPUs, not set copies per group.  */
struct group_room
{
  int group;    /* index in topo->llc; n_llc for the CPUs in no group */
  int n_free;   /* eligible CPUs of the group; 0 once used */
  int capacity; /* CPUs of the group in the pool (free or held) */
  bool empty;   /* no CPU of the group is held by another container */
};

/* The lowest CPU of CPU's core: the topology's core_leader when the
   groups were read, else the first of its thread_siblings, else CPU.  */
static int
core_leader_of (const struct nr_topology *topo, int cpu)
{
  if (topo->core_leader && cpu < topo->n_cpu_slots && topo->core_leader[cpu] >= 0)
    return topo->core_leader[cpu];
  if (topo->thread_siblings && cpu < topo->n_siblings)
    {
      int first = nr_set_next (&topo->thread_siblings[cpu], 0);
      return first >= 0 && first < cpu ? first : cpu;
    }
  return cpu;
}

/* Which core each CPU slot is on, and how many CPUs each core has: built
   once per pick from core_leader (no 1 KiB sibling set per CPU).  */
struct core_table
{
  int *leader; /* leader[cpu], cpu < n_slots */
  int *size;   /* size[leader]: CPUs of that core */
  int n_slots;
};

static void
core_table_init (const struct nr_topology *topo, struct core_table *cores)
{
  cores->n_slots = nr_topology_cpu_end (topo);
  cores->leader = xmalloc ((size_t) cores->n_slots * sizeof (int) + 1);
  cores->size = xmalloc0 ((size_t) cores->n_slots * sizeof (int) + 1);
  for (int c = 0; c < cores->n_slots; c++)
    {
      int leader = core_leader_of (topo, c);
      cores->leader[c] = leader < cores->n_slots ? leader : c;
      cores->size[cores->leader[c]]++;
    }
}

static void
core_table_free (struct core_table *cores)
{
  free (cores->leader);
  free (cores->size);
}

/* COUNT CPUs of AVAILABLE, whole cores first, lowest numbers first; added
   to PICKED.  Returns how many.  */
static int
pick_cores (const struct core_table *cores, const nr_set_t *available, int count, nr_set_t *picked)
{
  cleanup_free int *in_pool = xmalloc0 ((size_t) cores->n_slots * sizeof (int) + 1);
  nr_set_t left = *available;
  int got = 0, end = cores->n_slots;

  for (int c = nr_set_next_below (&left, 0, end); c >= 0; c = nr_set_next_below (&left, c + 1, end))
    in_pool[cores->leader[c]]++;
  /* Pass 1: cores whose threads are all available and all needed; a
     core is met at its lowest available CPU and taken whole.  */
  for (int c = nr_set_next_below (&left, 0, end); c >= 0 && got < count;
       c = nr_set_next_below (&left, c + 1, end))
    {
      int leader = cores->leader[c], size = cores->size[leader];

      if (in_pool[leader] != size || size > count - got)
        continue;
      for (int t = c; t >= 0; t = nr_set_next_below (&left, t + 1, end))
        if (cores->leader[t] == leader)
          {
            nr_set_add (picked, t);
            nr_set_remove (&left, t);
          }
      in_pool[leader] = 0;
      got += size;
    }
  /* Pass 2: the rest from cores already partly out of use (a reserved
     thread), so that untouched cores stay whole for the next one.  */
  for (int c = nr_set_next_below (&left, 0, end); c >= 0 && got < count;
       c = nr_set_next_below (&left, c + 1, end))
    if (in_pool[cores->leader[c]] != cores->size[cores->leader[c]])
      {
        nr_set_add (picked, c);
        nr_set_remove (&left, c);
        got++;
      }
  /* Pass 3: break whole cores, lowest first.  */
  for (int c = nr_set_next_below (&left, 0, end); c >= 0 && got < count;
       c = nr_set_next_below (&left, c + 1, end))
    {
      nr_set_add (picked, c);
      got++;
    }
  return got;
}

/* AVAILABLE minus the cores HELD touches: a core is never split between
   two exclusive containers.  By core leader, one pass over each set,
   rather than a set subtraction per held CPU.  */
static void
eligible_cpus (const struct nr_topology *topo, const nr_set_t *available, const nr_set_t *held,
               nr_set_t *eligible)
{
  nr_set_t held_cores;

  *eligible = *available;
  if (held == NULL || ! nr_set_intersects (held, &topo->online_cpus))
    return;
  nr_set_clear (&held_cores);
  for (int c = nr_set_next (held, 0); c >= 0; c = nr_set_next (held, c + 1))
    nr_set_add (&held_cores, core_leader_of (topo, c));
  for (int c = nr_set_next (available, 0); c >= 0; c = nr_set_next (available, c + 1))
    if (nr_set_has (&held_cores, core_leader_of (topo, c)))
      nr_set_remove (eligible, c);
}

/* The groups ELIGIBLE touches, plus one for its CPUs in no group (the
   groups are disjoint: cpu_groups.c reads a CPU's cache once).  Returns
   how many; *GROUPS is owned by the caller.  */
static int
group_rooms (const struct nr_topology *topo, const nr_set_t *eligible, const nr_set_t *held,
             struct group_room **groups)
{
  int n = 0, n_grouped = 0, n_eligible = nr_set_count (eligible), end = nr_topology_cpu_end (topo);

  *groups = xmalloc ((size_t) (topo->n_llc + 1) * sizeof (**groups));
  for (int g = 0; g < topo->n_llc && n_grouped < n_eligible; g++)
    {
      struct group_room *room = &(*groups)[n];
      int n_free = nr_set_count_common (&topo->llc[g], eligible, end);
      int n_held = held ? nr_set_count_common (&topo->llc[g], held, end) : 0;

      if (n_free == 0)
        continue;
      *room = (struct group_room){ g, n_free, n_free + n_held, n_held == 0 };
      n_grouped += n_free;
      n++;
    }
  if (n_eligible > n_grouped)
    (*groups)[n++] =
        (struct group_room){ topo->n_llc, n_eligible - n_grouped, n_eligible - n_grouped, false };
  return n;
}

/* The eligible CPUs of ROOM: its group's, or those in no group.  */
static void
room_cpus (const struct nr_topology *topo, const struct group_room *room, const nr_set_t *eligible,
           nr_set_t *cpus)
{
  *cpus = *eligible;
  if (room->group < topo->n_llc)
    {
      nr_set_intersect (cpus, &topo->llc[room->group]);
      return;
    }
  for (int g = 0; g < topo->n_llc; g++)
    nr_set_subtract (cpus, &topo->llc[g]);
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
  struct core_table cores;
  nr_set_t eligible;
  int n_groups, got = 0;

  nr_set_clear (picked);
  core_table_init (topo, &cores);
  eligible_cpus (topo, available, held, &eligible);
  n_groups = group_rooms (topo, &eligible, held, &groups);
  while (got < count)
    {
      int best = best_group (groups, n_groups, count - got);

      nr_set_t cpus;

      if (best < 0)
        break;
      room_cpus (topo, &groups[best], &eligible, &cpus);
      got += pick_cores (&cores, &cpus, count - got, picked);
      groups[best].n_free = 0;
    }
  core_table_free (&cores);
  return got;
}
