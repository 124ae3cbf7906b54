/* numa-runtime: `topology [--json]` — the machine as numa-runtime sees
 * it, in the manner of `numactl --hardware` and `nvidia-smi topo -m`:
 * each node's CPUs, memory, hugepages and kind, the SLIT distances, then
 * every device the locality resolvers place, under its node(s), and those
 * they place nowhere in a section of their own.  --json gives the same
 * data for scripts.  Reads sysfs only: no ledger, no lock.  */
#include <config.h>

#include "commands.h"
#include "devices.h"
#include "json.h"
#include "topology.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#define MIB (UINT64_C (1) << 20)

static int
parse_show_options (const struct nr_args *args, bool *json, nr_error_t *err)
{
  *json = false;
  for (int i = args->command_index + 1; i < args->argc; i++)
    {
      if (strcmp (args->argv[i], "--json") == 0)
        *json = true;
      else if (strncmp (args->argv[i], "--node-name", 11) == 0)
        return nr_make_error (err, 0,
                              "--node-name goes with --nrt (usage: topology --nrt "
                              "[--node-name NAME])");
      else
        return nr_make_error (err, 0,
                              "unknown argument `%s` (usage: topology [--json] | topology --nrt "
                              "[--node-name NAME])",
                              args->argv[i]);
    }
  return 0;
}

/* The sub-node CPU domains `topology` reports, by the name it gives them
   and the sysfs list that holds them (cpu_domains.c).  */
static const struct
{
  const char *name, *list_file;
} domain_kinds[] = {
  { "die", "die_cpus_list" },
  { "cluster", "cluster_cpus_list" },
};

/* One line per die and cluster of node index I worth naming.  */
static void
print_node_domains (const char *sysfs_root, const struct nr_topology *topo, int i)
{
  for (size_t k = 0; k < sizeof (domain_kinds) / sizeof (domain_kinds[0]); k++)
    {
      cleanup_free nr_set_t *domains = NULL;
      int n = nr_cpu_domains_read (sysfs_root, topo, i, domain_kinds[k].list_file, &domains);

      for (int d = 0; d < n; d++)
        {
          cleanup_free char *cpus = nr_set_format (&domains[d]);
          printf ("node %d %s %d cpus: %s\n", topo->nodes[i].id, domain_kinds[k].name, d, cpus);
        }
    }
}

/* "dies" and "clusters": lists of CPU lists, empty when none is worth
   naming.  */
static void
gen_node_domains (yajl_gen g, const char *sysfs_root, const struct nr_topology *topo, int i)
{
  static const char *const keys[] = { "dies", "clusters" };

  for (size_t k = 0; k < sizeof (domain_kinds) / sizeof (domain_kinds[0]); k++)
    {
      cleanup_free nr_set_t *domains = NULL;
      int n = nr_cpu_domains_read (sysfs_root, topo, i, domain_kinds[k].list_file, &domains);

      nr_json_gen_key (g, keys[k]);
      yajl_gen_array_open (g);
      for (int d = 0; d < n; d++)
        {
          cleanup_free char *cpus = nr_set_format (&domains[d]);
          yajl_gen_string (g, (const unsigned char *) cpus, strlen (cpus));
        }
      yajl_gen_array_close (g);
    }
}

/* The CPUs of node index I, then one line per last-level cache group of
   it (cpu_groups.c), numbered across the machine.  */
static void
print_node_cpus (const struct nr_topology *topo, int i)
{
  const struct nr_node *node = &topo->nodes[i];
  cleanup_free char *cpus = nr_set_format (&node->cpus);

  printf ("node %d cpus: %s\n", node->id, cpus);
  for (int g = 0; g < topo->n_llc; g++)
    if (topo->llc_node[g] == i)
      {
        cleanup_free char *group = nr_set_format (&topo->llc[g]);
        printf ("node %d L3 %d cpus: %s\n", node->id, g, group);
      }
}

