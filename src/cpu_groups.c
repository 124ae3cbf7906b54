/* numa-runtime: which CPUs share a last-level cache and a core, and which
 * ones the kernel keeps to itself (isolcpus, nohz_full) — read from sysfs
 * so that exclusive CPUs follow how the chip is built (cpualloc.c).
 *
 * Reading is paid once per topology change: topology_cache.c keeps the
 * result.  Even uncached, a CPU already met in an earlier CPU's
 * shared_cpu_list or core list is not read again, so an EPYC with 24 L3s
 * and 192 cores costs 24 cache directories and 192 core files, not one of
 * each per CPU.  */
#include <config.h>

#include "topology.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define CPU_DIR "devices/system/cpu"
/* Real CPUs have 4 or 5 cache indexes; the kernel numbers them densely.  */
#define MAX_CACHE_INDEX 16

/* Read CPU's cache index file NAME into BUF.  */
static int
read_cache_file (const char *sysfs_root, int cpu, int index, const char *name, char *buf,
                 size_t size)
{
  cleanup_free char *path =
      xasprintf ("%s/" CPU_DIR "/cpu%d/cache/index%d/%s", sysfs_root, cpu, index, name);
  return read_small_file (path, buf, size);
}

/* The CPUs sharing CPU's highest-level unified cache.  False when CPU has
   no cache files (a VM, an old kernel, a fixture without them).  */
static bool
read_llc (const char *sysfs_root, int cpu, nr_set_t *shared)
{
  long best_level = -1;
  char buf[8192];

  for (int index = 0; index < MAX_CACHE_INDEX; index++)
    {
      long level;
      nr_set_t cpus;

      if (read_cache_file (sysfs_root, cpu, index, "level", buf, sizeof (buf)) < 0)
        break;
      level = strtol (buf, NULL, 10);
      if (level <= best_level
          || read_cache_file (sysfs_root, cpu, index, "type", buf, sizeof (buf)) < 0
          || strncmp (buf, "Unified", 7) != 0
          || read_cache_file (sysfs_root, cpu, index, "shared_cpu_list", buf, sizeof (buf)) < 0
          || nr_set_parse (buf, &cpus, NULL) < 0)
        continue;
      best_level = level;
      *shared = cpus;
    }
  return best_level >= 0;
}

/* Set core_leader for CPU and every online CPU of its core.  */
static void
read_core (const char *sysfs_root, int cpu, struct nr_topology *topo)
{
  static const char *const names[] = { "core_cpus_list", "thread_siblings_list" };
  nr_set_t core;
  char buf[1024];
  int leader;

  nr_set_clear (&core);
  for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    {
      cleanup_free char *path =
          xasprintf ("%s/" CPU_DIR "/cpu%d/topology/%s", sysfs_root, cpu, names[i]);
      if (read_small_file (path, buf, sizeof (buf)) == 0 && nr_set_parse (buf, &core, NULL) == 0)
        break;
      nr_set_clear (&core);
    }
  nr_set_intersect (&core, &topo->online_cpus);
  nr_set_add (&core, cpu);
  leader = nr_set_next (&core, 0);
  for (int c = leader; c >= 0 && c < topo->n_cpu_slots; c = nr_set_next (&core, c + 1))
    topo->core_leader[c] = leader;
}

/* Does GROUP hold CPUs of more than one core?  */
static bool
spans_cores (const struct nr_topology *topo, const nr_set_t *group)
{
  int first = nr_set_next (group, 0);

  for (int c = first; c >= 0 && c < topo->n_cpu_slots; c = nr_set_next (group, c + 1))
    if (topo->core_leader[c] != topo->core_leader[first])
      return true;
  return false;
}

/* Add SHARED, cut per node, to the groups.  A cache private to one core
   (Ampere Altra's L2, the last level its kernel shows) groups nothing.  */
static void
add_llc (struct nr_topology *topo, const nr_set_t *shared)
{
  for (int i = 0; i < topo->n_nodes; i++)
    {
      nr_set_t group = *shared;

      nr_set_intersect (&group, &topo->nodes[i].cpus);
      if (nr_set_is_empty (&group) || ! spans_cores (topo, &group))
        continue;
      topo->llc = xrealloc (topo->llc, (size_t) (topo->n_llc + 1) * sizeof (nr_set_t));
      topo->llc_node = xrealloc (topo->llc_node, (size_t) (topo->n_llc + 1) * sizeof (int));
      topo->llc[topo->n_llc] = group;
      topo->llc_node[topo->n_llc++] = i;
    }
}

/* isolated and nohz_full: lists, or "(null)" / empty when none.  */
static void
read_isolated (const char *sysfs_root, struct nr_topology *topo)
{
  static const char *const names[] = { "isolated", "nohz_full" };
  char buf[8192];

  nr_set_clear (&topo->isolated);
  for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    {
      cleanup_free char *path = xasprintf ("%s/" CPU_DIR "/%s", sysfs_root, names[i]);
      nr_set_t cpus;

      if (read_small_file (path, buf, sizeof (buf)) == 0 && nr_set_parse (buf, &cpus, NULL) == 0)
        nr_set_union (&topo->isolated, &cpus);
    }
  nr_set_intersect (&topo->isolated, &topo->online_cpus);
}

void
nr_cpu_groups_load (const char *sysfs_root, struct nr_topology *topo)
{
  nr_set_t grouped;
  int last = -1;

  for (int c = nr_set_next (&topo->online_cpus, 0); c >= 0;
       c = nr_set_next (&topo->online_cpus, c + 1))
    last = c;
  free (topo->core_leader);
  free (topo->llc);
  free (topo->llc_node);
  topo->llc = NULL;
  topo->llc_node = NULL;
  topo->n_llc = 0;
  topo->n_cpu_slots = last + 1;
  topo->core_leader = xmalloc ((size_t) (last + 1) * sizeof (int));
  for (int c = 0; c <= last; c++)
    topo->core_leader[c] = -1;
  for (int c = nr_set_next (&topo->online_cpus, 0); c >= 0;
       c = nr_set_next (&topo->online_cpus, c + 1))
    if (topo->core_leader[c] < 0)
      read_core (sysfs_root, c, topo);
  nr_set_clear (&grouped);
  for (int c = nr_set_next (&topo->online_cpus, 0); c >= 0;
       c = nr_set_next (&topo->online_cpus, c + 1))
    {
      nr_set_t shared;

      if (nr_set_has (&grouped, c) || ! read_llc (sysfs_root, c, &shared))
        continue;
      nr_set_intersect (&shared, &topo->online_cpus);
      nr_set_add (&shared, c);
      nr_set_union (&grouped, &shared);
      add_llc (topo, &shared);
    }
  read_isolated (sysfs_root, topo);
}

int
nr_llc_held (const struct nr_topology *topo, int g, const nr_set_t *exclusive)
{
  nr_set_t held = topo->llc[g];

  nr_set_intersect (&held, exclusive);
  return nr_set_count (&held);
}
