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

/* Sum "Node N <key>: <value> kB" (or a bare page count for HugePages_*)
   from a node's meminfo.  */
static void
read_meminfo (const char *path, struct nr_node *node)
{
  cleanup_file FILE *f = fopen_regular (path);
  char line[256];

  if (f == NULL)
    return;
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

int
nr_topology_load (const char *sysfs_root, struct nr_topology *topo, nr_error_t *err)
{
  cleanup_free char *online_path = xasprintf ("%s/devices/system/cpu/online", sysfs_root);
  cleanup_free char *nodes_path = xasprintf ("%s/" NODE_DIR "/online", sysfs_root);
  nr_set_t online_nodes;
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
      read_distances (sysfs_root, topo);
      return 0;
    }
  if (nr_set_parse (buf, &online_nodes, err) < 0)
    return nr_error_wrap (err, "`%s`", nodes_path);
  if (nr_set_is_empty (&online_nodes))
    return nr_make_error (err, 0, "`%s` lists no node", nodes_path);

  topo->nodes = xmalloc0 ((size_t) nr_set_count (&online_nodes) * sizeof (struct nr_node));
  for (int id = nr_set_next (&online_nodes, 0); id >= 0; id = nr_set_next (&online_nodes, id + 1))
    {
      struct nr_node *node = &topo->nodes[topo->n_nodes++];
      cleanup_free char *node_path = xasprintf ("%s/" NODE_DIR "/node%d", sysfs_root, id);
      cleanup_free char *cpulist = xasprintf ("%s/cpulist", node_path);
      cleanup_free char *meminfo = xasprintf ("%s/meminfo", node_path);

      node->id = id;
      if (read_set (cpulist, &node->cpus, err) < 0)
        return nr_error_wrap (err, "node %d", id);
      nr_set_intersect (&node->cpus, &topo->online_cpus);
      read_meminfo (meminfo, node);
      read_hugepages (node_path, node);
    }
  read_distances (sysfs_root, topo);
  return 0;
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
nr_topology_free (struct nr_topology *topo)
{
  free (topo->thread_siblings);
  free (topo->nodes);
  free (topo->distance);
  memset (topo, 0, sizeof (*topo));
}
