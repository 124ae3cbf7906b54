/* numa-runtime: host topology from sysfs.  */
#include <config.h>

#include "topology.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define NODE_DIR "devices/system/node"
#define TIER_DIR "devices/virtual/memory_tiering"
#define WEIGHT_DIR "kernel/mm/mempolicy/weighted_interleave"

/* Sum "Node N <key>: <value> kB" (or a bare page count for HugePages_*)
   from a node's meminfo.  A missing file leaves the sizes unknown (0); a
   read that fails is an error, not a short file.  */
static int
read_meminfo (const char *path, struct nr_node *node, nr_error_t *err)
{
  cleanup_file FILE *f = fopen_regular (path);
  char line[256];

  if (f == NULL)
    return 0;
  errno = 0;
  while (fgets (line, sizeof (line), f))
    {
      char key[64];
      uint64_t value;
      int id;

      if (sscanf (line, "Node %d %63[^:]: %" SCNu64, &id, key, &value) != 3)
        continue;
      if (strcmp (key, "MemTotal") == 0)
        node->memory_total = value > UINT64_MAX / 1024 ? UINT64_MAX : value * 1024;
      else if (strcmp (key, "MemFree") == 0)
        node->memory_free = value > UINT64_MAX / 1024 ? UINT64_MAX : value * 1024;
    }
  if (ferror (f))
    return nr_make_error (err, errno ? errno : EIO, "read `%s`", path);
  return 0;
}

/* SUM plus PAGES pages of KB KiB, in bytes, saturating: the numbers are
   the kernel's (or a fixture's), not to be trusted to fit.  */
static uint64_t
add_pages (uint64_t sum, uint64_t pages, uint64_t kb)
{
  uint64_t bytes, total;

  if (__builtin_mul_overflow (pages, kb, &bytes) || __builtin_mul_overflow (bytes, 1024, &bytes)
      || __builtin_add_overflow (sum, bytes, &total))
    return UINT64_MAX;
  return total;
}

/* Sum every hugepage size's total and free bytes for a node.  */
static void
read_hugepages (const char *node_path, struct nr_node *node)
{
  cleanup_free char *dir_path = xasprintf ("%s/hugepages", node_path);
  cleanup_dir DIR *dir = opendir (dir_path);
  struct dirent *de;

  if (dir == NULL)
    return;
  while ((de = readdir (dir)))
    {
      uint64_t kb;
      char buf[64];
      cleanup_free char *nr_path = NULL;
      cleanup_free char *free_path = NULL;

      if (sscanf (de->d_name, "hugepages-%" SCNu64 "kB", &kb) != 1)
        continue;
      nr_path = xasprintf ("%s/%s/nr_hugepages", dir_path, de->d_name);
      free_path = xasprintf ("%s/%s/free_hugepages", dir_path, de->d_name);
      if (read_small_file (nr_path, buf, sizeof (buf)) == 0)
        node->hugepages_total = add_pages (node->hugepages_total, strtoull (buf, NULL, 10), kb);
      if (read_small_file (free_path, buf, sizeof (buf)) == 0)
        node->hugepages_free = add_pages (node->hugepages_free, strtoull (buf, NULL, 10), kb);
    }
}

static int
read_set (const char *path, nr_set_t *out, nr_error_t *err)
{
  char buf[8192];

  if (read_small_file (path, buf, sizeof (buf)) < 0)
    return nr_make_error (err, errno, "read `%s`", path);
  if (nr_set_parse (buf, out, err) < 0)
    return nr_error_wrap (err, "`%s`", path);
  return 0;
}

static void
read_distances (const char *sysfs_root, struct nr_topology *topo)
{
  int n = topo->n_nodes;

  topo->distance = xmalloc0 ((size_t) (n * n) * sizeof (int));
  for (int i = 0; i < n; i++)
    {
      cleanup_free char *path =
          xasprintf ("%s/" NODE_DIR "/node%d/distance", sysfs_root, topo->nodes[i].id);
      char buf[4096];
      bool ok = read_small_file (path, buf, sizeof (buf)) == 0;
      char *p = buf;

      /* The row lists every possible node, in id order; keep ours.  */
      for (int j = 0, col = 0; j < n; col++)
        {
          char *end;
          long d = ok ? strtol (p, &end, 10) : 0;
          if (! ok || end == p)
            {
              ok = false;
              topo->distance[i * n + j] = i == j ? 10 : 20;
              j++;
              continue;
            }
          p = end;
          if (col == topo->nodes[j].id)
            topo->distance[i * n + j++] = (int) d;
        }
    }
}

