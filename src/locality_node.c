/* numa-runtime: which node a device counts for, once its numa_node is
 * known.
 *
 * Usually the numa_node itself.  But firmware may give a device a node of
 * its own without CPUs (an ACPI Generic Initiator, a GPU whose memory is
 * a node): no container can run there, so the device counts for the CPU
 * node nearest to it by SLIT distance.  And a numa_node naming a node the
 * host does not have (a firmware table out of step with the SRAT) is
 * reported rather than dropped in silence.  */
#include <config.h>

#include "cpuset.h"
#include "locality_walk.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* A distance row holds one number (at most 3 digits and a blank) per
   online node.  */
#define DISTANCE_ROW_MAX (NR_SET_MAX * 4)

static void
list_add (struct nr_reached_list *list, int node, const char *via)
{
  for (size_t i = 0; i < list->n; i++)
    if (list->items[i].node == node)
      return;
  list->items = xrealloc (list->items, (list->n + 1) * sizeof (*list->items));
  list->items[list->n].node = node;
  list->items[list->n].via = xstrdup (via);
  list->n++;
}

/* devices/system/node/FILE ("online", "has_cpu") into OUT; false when
   the file is missing or unreadable.  */
static bool
node_list (const struct nr_sysfs *sysfs, const char *file, nr_set_t *out)
{
  cleanup_free char *path = xasprintf ("%s/devices/system/node/%s", sysfs->root, file);
  char text[4096];

  return read_small_file (path, text, sizeof (text)) == 0 && nr_set_parse (text, out, NULL) == 0;
}

/* The node with CPUs nearest to NODE by its row of SLIT distances (one
   entry per online node, in order), the lower id on a tie; -1 when the
   row is missing or does not match the online nodes.  */
static int
nearest_cpu_node (const struct nr_sysfs *sysfs, int node, const nr_set_t *online,
                  const nr_set_t *with_cpu)
{
  cleanup_free char *path = xasprintf ("%s/devices/system/node/node%d/distance", sysfs->root, node);
  cleanup_free char *row = xmalloc (DISTANCE_ROW_MAX);
  const char *p = row;
  int best = -1;
  long best_distance = LONG_MAX;

  if (read_small_file (path, row, DISTANCE_ROW_MAX) < 0)
    return -1;
  for (int other = nr_set_next (online, 0); other >= 0; other = nr_set_next (online, other + 1))
    {
      char *end;
      long distance;

      errno = 0;
      distance = strtol (p, &end, 10);
      if (end == p || errno != 0 || distance < 0)
        return -1;
      p = end;
      if (nr_set_has (with_cpu, other) && distance < best_distance)
        {
          best = other;
          best_distance = distance;
        }
    }
  return best;
}

void
nr_reached_add (const struct nr_sysfs *sysfs, struct nr_reached_list *list, int node,
                const char *via)
{
  const char *who = sysfs->who ? sysfs->who : "?";
  cleanup_free char *longer = NULL;
  nr_set_t online, with_cpu;
  int nearest;

  if (node < 0)
    return;
  /* No node list (a kernel without NUMA): take numa_node as it is.  */
  if (! node_list (sysfs, "online", &online))
    {
      list_add (list, node, via);
      return;
    }
  if (node >= NR_SET_MAX || ! nr_set_has (&online, node))
    {
      nr_warn ("container %s: %s: numa_node %d is no node of this host (no locality hint from it)",
               who, via, node);
      return;
    }
  if (! node_list (sysfs, "has_cpu", &with_cpu) || nr_set_has (&with_cpu, node))
    {
      list_add (list, node, via);
      return;
    }
  nearest = nearest_cpu_node (sysfs, node, &online, &with_cpu);
  if (nearest < 0)
    {
      nr_warn ("container %s: %s: node %d has no CPUs and no distances to a node that has "
               "(no locality hint from it)",
               who, via, node);
      return;
    }
  longer = xasprintf ("%s, nearest to node %d", via, node);
  list_add (list, nearest, longer);
}

int
nr_sysfs_pci_nodes (const struct nr_sysfs *sysfs, const char *address, const char *via,
                    struct nr_reached_list *out, nr_error_t *err)
{
  cleanup_free char *link = xasprintf ("%s/bus/pci/devices/%s", sysfs->root, address);
  cleanup_free char *dir = NULL;
  int node;

  if (nr_sysfs_resolve (sysfs, link, &dir, err) < 0)
    return -1;
  if (dir == NULL)
    return nr_make_error (err, 0, "no PCI device `%s` in sysfs", address);
  if (nr_sysfs_numa_node (sysfs, dir, &node, err) < 0)
    return -1;
  nr_reached_add (sysfs, out, node, via);
  return 0;
}
