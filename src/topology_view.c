/* numa-runtime: the topology view's files, rendered from the topology
   without I/O (see topology_view.h; the files on disk and the mounts are
   topology_view_fs.c's).  */
#include <config.h>

#include "topology_view.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

#define CPUMAP_WORD_BITS 32

char *
nr_view_cpumap (const nr_set_t *cpus, int bits)
{
  int words, first_bits;
  size_t len = 0;
  char *out;

  if (bits < 1)
    bits = 1;
  if (bits > NR_SET_MAX)
    bits = NR_SET_MAX;
  words = (bits + CPUMAP_WORD_BITS - 1) / CPUMAP_WORD_BITS;
  first_bits = bits - (words - 1) * CPUMAP_WORD_BITS;
  /* 8 hex digits and a comma a word, a newline and the NUL.  */
  out = xmalloc ((size_t) words * 9 + 2);
  for (int w = words - 1; w >= 0; w--)
    {
      int width = w == words - 1 ? (first_bits + 3) / 4 : 8;
      unsigned value = 0;

      for (int b = 0; b < CPUMAP_WORD_BITS; b++)
        if (w * CPUMAP_WORD_BITS + b < bits && nr_set_has (cpus, w * CPUMAP_WORD_BITS + b))
          value |= 1u << b;
      len += (size_t) sprintf (out + len, "%s%0*x", w == words - 1 ? "" : ",", width, value);
    }
  strcpy (out + len, "\n");
  return out;
}

static void
add_file (struct nr_view_tree *tree, char *path, char *text)
{
  tree->files = xrealloc (tree->files, (tree->n_files + 1) * sizeof (*tree->files));
  tree->files[tree->n_files].path = path;
  tree->files[tree->n_files].text = text;
  tree->n_files++;
}

/* A list as the kernel prints it: "0-1,3\n", "\n" when empty.  PATH
   becomes the tree's.  */
static void
add_list (struct nr_view_tree *tree, char *path, const nr_set_t *set)
{
  cleanup_free char *list = nr_set_format (set);
  add_file (tree, path, xasprintf ("%s\n", list));
}

/* Row I of the distance table, cut to the listed nodes.  */
static char *
distance_row (const struct nr_topology *topo, const nr_set_t *listed, int i)
{
  size_t cap = 16, len = 0;
  char *row = xmalloc (cap);

  for (int j = 0; j < topo->n_nodes; j++)
    {
      char cell[16];
      int n;

      if (! nr_set_has (listed, topo->nodes[j].id))
        continue;
      n = snprintf (cell, sizeof (cell), "%s%d", len ? " " : "", nr_topology_distance (topo, i, j));
      if (len + (size_t) n + 2 > cap)
        row = xrealloc (row, cap = 2 * cap + (size_t) n);
      memcpy (row + len, cell, (size_t) n);
      len += (size_t) n;
    }
  strcpy (row + len, "\n");
  return row;
}

int
nr_view_render (const struct nr_topology *topo, const struct nr_view_host *host,
                const nr_set_t *nodes, const nr_set_t *cpus, struct nr_view_tree *tree,
                nr_error_t *err)
{
  nr_set_t listed, with_cpu, with_memory, with_normal;

  memset (tree, 0, sizeof (*tree));
  nr_set_clear (&listed);
  nr_set_clear (&with_cpu);
  for (int i = 0; i < topo->n_nodes; i++)
    if (nr_set_has (nodes, topo->nodes[i].id))
      {
        nr_set_add (&listed, topo->nodes[i].id);
        if (nr_set_intersects (&topo->nodes[i].cpus, cpus))
          nr_set_add (&with_cpu, topo->nodes[i].id);
      }
  if (nr_set_is_empty (&listed))
    return nr_make_error (err, 0, "topology view: none of its nodes is on this machine");
  with_memory = host->has_memory;
  nr_set_intersect (&with_memory, &listed);
  with_normal = host->has_normal_memory;
  nr_set_intersect (&with_normal, &listed);
  tree->nodes = listed;
  add_list (tree, xstrdup ("online"), &listed);
  add_list (tree, xstrdup ("possible"), &listed);
  add_list (tree, xstrdup ("has_cpu"), &with_cpu);
  add_list (tree, xstrdup ("has_memory"), &with_memory);
  add_list (tree, xstrdup ("has_normal_memory"), &with_normal);
  for (int i = 0; i < topo->n_nodes; i++)
    {
      int id = topo->nodes[i].id;
      nr_set_t mine = topo->nodes[i].cpus;

      if (! nr_set_has (&listed, id))
        continue;
      nr_set_intersect (&mine, cpus);
      add_list (tree, xasprintf ("node%d/cpulist", id), &mine);
      add_file (tree, xasprintf ("node%d/cpumap", id), nr_view_cpumap (&mine, host->cpu_bits));
      add_file (tree, xasprintf ("node%d/distance", id), distance_row (topo, &listed, i));
    }
  return 0;
}

void
nr_view_tree_free (struct nr_view_tree *tree)
{
  for (size_t i = 0; i < tree->n_files; i++)
    {
      free (tree->files[i].path);
      free (tree->files[i].text);
    }
  free (tree->files);
  memset (tree, 0, sizeof (*tree));
}

bool
nr_view_wanted (const struct nr_request *req, const struct nr_config *config)
{
  return req->has_topology_view ? req->topology_view_container : config->topology_view_container;
}