/* memory_tierN/nodelist for every tier the kernel lists.  */
static void
read_tiers (const char *sysfs_root, struct nr_topology *topo)
{
  cleanup_free char *dir_path = xasprintf ("%s/" TIER_DIR, sysfs_root);
  DIR *dir = opendir (dir_path);
  struct dirent *de;

  if (dir == NULL)
    return;
  topo->has_tiers = true;
  while ((de = readdir (dir)))
    {
      cleanup_free char *path = NULL;
      char buf[4096];
      nr_set_t nodes;
      int tier;

      if (sscanf (de->d_name, "memory_tier%d", &tier) != 1 || tier < 0)
        continue;
      path = xasprintf ("%s/%s/nodelist", dir_path, de->d_name);
      if (read_small_file (path, buf, sizeof (buf)) < 0 || nr_set_parse (buf, &nodes, NULL) < 0)
        continue;
      for (int i = 0; i < topo->n_nodes; i++)
        if (nr_set_has (&nodes, topo->nodes[i].id))
          topo->nodes[i].tier = tier;
    }
  closedir (dir);
}

int
nr_topology_load (const char *sysfs_root, struct nr_topology *topo, nr_error_t *err)
{
  cleanup_free char *online_path = xasprintf ("%s/devices/system/cpu/online", sysfs_root);
  cleanup_free char *nodes_path = xasprintf ("%s/" NODE_DIR "/online", sysfs_root);
  cleanup_free char *has_cpu_path = xasprintf ("%s/" NODE_DIR "/has_cpu", sysfs_root);
  nr_set_t online_nodes, has_cpu;
  bool has_cpu_known;
  char buf[8192];

  memset (topo, 0, sizeof (*topo));
  if (read_set (online_path, &topo->online_cpus, err) < 0)
    return nr_error_wrap (err, "read the online CPUs");

  if (read_small_file (nodes_path, buf, sizeof (buf)) < 0)
    {
      if (errno != ENOENT)
        return nr_make_error (err, errno, "read `%s`", nodes_path);
      /* No NUMA in this kernel: one node with everything.  */
      topo->n_nodes = 1;
      topo->nodes = xmalloc0 (sizeof (struct nr_node));
      topo->nodes[0].cpus = topo->online_cpus;
      topo->nodes[0].has_cpu = true;
      topo->nodes[0].tier = -1;
      read_distances (sysfs_root, topo);
      nr_cpu_groups_load (sysfs_root, topo);
      return 0;
    }
  if (nr_set_parse (buf, &online_nodes, err) < 0)
    return nr_error_wrap (err, "`%s`", nodes_path);
  if (nr_set_is_empty (&online_nodes))
    return nr_make_error (err, 0, "`%s` lists no node", nodes_path);

  /* Older kernels have no has_cpu: then a node has CPUs when it has
     online ones.  */
  has_cpu_known = read_small_file (has_cpu_path, buf, sizeof (buf)) == 0
                  && nr_set_parse (buf, &has_cpu, NULL) == 0;
  topo->nodes = xmalloc0 ((size_t) nr_set_count (&online_nodes) * sizeof (struct nr_node));
  for (int id = nr_set_next (&online_nodes, 0); id >= 0; id = nr_set_next (&online_nodes, id + 1))
    {
      struct nr_node *node = &topo->nodes[topo->n_nodes++];
      cleanup_free char *node_path = xasprintf ("%s/" NODE_DIR "/node%d", sysfs_root, id);
      cleanup_free char *cpulist = xasprintf ("%s/cpulist", node_path);
      cleanup_free char *meminfo = xasprintf ("%s/meminfo", node_path);

      node->id = id;
      node->tier = -1;
      if (read_set (cpulist, &node->cpus, err) < 0)
        return nr_error_wrap (err, "node %d", id);
      nr_set_intersect (&node->cpus, &topo->online_cpus);
      node->has_cpu = has_cpu_known ? nr_set_has (&has_cpu, id) : ! nr_set_is_empty (&node->cpus);
      if (nr_set_is_empty (&node->cpus))
        node->has_cpu = false;
      if (read_meminfo (meminfo, node, err) < 0)
        return -1;
    }
  read_distances (sysfs_root, topo);
  read_tiers (sysfs_root, topo);
  nr_cpu_groups_load (sysfs_root, topo);
  return 0;
}

