/* numa-runtime: `topology --nrt [--node-name NAME]` — this node as a
 * NodeResourceTopology object (topology.node.k8s.io/v1alpha2), the CRD
 * that resource-topology-exporter and NFD's topology-updater publish and
 * scheduler-plugins' NodeResourceTopologyMatch reads, printed as JSON for
 * `kubectl apply -f -`.
 *
 * One zone per NUMA node, "node-N" of type "Node", with the SLIT distance
 * to every zone as its costs and cpu, memory and hugepages-2Mi/-1Gi as
 * Kubernetes quantities: capacity (the node's), allocatable (less the
 * config's reserved_cpus/reserved_memory) and available (less what the
 * ledger holds).  Top-level attributes carry the policy and scope in
 * kubelet's spelling.  */
#include <config.h>

#include "commands.h"
#include "json.h"
#include "ledger.h"
#include "rebuild.h"
#include "nodeview.h"
#include "topology.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

/* numa-runtime keeps a pod's containers on the node(s) of its sandbox (or
   its first container), so alignment is per pod, as kubelet's "pod"
   scope.  */
static const char scope[] = "pod";

/* The deprecated v1alpha1-style policy name older scheduler-plugins read
   from "topologyPolicies" when "attributes" are absent.  */
static const char *
legacy_policy_name (enum nr_policy policy)
{
  switch (policy)
    {
    case NR_POLICY_SINGLE_NUMA_NODE:
      return "SingleNUMANodePodLevel";
    case NR_POLICY_RESTRICTED:
      return "RestrictedPodLevel";
    case NR_POLICY_BEST_EFFORT:
      return "BestEffortPodLevel";
    case NR_POLICY_NONE:
      break;
    }
  return "None";
}

/* MILLI thousandths of a CPU as a quantity: "4", "3500m".  */
static char *
cpu_quantity (int64_t milli)
{
  if (milli < 0)
    milli = 0;
  if (milli % 1000 == 0)
    return xasprintf ("%" PRId64, milli / 1000);
  return xasprintf ("%" PRId64 "m", milli);
}

static char *
bytes_quantity (int64_t bytes)
{
  return xasprintf ("%" PRId64, bytes < 0 ? 0 : bytes);
}

/* One ResourceInfo; takes ownership of the three strings.  */
static void
gen_resource (yajl_gen g, const char *name, char *capacity, char *allocatable, char *available)
{
  yajl_gen_map_open (g);
  nr_json_gen_string (g, "name", name);
  nr_json_gen_string (g, "capacity", capacity);
  nr_json_gen_string (g, "allocatable", allocatable);
  nr_json_gen_string (g, "available", available);
  yajl_gen_map_close (g);
  free (capacity);
  free (allocatable);
  free (available);
}

/* The hugepage pools of the zone.  The ledger knows bytes of hugepages,
   not their size: they are charged to the 2Mi pool first, what exceeds it
   to the 1Gi pool.  */
static void
gen_hugepages (yajl_gen g, const char *sysfs_root, const struct nr_node_view *v)
{
  static const struct
  {
    const char *name;
    uint64_t size_kb;
  } pools[] = { { "hugepages-2Mi", 2048 }, { "hugepages-1Gi", 1048576 } };
  int64_t held = v->usage.hugepages;

  for (size_t p = 0; p < sizeof (pools) / sizeof (pools[0]); p++)
    {
      uint64_t bytes;
      int64_t capacity, charged;

      if (nr_node_hugepages_of_size (sysfs_root, v->node->id, pools[p].size_kb, &bytes) < 0)
        continue;
      capacity = (int64_t) bytes;
      charged = held < capacity || p + 1 == sizeof (pools) / sizeof (pools[0]) ? held : capacity;
      held -= charged;
      gen_resource (g, pools[p].name, bytes_quantity (capacity), bytes_quantity (capacity),
                    bytes_quantity (capacity - charged));
    }
}

