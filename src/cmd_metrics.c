/* numa-runtime: `metrics [--textfile PATH]` — what the node holds and what
 * numa-runtime did since boot, in the Prometheus text exposition format.
 *
 * Reads the topology, the ledger (its per-node sums and counters, and
 * each entry for the per-container families), has_cpu/memory tiers from
 * sysfs, and each live container's memory.numa_stat.  Prints on stdout, or with --textfile
 * replaces PATH atomically (a temp file in the same directory, renamed)
 * for node_exporter's textfile collector, which reads only `*.prom` and
 * so never sees the temp file.  */
#include <config.h>

#include "commands.h"
#include "counters.h"
#include "ledger.h"
#include "metrics_residency.h"
#include "rebuild.h"
#include "nodeview.h"
#include "topology.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Per-node gauges: name (after "numa_runtime_node_"), help, value.  */
enum node_value
{
  V_CPUS,
  V_EXCLUSIVE_CPUS,
  V_RESERVED_CPUS,
  V_LOAD_CPUS,
  V_REQUESTED_CPUS,
  V_MEMORY_CAPACITY,
  V_MEMORY_RESERVED,
  V_MEMORY_ALLOCATED,
  V_MEMORY_FREE,
  V_HUGEPAGES_CAPACITY,
  V_HUGEPAGES_ALLOCATED,
  V_CONTAINERS,
  V_HAS_CPU,
  V_MEMORY_TIER,
};

static const struct
{
  enum node_value value;
  const char *name;
  const char *help;
  bool milli; /* the value is in thousandths of the unit */
} node_gauges[] = {
  { V_CPUS, "cpus", "Online CPUs of the NUMA node.", false },
  { V_EXCLUSIVE_CPUS, "exclusive_cpus", "CPUs of the node held exclusively by a container.",
    false },
  { V_RESERVED_CPUS, "reserved_cpus", "CPUs of the node the config reserves (never handed out).",
    false },
  { V_LOAD_CPUS, "load_cpus",
    "What the ledger's containers weigh on the node, in CPUs (placement's milli-CPU load / 1000).",
    true },
  { V_REQUESTED_CPUS, "requested_cpus", "CPUs the node's containers requested (their limits).",
    true },
  { V_MEMORY_CAPACITY, "memory_capacity_bytes", "Memory of the node (MemTotal).", false },
  { V_MEMORY_RESERVED, "memory_reserved_bytes", "Memory of the node the config keeps free.",
    false },
  { V_MEMORY_ALLOCATED, "memory_allocated_bytes", "Memory the ledger's containers requested there.",
    false },
  { V_MEMORY_FREE, "memory_free_bytes",
    "Memory free for placement: capacity - reserved - allocated (not the kernel's MemFree).",
    false },
  { V_HUGEPAGES_CAPACITY, "hugepages_capacity_bytes", "Hugepages of the node, all sizes.", false },
  { V_HUGEPAGES_ALLOCATED, "hugepages_allocated_bytes",
    "Hugepages the ledger's containers requested there.", false },
  { V_CONTAINERS, "containers", "Containers the ledger places on the node.", false },
  { V_HAS_CPU, "has_cpu", "1 when the node has CPUs (node/has_cpu), 0 for a memory-only node.",
    false },
  { V_MEMORY_TIER, "memory_tier",
    "The kernel's memory tier holding the node (memory_tiering); absent when unknown.", false },
};

static int64_t
node_value (const struct nr_node_view *v, enum node_value which, bool *known)
{
  *known = true;
  switch (which)
    {
    case V_CPUS:
      return nr_set_count (&v->node->cpus);
    case V_EXCLUSIVE_CPUS:
      return nr_set_count (&v->usage.exclusive);
    case V_RESERVED_CPUS:
      return nr_set_count (&v->reserved_cpus);
    case V_LOAD_CPUS:
      return v->usage.load;
    case V_REQUESTED_CPUS:
      return v->usage.millicpus;
    case V_MEMORY_CAPACITY:
      return (int64_t) v->node->memory_total;
    case V_MEMORY_RESERVED:
      return v->memory_reserved;
    case V_MEMORY_ALLOCATED:
      return v->usage.memory;
    case V_MEMORY_FREE:
      return v->memory_free;
    case V_HUGEPAGES_CAPACITY:
      return (int64_t) v->node->hugepages_total;
    case V_HUGEPAGES_ALLOCATED:
      return v->usage.hugepages;
    case V_CONTAINERS:
      return v->usage.containers;
    case V_HAS_CPU:
      return v->has_cpu;
    case V_MEMORY_TIER:
      *known = v->memory_tier >= 0;
      return v->memory_tier;
    }
  *known = false;
  return 0;
}