void
nr_topology_load_hugepages (const char *sysfs_root, struct nr_topology *topo)
{
  if (topo->hugepages_read)
    return;
  topo->hugepages_read = true;
  for (int i = 0; i < topo->n_nodes; i++)
    {
      cleanup_free char *node_path =
          xasprintf ("%s/" NODE_DIR "/node%d", sysfs_root, topo->nodes[i].id);
      read_hugepages (node_path, &topo->nodes[i]);
    }
}

int
nr_topology_cpu_end (const struct nr_topology *topo)
{
  if (topo->core_leader && topo->n_cpu_slots > 0)
    return topo->n_cpu_slots;
  if (topo->thread_siblings && topo->n_siblings > 0)
    return topo->n_siblings;
  {
    /* A topology built by hand (tests): its nodes' CPUs bound it.  */
    nr_set_t cpus = topo->online_cpus;
    int last = -1;

    for (int i = 0; i < topo->n_nodes; i++)
      nr_set_union (&cpus, &topo->nodes[i].cpus);
    for (int c = nr_set_next (&cpus, 0); c >= 0; c = nr_set_next (&cpus, c + 1))
      last = c;
    return last + 1;
  }
}

int
nr_topology_index (const struct nr_topology *topo, int id)
{
  for (int i = 0; i < topo->n_nodes; i++)
    if (topo->nodes[i].id == id)
      return i;
  return -1;
}

void
nr_topology_cpus_of (const struct nr_topology *topo, const nr_set_t *nodes, nr_set_t *cpus)
{
  nr_set_clear (cpus);
  for (int i = 0; i < topo->n_nodes; i++)
    if (nr_set_has (nodes, topo->nodes[i].id))
      nr_set_union (cpus, &topo->nodes[i].cpus);
}

int
nr_topology_distance (const struct nr_topology *topo, int i, int j)
{
  return topo->distance[i * topo->n_nodes + j];
}

void
nr_topology_load_siblings (const char *sysfs_root, struct nr_topology *topo)
{
  int last = -1;

  for (int c = nr_set_next (&topo->online_cpus, 0); c >= 0;
       c = nr_set_next (&topo->online_cpus, c + 1))
    last = c;
  free (topo->thread_siblings);
  topo->n_siblings = last + 1;
  topo->thread_siblings = xmalloc0 ((size_t) (last + 1) * sizeof (nr_set_t));
  if (topo->core_leader && topo->n_cpu_slots == last + 1)
    {
      /* Read with the cache groups (and cached): no I/O.  */
      for (int c = 0; c <= last; c++)
        if (topo->core_leader[c] >= 0)
          nr_set_add (&topo->thread_siblings[topo->core_leader[c]], c);
      for (int c = 0; c <= last; c++)
        if (topo->core_leader[c] >= 0 && topo->core_leader[c] != c)
          topo->thread_siblings[c] = topo->thread_siblings[topo->core_leader[c]];
      return;
    }
  for (int c = nr_set_next (&topo->online_cpus, 0); c >= 0;
       c = nr_set_next (&topo->online_cpus, c + 1))
    {
      cleanup_free char *path =
          xasprintf ("%s/devices/system/cpu/cpu%d/topology/thread_siblings_list", sysfs_root, c);
      char buf[1024];
      nr_set_t *sib = &topo->thread_siblings[c];

      if (read_small_file (path, buf, sizeof (buf)) < 0 || nr_set_parse (buf, sib, NULL) < 0)
        nr_set_clear (sib);
      nr_set_add (sib, c);
      nr_set_intersect (sib, &topo->online_cpus);
    }
}