static void
print_node (const char *sysfs_root, const struct nr_topology *topo, int i)
{
  const struct nr_node *node = &topo->nodes[i];

  print_node_cpus (topo, i);
  print_node_domains (sysfs_root, topo, i);
  printf ("node %d size: %" PRIu64 " MB\n", node->id, node->memory_total / MIB);
  printf ("node %d free: %" PRIu64 " MB\n", node->id, node->memory_free / MIB);
  printf ("node %d hugepages: %" PRIu64 " MB, %" PRIu64 " MB free\n", node->id,
          node->hugepages_total / MIB, node->hugepages_free / MIB);
  if (node->tier >= 0)
    printf ("node %d memory: %s, %s, memory_tier%d\n", node->id, nr_mem_kind_name (node->kind),
            node->has_cpu ? "has CPUs" : "no CPUs", node->tier);
  else
    printf ("node %d memory: %s, %s, no memory tier\n", node->id, nr_mem_kind_name (node->kind),
            node->has_cpu ? "has CPUs" : "no CPUs");
}

static void
print_distances (const struct nr_topology *topo)
{
  printf ("node distances:\nnode");
  for (int j = 0; j < topo->n_nodes; j++)
    printf (" %4d", topo->nodes[j].id);
  printf ("\n");
  for (int i = 0; i < topo->n_nodes; i++)
    {
      printf ("%3d:", topo->nodes[i].id);
      for (int j = 0; j < topo->n_nodes; j++)
        printf (" %4d", nr_topology_distance (topo, i, j));
      printf ("\n");
    }
}

static void
print_device (const struct nr_device *d)
{
  cleanup_free char *nodes = nr_set_format (&d->nodes);
  cleanup_free char *name = d->parent ? xasprintf ("  %s", d->name) : xstrdup (d->name);
  /* The way it was found, unless it says nothing more than the rest.  */
  const char *via = d->via && strcmp (d->via, d->name) != 0
                            && (d->detail == NULL || strstr (d->detail, d->via) == NULL)
                        ? d->via
                        : NULL;

  printf ("  %-5s %-20s %-8s %-6s %s%s%s\n", nr_device_class_name (d->class_id), name,
          d->dev ? d->dev : "-", *nodes ? nodes : "-", d->detail ? d->detail : "",
          d->detail && via ? "; via "
          : via            ? "via "
                           : "",
          via ? via : "");
}

/* Devices under node ID (ID -1: those on no node).  */
static void
print_devices_of (const struct nr_device_list *devices, int id)
{
  bool any = false;

  for (size_t i = 0; i < devices->n; i++)
    {
      const struct nr_device *d = &devices->items[i];
      if (id < 0 ? ! nr_set_is_empty (&d->nodes) : ! nr_set_has (&d->nodes, id))
        continue;
      if (! any)
        {
          if (id < 0)
            printf ("\ndevices on no node:\n");
          else
            printf ("\nnode %d devices:\n", id);
          printf ("  %-5s %-20s %-8s %-6s %s\n", "CLASS", "NAME", "DEV", "NODES", "DETAIL");
        }
      any = true;
      print_device (d);
    }
}

static void
print_text (const char *sysfs_root, const struct nr_topology *topo,
            const struct nr_device_list *devices)
{
  cleanup_free char *ids = NULL;
  nr_set_t node_ids;

  nr_set_clear (&node_ids);
  for (int i = 0; i < topo->n_nodes; i++)
    nr_set_add (&node_ids, topo->nodes[i].id);
  ids = nr_set_format (&node_ids);
  printf ("available: %d nodes (%s)\n", topo->n_nodes, ids);
  for (int i = 0; i < topo->n_nodes; i++)
    print_node (sysfs_root, topo, i);
  print_distances (topo);
  for (int i = 0; i < topo->n_nodes; i++)
    print_devices_of (devices, topo->nodes[i].id);
  print_devices_of (devices, -1);
}