static void
family (FILE *out, const char *name, const char *type, const char *help)
{
  fprintf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* VALUE thousandths as a decimal ("1.5", "2", "-0.25").  */
static void
print_milli (FILE *out, int64_t value)
{
  uint64_t magnitude = value < 0 ? (uint64_t) 0 - (uint64_t) value : (uint64_t) value;
  unsigned frac = (unsigned) (magnitude % 1000);
  char digits[4];
  int n;

  fprintf (out, "%s%" PRIu64, value < 0 ? "-" : "", magnitude / 1000);
  if (frac == 0)
    return;
  n = snprintf (digits, sizeof (digits), "%03u", frac);
  while (n > 0 && digits[n - 1] == '0')
    digits[--n] = '\0';
  fprintf (out, ".%s", digits);
}

static void
print_exposition (FILE *out, const struct nr_node_view *views, int n_views,
                  const struct nr_counters *c, bool readable)
{
  static const char *const scalar_names[][2] = {
    { "numa_runtime_deletes_total",
      "Ledger entries released by delete or the poststop hook since boot." },
    { "numa_runtime_reclaims_total",
      "Ledger entries released because their container was gone, since boot." },
    { "numa_runtime_ledger_set_asides_total",
      "Unreadable ledgers kept aside for the admin since boot." },
    { "numa_runtime_ledger_rebuilds_total",
      "Ledgers rebuilt from the runtime's state since boot." },
    { "numa_runtime_migrated_bytes_total",
      "Bytes of container memory `rebalance` moved back to the nodes they were placed on, since "
      "boot." },
  };
  const uint64_t scalars[] = { c->deletes, c->reclaims, c->set_asides, c->rebuilds,
                               c->migrated_bytes };

  family (out, "numa_runtime_build_info", "gauge", "numa-runtime's version; always 1.");
  fprintf (out, "numa_runtime_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
  family (out, "numa_runtime_ledger_readable", "gauge",
          "1 when the ledger's index was readable, 0 when it was found damaged.");
  fprintf (out, "numa_runtime_ledger_readable %d\n", readable ? 1 : 0);

  for (size_t g = 0; g < sizeof (node_gauges) / sizeof (node_gauges[0]); g++)
    {
      cleanup_free char *name = xasprintf ("numa_runtime_node_%s", node_gauges[g].name);
      family (out, name, "gauge", node_gauges[g].help);
      for (int i = 0; i < n_views; i++)
        {
          bool known;
          int64_t v = node_value (&views[i], node_gauges[g].value, &known);
          if (! known)
            continue;
          fprintf (out, "%s{node=\"%d\"} ", name, views[i].node->id);
          if (node_gauges[g].milli)
            print_milli (out, v);
          else
            fprintf (out, "%" PRId64, v);
          fputc ('\n', out);
        }
    }

  family (out, "numa_runtime_creates_total", "counter",
          "Creates since boot by policy and outcome (placed on one node, device_aligned, "
          "spanned, tier_spill, fallback under best-effort, pod_moved to its devices' node, "
          "refused).");
  for (int pol = NR_POLICY_BEST_EFFORT; pol < NR_POLICIES; pol++)
    for (int o = 0; o < NR_OUTCOMES; o++)
      fprintf (out, "numa_runtime_creates_total{policy=\"%s\",outcome=\"%s\"} %" PRIu64 "\n",
               nr_policy_name ((enum nr_policy) pol), nr_outcome_name ((enum nr_outcome) o),
               c->creates[o][pol]);
  for (size_t i = 0; i < sizeof (scalars) / sizeof (scalars[0]); i++)
    {
      family (out, scalar_names[i][0], "counter", scalar_names[i][1]);
      fprintf (out, "%s %" PRIu64 "\n", scalar_names[i][0], scalars[i]);
    }
}

/* Per cache group (cpu_groups.c): its CPUs and how many are held
   exclusively, labelled by node and group index; then each node's
   isolated CPUs, which no pool holds.  */
static void
print_llc_gauges (FILE *out, const struct nr_topology *topo, const struct nr_node_view *views)
{
  family (out, "numa_runtime_llc_cpus", "gauge",
          "Online CPUs sharing a last-level cache (cut per NUMA node).");
  for (int g = 0; g < topo->n_llc; g++)
    fprintf (out, "numa_runtime_llc_cpus{node=\"%d\",llc=\"%d\"} %d\n",
             topo->nodes[topo->llc_node[g]].id, g, nr_set_count (&topo->llc[g]));
  family (out, "numa_runtime_llc_exclusive_cpus", "gauge",
          "CPUs of the last-level cache group held exclusively by a container.");
  for (int g = 0; g < topo->n_llc; g++)
    fprintf (out, "numa_runtime_llc_exclusive_cpus{node=\"%d\",llc=\"%d\"} %d\n",
             topo->nodes[topo->llc_node[g]].id, g,
             nr_llc_held (topo, g, &views[topo->llc_node[g]].usage.exclusive));
  family (out, "numa_runtime_node_isolated_cpus", "gauge",
          "CPUs of the node the kernel isolates (isolcpus, nohz_full): in no shared pool.");
  for (int i = 0; i < topo->n_nodes; i++)
    {
      nr_set_t isolated = topo->isolated;
      nr_set_intersect (&isolated, &topo->nodes[i].cpus);
      fprintf (out, "numa_runtime_node_isolated_cpus{node=\"%d\"} %d\n", topo->nodes[i].id,
               nr_set_count (&isolated));
    }
}

/* Replace PATH with TEXT: a temp file next to it (same file system, so
   the rename is atomic; not named *.prom, so the collector skips it),
   0644 for node_exporter's user, then rename.  */
static int
write_textfile (const char *path, const char *text, size_t len, nr_error_t *err)
{
  cleanup_free char *tmp = xasprintf ("%s.%d.tmp", path, (int) getpid ());
  cleanup_close int fd = -1;
  int saved;

  fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return nr_make_error (err, errno, "create `%s`", tmp);
  if (fchmod (fd, 0644) < 0 || write_all (fd, text, len) < 0 || close (fd) < 0)
    {
      fd = -1;
      goto fail;
    }
  fd = -1;
  if (rename (tmp, path) < 0)
    goto fail;
  return 0;
fail:
  saved = errno;
  unlink (tmp);
  return nr_make_error (err, saved, "write `%s`", path);
}

static int
parse_options (const struct nr_args *args, const char **textfile, nr_error_t *err)
{
  *textfile = NULL;
  for (int i = args->command_index + 1; i < args->argc; i++)
    {
      const char *a = args->argv[i];
      if (strcmp (a, "--textfile") == 0 && i + 1 < args->argc)
        *textfile = args->argv[++i];
      else if (strncmp (a, "--textfile=", 11) == 0)
        *textfile = a + 11;
      else
        return nr_make_error (err, 0, "unknown argument `%s` (usage: metrics [--textfile PATH])",
                              a);
    }
  if (*textfile && **textfile == '\0')
    return nr_make_error (err, 0, "--textfile needs a path");
  return 0;
}

int
nr_cmd_metrics (const struct nr_args *args, const struct nr_config *config, nr_error_t *err)
{
  cleanup_free struct nr_node_view *views = NULL;
  cleanup_free char *text = NULL;
  cleanup_ledger struct nr_ledger *ledger = NULL;
  struct nr_topology topo = { 0 };
  struct nr_counters counters = { 0 };
  struct nr_ledger_entry *entries = NULL;
  const char *textfile;
  size_t text_len = 0, n_entries = 0;
  bool readable = true;
  FILE *report;
  int ret = -1;

  if (parse_options (args, &textfile, err) < 0
      || nr_topology_load (config->sysfs_root, &topo, err) < 0)
    return nr_error_wrap (err, "metrics");
  /* create reads the pools only when a container asks for hugepages.  */
  nr_topology_load_hugepages (config->sysfs_root, &topo);
  /* The index only, under the lock for as long as it takes to read it; a
     damaged or earlier-boot ledger reads as empty, and is left for the
     next writer to set aside or drop (metrics never writes it).  No
     ledger yet (nothing was ever placed): zeroes, and nothing created.  */
  if (nr_ledger_open_for (config, NR_LEDGER_READ, NULL, NULL, &ledger, err) < 0)
    goto out;
  views = xmalloc0 ((size_t) (topo.n_nodes ? topo.n_nodes : 1) * sizeof (*views));
  nr_node_views_fill (&topo, ledger, config, views);
  if (ledger)
    {
      counters = *nr_ledger_counters (ledger);
      readable = nr_ledger_moved_aside (ledger) == NULL;
    }
  entries = nr_ledger_copy_entries (readable ? ledger : NULL, &n_entries);
  nr_ledger_close (steal_pointer (&ledger));

  report = open_memstream (&text, &text_len);
  if (report == NULL)
    {
      nr_make_error (err, errno, "open_memstream");
      goto out;
    }
  print_exposition (report, views, topo.n_nodes, &counters, readable);
  print_llc_gauges (report, &topo, views);
  nr_metrics_residency (report, config, entries, n_entries);
  if (fclose (report) != 0)
    {
      nr_make_error (err, errno, "format the metrics");
      goto out;
    }
  if (textfile)
    ret = write_textfile (textfile, text, text_len, err);
  else if (fwrite (text, 1, text_len, stdout) != text_len || fflush (stdout) != 0)
    nr_make_error (err, errno, "write to stdout");
  else
    ret = 0;
out:
  nr_ledger_entries_free (entries, n_entries);
  nr_topology_free (&topo);
  if (ret < 0)
    return nr_error_wrap (err, "metrics");
  return 0;
}