void
nr_topology_load_weights (const char *sysfs_root, const nr_set_t *nodes, struct nr_topology *topo)
{
  for (int i = 0; i < topo->n_nodes; i++)
    {
      struct nr_node *node = &topo->nodes[i];
      cleanup_free char *path = NULL;
      char buf[64];
      long w;

      if (! nr_set_has (nodes, node->id))
        continue;
      path = xasprintf ("%s/" WEIGHT_DIR "/node%d", sysfs_root, node->id);
      if (read_small_file (path, buf, sizeof (buf)) < 0)
        continue;
      w = strtol (buf, NULL, 10);
      if (w < 1 || w > 255)
        continue;
      node->weight = (int) w;
      topo->has_weights = true;
    }
}

/* Nodes a GPU driver onlined its memory on: "Node: N" in
   PROC_ROOT/driver/nvidia/gpus/<addr>/numa_status.  */
static void
read_gpu_memory_nodes (const char *proc_root, nr_set_t *out)
{
  cleanup_free char *dir_path = xasprintf ("%s/driver/nvidia/gpus", proc_root);
  DIR *dir = opendir (dir_path);
  struct dirent *de;

  if (dir == NULL)
    return;
  while ((de = readdir (dir)))
    {
      cleanup_free char *path = NULL;
      char buf[1024];
      const char *p;
      int node;

      if (de->d_name[0] == '.')
        continue;
      path = xasprintf ("%s/%s/numa_status", dir_path, de->d_name);
      if (read_small_file (path, buf, sizeof (buf)) < 0)
        continue;
      for (p = buf; p; p = strchr (p, '\n') ? strchr (p, '\n') + 1 : NULL)
        if (sscanf (p, "Node: %d", &node) == 1 && node >= 0 && node < NR_SET_MAX)
          nr_set_add (out, node);
    }
  closedir (dir);
}

void
nr_topology_classify (const char *sysfs_root, const char *proc_root, const nr_set_t *allowed,
                      struct nr_topology *topo)
{
  cleanup_free char *gi_path = xasprintf ("%s/" NODE_DIR "/has_generic_initiator", sysfs_root);
  bool any_cpuless = false;
  nr_set_t device;
  char buf[4096];

  for (int i = 0; i < topo->n_nodes; i++)
    {
      struct nr_node *node = &topo->nodes[i];
      node->kind = node->has_cpu ? NR_MEM_CPU : NR_MEM_NONE;
      node->kind_why = NULL;
      if (! node->has_cpu && node->memory_total > 0)
        any_cpuless = true;
    }
  if (! any_cpuless)
    return;
  nr_set_clear (&device);
  if (allowed == NULL)
    {
      if (read_small_file (gi_path, buf, sizeof (buf)) < 0 || nr_set_parse (buf, &device, NULL) < 0)
        nr_set_clear (&device);
      read_gpu_memory_nodes (proc_root, &device);
    }
  for (int i = 0; i < topo->n_nodes; i++)
    {
      struct nr_node *node = &topo->nodes[i];

      if (node->has_cpu || node->memory_total == 0)
        continue;
      if (allowed)
        {
          node->kind = nr_set_has (allowed, node->id) ? NR_MEM_TIER : NR_MEM_UNSURE;
          if (node->kind == NR_MEM_UNSURE)
            node->kind_why = "not in [memory] tier_nodes";
        }
      else if (nr_set_has (&device, node->id))
        {
          node->kind = NR_MEM_DEVICE;
          node->kind_why = "device memory (generic initiator or GPU driver)";
        }
      else if (! topo->has_tiers)
        {
          node->kind = NR_MEM_UNSURE;
          node->kind_why = "the kernel lists no memory tiers";
        }
      else if (node->tier < 0)
        {
          node->kind = NR_MEM_UNSURE;
          node->kind_why = "in no memory tier";
        }
      else
        node->kind = NR_MEM_TIER;
    }
}

const char *
nr_mem_kind_name (enum nr_mem_kind kind)
{
  switch (kind)
    {
    case NR_MEM_CPU:
      return "cpu";
    case NR_MEM_TIER:
      return "tier";
    case NR_MEM_DEVICE:
      return "device";
    case NR_MEM_UNSURE:
      return "unsure";
    case NR_MEM_NONE:
    default:
      return "none";
    }
}

void
nr_topology_free (struct nr_topology *topo)
{
  free (topo->thread_siblings);
  free (topo->core_leader);
  free (topo->llc);
  free (topo->llc_node);
  free (topo->nodes);
  free (topo->distance);
  memset (topo, 0, sizeof (*topo));
}