static void
gen_zone (yajl_gen g, const struct nr_topology *topo, int i, const struct nr_node_view *v,
          const char *sysfs_root)
{
  cleanup_free char *name = xasprintf ("node-%d", v->node->id);
  int64_t cpus = nr_set_count (&v->node->cpus);
  int64_t allocatable_cpus = cpus - nr_set_count (&v->reserved_cpus);
  int64_t memory = (int64_t) v->node->memory_total;

  yajl_gen_map_open (g);
  nr_json_gen_string (g, "name", name);
  nr_json_gen_string (g, "type", "Node");
  nr_json_gen_key (g, "costs");
  yajl_gen_array_open (g);
  for (int j = 0; j < topo->n_nodes; j++)
    {
      cleanup_free char *other = xasprintf ("node-%d", topo->nodes[j].id);
      yajl_gen_map_open (g);
      nr_json_gen_string (g, "name", other);
      nr_json_gen_int (g, "value", nr_topology_distance (topo, i, j));
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  nr_json_gen_key (g, "resources");
  yajl_gen_array_open (g);
  gen_resource (g, "cpu", cpu_quantity (cpus * 1000), cpu_quantity (allocatable_cpus * 1000),
                cpu_quantity (allocatable_cpus * 1000 - v->usage.load));
  gen_resource (g, "memory", bytes_quantity (memory), bytes_quantity (memory - v->memory_reserved),
                bytes_quantity (v->memory_free));
  gen_hugepages (g, sysfs_root, v);
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
}

static void
gen_attribute (yajl_gen g, const char *name, const char *value)
{
  yajl_gen_map_open (g);
  nr_json_gen_string (g, "name", name);
  nr_json_gen_string (g, "value", value);
  yajl_gen_map_close (g);
}

/* A Kubernetes object name (RFC 1123 subdomain): what kubelet registers
   a node as, lower-case.  */
static int
check_node_name (const char *name, nr_error_t *err)
{
  size_t len = strlen (name);

  if (len == 0 || len > 253 || ! isalnum ((unsigned char) name[0])
      || ! isalnum ((unsigned char) name[len - 1]))
    return nr_make_error (err, 0, "`%s` is not a Kubernetes node name", name);
  for (const char *p = name; *p; p++)
    if (! (islower ((unsigned char) *p) || isdigit ((unsigned char) *p) || *p == '-' || *p == '.'))
      return nr_make_error (err, 0, "`%s` is not a Kubernetes node name", name);
  return 0;
}

static int
parse_options (const struct nr_args *args, char **node_name, nr_error_t *err)
{
  bool nrt = false;
  const char *name = NULL;
  char host[256];

  for (int i = args->command_index + 1; i < args->argc; i++)
    {
      const char *a = args->argv[i];
      if (strcmp (a, "--nrt") == 0)
        nrt = true;
      else if (strcmp (a, "--node-name") == 0 && i + 1 < args->argc)
        name = args->argv[++i];
      else if (strncmp (a, "--node-name=", 12) == 0)
        name = a + 12;
      else
        return nr_make_error (
            err, 0, "unknown argument `%s` (usage: topology --nrt [--node-name NAME])", a);
    }
  if (! nrt)
    return nr_make_error (err, 0, "usage: topology --nrt [--node-name NAME]");
  if (name == NULL)
    {
      if (gethostname (host, sizeof (host)) < 0)
        return nr_make_error (err, errno, "gethostname");
      host[sizeof (host) - 1] = '\0';
      for (char *p = host; *p; p++)
        *p = (char) tolower ((unsigned char) *p);
      name = host;
    }
  if (check_node_name (name, err) < 0)
    return -1;
  *node_name = xstrdup (name);
  return 0;
}

/* --nrt anywhere: the NodeResourceTopology object; else the operator's
   view (cmd_topology_show.c).  */
static bool
nrt_asked (const struct nr_args *args)
{
  for (int i = args->command_index + 1; i < args->argc; i++)
    if (strcmp (args->argv[i], "--nrt") == 0)
      return true;
  return false;
}

int
nr_cmd_topology (const struct nr_args *args, const struct nr_config *config, nr_error_t *err)
{
  cleanup_free char *node_name = NULL;
  cleanup_free struct nr_node_view *views = NULL;
  cleanup_ledger struct nr_ledger *ledger = NULL;
  struct nr_topology topo = { 0 };
  yajl_gen g = NULL;
  const unsigned char *buf;
  size_t len;
  int ret = -1;

  if (! nrt_asked (args))
    return nr_cmd_topology_show (args, config, err);
  if (parse_options (args, &node_name, err) < 0
      || nr_topology_load (config->sysfs_root, &topo, err) < 0)
    return nr_error_wrap (err, "topology");
  /* The index's sums are all it needs; read-only, like `metrics`, and
     no ledger yet means nothing is held.  */
  if (nr_ledger_open_for (config, NR_LEDGER_READ, NULL, NULL, &ledger, err) < 0)
    goto out;
  views = xmalloc0 ((size_t) (topo.n_nodes ? topo.n_nodes : 1) * sizeof (*views));
  nr_node_views_fill (&topo, ledger, config, views);
  nr_ledger_close (steal_pointer (&ledger));

  g = yajl_gen_alloc (NULL);
  yajl_gen_map_open (g);
  nr_json_gen_string (g, "apiVersion", "topology.node.k8s.io/v1alpha2");
  nr_json_gen_string (g, "kind", "NodeResourceTopology");
  nr_json_gen_key (g, "metadata");
  yajl_gen_map_open (g);
  nr_json_gen_string (g, "name", node_name);
  yajl_gen_map_close (g);
  nr_json_gen_key (g, "topologyPolicies");
  yajl_gen_array_open (g);
  yajl_gen_string (g, (const unsigned char *) legacy_policy_name (config->policy),
                   strlen (legacy_policy_name (config->policy)));
  yajl_gen_array_close (g);
  nr_json_gen_key (g, "attributes");
  yajl_gen_array_open (g);
  gen_attribute (g, "topologyManagerPolicy", nr_policy_name (config->policy));
  gen_attribute (g, "topologyManagerScope", scope);
  /* What the exclusive CPU pick does, under kubelet's own name for it (its
     CPU Manager option, KEP-4800), where the machine shows caches shared
     by several cores.  How full each cache is has no kubelet name: it is
     in status --json and the numa_runtime_llc_* gauges.  */
  if (topo.n_llc > 0)
    gen_attribute (g, "prefer-align-cpus-by-uncorecache", "true");
  yajl_gen_array_close (g);
  nr_json_gen_key (g, "zones");
  yajl_gen_array_open (g);
  for (int i = 0; i < topo.n_nodes; i++)
    gen_zone (g, &topo, i, &views[i], config->sysfs_root);
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    {
      nr_make_error (err, 0, "generate the JSON");
      goto out;
    }
  if (fwrite (buf, 1, len, stdout) != len || fputc ('\n', stdout) == EOF || fflush (stdout) != 0)
    {
      nr_make_error (err, errno, "write to stdout");
      goto out;
    }
  ret = 0;
out:
  if (g)
    yajl_gen_free (g);
  nr_topology_free (&topo);
  if (ret < 0)
    return nr_error_wrap (err, "topology");
  return 0;
}
