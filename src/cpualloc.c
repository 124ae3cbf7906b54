/* numa-runtime: choosing CPUs within a node — whole cores first, so that
   an exclusive container does not share a core's caches and execution
   units with another one (as the CPU Manager's full-pcpus-only aims).  */
#include <config.h>

#include "placement.h"

static void
core_of (const struct nr_topology *topo, int cpu, nr_set_t *core)
{
  nr_set_clear (core);
  if (topo->thread_siblings && cpu < topo->n_siblings)
    *core = topo->thread_siblings[cpu];
  nr_set_add (core, cpu);
}

int
nr_pick_cpus (const struct nr_topology *topo, const nr_set_t *available, int count,
              nr_set_t *picked)
{
  nr_set_t left = *available;
  int got = 0;

  nr_set_clear (picked);
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
  /* Pass 2: the rest from cores already partly taken, so that untouched
     cores stay whole for the next exclusive container.  */
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