static void
gen_node (yajl_gen g, const char *sysfs_root, const struct nr_topology *topo, int i)
{
  const struct nr_node *node = &topo->nodes[i];

  yajl_gen_map_open (g);
  nr_json_gen_int (g, "node", node->id);
  nr_json_gen_set (g, "cpus", &node->cpus);
  nr_json_gen_key (g, "cache_groups");
  yajl_gen_array_open (g);
  for (int k = 0; k < topo->n_llc; k++)
    if (topo->llc_node[k] == i)
      {
        cleanup_free char *group = nr_set_format (&topo->llc[k]);
        yajl_gen_string (g, (const unsigned char *) group, strlen (group));
      }
  yajl_gen_array_close (g);
  gen_node_domains (g, sysfs_root, topo, i);
  nr_json_gen_bool (g, "has_cpu", node->has_cpu);
  nr_json_gen_string (g, "memory_kind", nr_mem_kind_name (node->kind));
  nr_json_gen_key (g, "memory_tier");
  if (node->tier >= 0)
    yajl_gen_integer (g, node->tier);
  else
    yajl_gen_null (g);
  nr_json_gen_int (g, "memory_total", (long long) node->memory_total);
  nr_json_gen_int (g, "memory_free", (long long) node->memory_free);
  nr_json_gen_int (g, "hugepages_total", (long long) node->hugepages_total);
  nr_json_gen_int (g, "hugepages_free", (long long) node->hugepages_free);
  nr_json_gen_key (g, "distances");
  yajl_gen_array_open (g);
  for (int j = 0; j < topo->n_nodes; j++)
    yajl_gen_integer (g, nr_topology_distance (topo, i, j));
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
}

static void
gen_device (yajl_gen g, const struct nr_device *d)
{
  yajl_gen_map_open (g);
  nr_json_gen_string (g, "class", nr_device_class_name (d->class_id));
  nr_json_gen_string (g, "name", d->name);
  nr_json_gen_string (g, "dev", d->dev);
  nr_json_gen_string (g, "parent", d->parent);
  nr_json_gen_string (g, "detail", d->detail);
  nr_json_gen_string (g, "via", d->via);
  nr_json_gen_key (g, "nodes");
  yajl_gen_array_open (g);
  for (int n = nr_set_next (&d->nodes, 0); n >= 0; n = nr_set_next (&d->nodes, n + 1))
    yajl_gen_integer (g, n);
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
}

static void
print_json (const char *sysfs_root, const struct nr_topology *topo,
            const struct nr_device_list *devices)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  cleanup_free char *text = NULL;

  yajl_gen_map_open (g);
  nr_json_gen_key (g, "nodes");
  yajl_gen_array_open (g);
  for (int i = 0; i < topo->n_nodes; i++)
    gen_node (g, sysfs_root, topo, i);
  yajl_gen_array_close (g);
  nr_json_gen_key (g, "devices");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < devices->n; i++)
    gen_device (g, &devices->items[i]);
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  text = nr_json_gen_finish (g, NULL);
  printf ("%s\n", text);
}

int
nr_cmd_topology_show (const struct nr_args *args, const struct nr_config *config, nr_error_t *err)
{
  struct nr_topology topo = { 0 };
  struct nr_device_list devices = { 0 };
  bool json;
  int ret = -1;

  if (parse_show_options (args, &json, err) < 0
      || nr_topology_load (config->sysfs_root, &topo, err) < 0)
    return nr_error_wrap (err, "topology");
  nr_topology_load_hugepages (config->sysfs_root, &topo);
  nr_topology_classify (config->sysfs_root, config->proc_root,
                        config->tier_nodes_set ? &config->tier_nodes : NULL, &topo);
  if (nr_devices_list (config->sysfs_root, config->proc_root, &devices, err) < 0)
    goto out;
  if (json)
    print_json (config->sysfs_root, &topo, &devices);
  else
    print_text (config->sysfs_root, &topo, &devices);
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      nr_make_error (err, errno, "write to stdout");
      goto out;
    }
  ret = 0;
out:
  nr_device_list_free (&devices);
  nr_topology_free (&topo);
  if (ret < 0)
    return nr_error_wrap (err, "topology");
  return 0;
}
