/* numa-runtime: the placement decision.  */
#include <config.h>

#include "placement.h"
#include "util.h"

#include <string.h>

/* A node can take containers when it has online CPUs: memory-only nodes
   (CXL expanders, some HBM modes) are never a home node.  */
static bool
node_usable (const struct nr_node *node)
{
  return ! nr_set_is_empty (&node->cpus);
}

/* The node carrying the least load; ties go to the lowest id.  */
static int
least_loaded (const struct nr_placement_input *in)
{
  int best = -1;

  for (int i = 0; i < in->topo->n_nodes; i++)
    {
      if (! node_usable (&in->topo->nodes[i]))
        continue;
      if (best < 0 || in->usage[i].load < in->usage[best].load)
        best = i;
    }
  return best;
}

int
nr_place (const struct nr_placement_input *in, struct nr_placement *out,
          nr_error_t *err)
{
  int chosen;
  const struct nr_node *node;

  memset (out, 0, sizeof (*out));
  chosen = least_loaded (in);
  if (chosen < 0)
    return nr_make_error (err, 0, "the host has no NUMA node with online CPUs");
  node = &in->topo->nodes[chosen];
  nr_set_add (&out->nodes, node->id);
  out->cpus = node->cpus;
  /* Weigh a container by the CPUs it may run on.  */
  out->load = (int64_t) nr_set_count (&out->cpus) * 1000;
  return 0;
}

void
nr_placement_free (struct nr_placement *placement)
{
  free (placement->warning);
  memset (placement, 0, sizeof (*placement));
}
