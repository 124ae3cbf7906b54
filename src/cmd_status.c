/* numa-runtime: `status [--json]` — what the ledger says each node holds.
 *
 * The human form is a table of nodes and then one line per container; the
 * JSON form is documented in docs/LEDGER.md and only ever grows keys.  */
#include <config.h>

#include "commands.h"
#include "json.h"
#include "ledger.h"
#include "nodeview.h"
#include "rebuild.h"
#include "reclaim.h"
#include "topology.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

static bool
want_json (const struct nr_args *args)
{
  for (int i = args->command_index + 1; i < args->argc; i++)
    {
      const char *a = args->argv[i];
      if (strcmp (a, "--json") == 0 || strcmp (a, "-json") == 0 || strcmp (a, "--json=true") == 0
          || strcmp (a, "-json=true") == 0)
        return true;
    }
  return false;
}

/* ---- JSON -------------------------------------------------------------- */

/* An entry as the ledger stores it, and whether its container lives.  */
static void
json_entry (yajl_gen g, const struct nr_ledger_entry *e, bool alive)
{
  yajl_gen_map_open (g);
  nr_ledger_entry_gen_fields (g, e, true);
  nr_json_gen_bool (g, "alive", alive);
  yajl_gen_map_close (g);
}

/* Node index I's cache groups: their CPUs and how many of them containers
   hold exclusively.  */
static void
json_llc_groups (yajl_gen g, const struct nr_topology *topo, int i, const nr_set_t *exclusive)
{
  nr_json_gen_key (g, "llc_groups");
  yajl_gen_array_open (g);
  for (int k = 0; k < topo->n_llc; k++)
    {
      if (topo->llc_node[k] != i)
        continue;
      yajl_gen_map_open (g);
      nr_json_gen_set (g, "cpus", &topo->llc[k]);
      nr_json_gen_int (g, "cpus_total", nr_set_count (&topo->llc[k]));
      nr_json_gen_int (g, "cpus_exclusive", nr_llc_held (topo, k, exclusive));
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
}

static void
print_json (FILE *out, const struct nr_topology *topo, const struct nr_node_view *rows, int n_rows,
            struct nr_ledger *ledger, const struct nr_config *config)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;

  yajl_gen_map_open (g);
  nr_json_gen_key (g, "nodes");
  yajl_gen_array_open (g);
  for (int i = 0; i < n_rows; i++)
    {
      const struct nr_node_view *r = &rows[i];
      yajl_gen_map_open (g);
      nr_json_gen_int (g, "node", r->node->id);
      nr_json_gen_set (g, "cpus", &r->node->cpus);
      nr_json_gen_set (g, "exclusive_cpus", &r->usage.exclusive);
      nr_json_gen_set (g, "reserved_cpus", &r->reserved_cpus);
      nr_json_gen_int (g, "millicpus", r->usage.millicpus);
      nr_json_gen_int (g, "load", r->usage.load);
      nr_json_gen_int (g, "memory_total", (long long) r->node->memory_total);
      nr_json_gen_int (g, "memory_reserved", r->memory_reserved);
      nr_json_gen_int (g, "memory_allocated", r->usage.memory);
      nr_json_gen_int (g, "memory_free", r->memory_free);
      nr_json_gen_int (g, "hugepages_allocated", r->usage.hugepages);
      nr_json_gen_int (g, "containers", r->usage.containers);
      nr_json_gen_bool (g, "has_cpu", r->node->has_cpu);
      nr_json_gen_key (g, "tier");
      if (r->node->tier >= 0)
        yajl_gen_integer (g, r->node->tier);
      else
        yajl_gen_null (g);
      nr_json_gen_string (g, "memory_kind", nr_mem_kind_name (r->node->kind));
      if (r->node->kind_why)
        nr_json_gen_string (g, "memory_kind_why", r->node->kind_why);
      {
        nr_set_t isolated = topo->isolated;
        nr_set_intersect (&isolated, &r->node->cpus);
        nr_json_gen_set (g, "isolated_cpus", &isolated);
      }
      json_llc_groups (g, topo, i, &r->usage.exclusive);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  nr_json_gen_key (g, "containers");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < nr_ledger_count (ledger); i++)
    {
      struct nr_ledger_entry e;
      nr_error_t entry_err = NULL;
      if (nr_ledger_entry_at (ledger, i, &e, &entry_err) < 0)
        {
          nr_warn ("status: ledger entry %zu: %s", i, entry_err->msg);
          nr_error_release (&entry_err);
          continue;
        }
      json_entry (g, &e, nr_entry_alive (&e, config->proc_root));
      nr_ledger_entry_free (&e);
    }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  fwrite (buf, 1, len, out);
  fputc ('\n', out);
  yajl_gen_free (g);
}

/* ---- table --------------------------------------------------------------- */

/* VALUE in bytes as a short binary size ("15.6G").  */
static void
human_bytes (int64_t value, char *buf, size_t size)
{
  static const char units[] = "BKMGTPE";
  double v = (double) value;
  int u = 0;

  while (v >= 1024 && units[u + 1])
    {
      v /= 1024;
      u++;
    }
  if (u == 0)
    snprintf (buf, size, "%" PRId64 "B", value);
  else
    snprintf (buf, size, "%.1f%c", v, units[u]);
}

static const char *
or_dash (const char *s)
{
  return s && *s ? s : "-";
}

/* [#####...............]: FRACTION (clamped to 0..1) of WIDTH.  */
static void
print_bar (FILE *out, double fraction, int width)
{
  int filled = (int) (fraction * width + 0.5);

  if (filled < 0)
    filled = 0;
  if (filled > width)
    filled = width;
  fputc ('[', out);
  for (int i = 0; i < width; i++)
    fputc (i < filled ? '#' : '.', out);
  fputc (']', out);
}

/* Per node, a bar of the CPU load against the CPUs placement may hand out
   and one of the memory allocated against what is not reserved: for a
   person at a terminal.  */
static void
print_bars (FILE *out, const struct nr_node_view *rows, int n_rows)
{
  enum
  {
    BAR_WIDTH = 30
  };

  fputc ('\n', out);
  for (int i = 0; i < n_rows; i++)
    {
      const struct nr_node_view *r = &rows[i];
      int64_t cpus = nr_set_count (&r->node->cpus) - nr_set_count (&r->reserved_cpus);
      int64_t memory = (int64_t) r->node->memory_total - r->memory_reserved;
      char alloc[32], usable[32];

      fprintf (out, "%-5d CPU ", r->node->id);
      print_bar (out, cpus > 0 ? (double) r->usage.load / (double) (cpus * 1000) : 0, BAR_WIDTH);
      fprintf (out, " %.2f of %" PRId64 " CPUs\n", (double) r->usage.load / 1000, cpus);
      human_bytes (r->usage.memory, alloc, sizeof (alloc));
      human_bytes (memory, usable, sizeof (usable));
      fprintf (out, "%-5d MEM ", r->node->id);
      print_bar (out, memory > 0 ? (double) r->usage.memory / (double) memory : 0, BAR_WIDTH);
      fprintf (out, " %s of %s\n", alloc, usable);
    }
}

/* One line per cache group: its CPUs and how full it is with exclusive
   CPUs (a bar on a terminal); then the isolated CPUs, which no pool
   holds.  After a blank line: the node table above ends there.  */
static void
print_llc_groups (FILE *out, const struct nr_topology *topo, const struct nr_node_view *rows,
                  bool bars)
{
  cleanup_free char *isolated = nr_set_format (&topo->isolated);

  if (topo->n_llc > 0)
    fprintf (out, "\n%-5s %-5s %-24s %s\n", "NODE", "LLC", "CPUS", "EXCLUSIVE");
  for (int k = 0; k < topo->n_llc; k++)
    {
      const struct nr_node_view *r = &rows[topo->llc_node[k]];
      cleanup_free char *cpus = nr_set_format (&topo->llc[k]);
      int total = nr_set_count (&topo->llc[k]);
      int held = nr_llc_held (topo, k, &r->usage.exclusive);

      fprintf (out, "%-5d %-5d %-24s %d of %d", r->node->id, k, cpus, held, total);
      if (bars)
        {
          fputc (' ', out);
          print_bar (out, total > 0 ? (double) held / total : 0, 16);
        }
      fputc ('\n', out);
    }
  if (*isolated)
    fprintf (out, "isolated CPUs (in no pool): %s\n", isolated);
}

static void
print_table (FILE *out, const struct nr_topology *topo, const struct nr_node_view *rows, int n_rows,
             struct nr_ledger *ledger, const struct nr_config *config, bool bars)
{
  char total[32], alloc[32], avail[32];

  fprintf (out, "%-5s %-16s %-16s %9s %9s %9s %-7s %-4s %-6s %10s\n", "NODE", "CPUS", "EXCLUSIVE",
           "MEM-TOTAL", "MEM-ALLOC", "MEM-FREE", "HAS-CPU", "TIER", "MEMORY", "CONTAINERS");
  for (int i = 0; i < n_rows; i++)
    {
      const struct nr_node_view *r = &rows[i];
      cleanup_free char *cpus = nr_set_format (&r->node->cpus);
      cleanup_free char *excl = nr_set_format (&r->usage.exclusive);
      char tier[16];

      human_bytes ((int64_t) r->node->memory_total, total, sizeof (total));
      human_bytes (r->usage.memory, alloc, sizeof (alloc));
      human_bytes (r->memory_free, avail, sizeof (avail));
      if (r->node->tier >= 0)
        snprintf (tier, sizeof (tier), "%d", r->node->tier);
      else
        snprintf (tier, sizeof (tier), "-");
      fprintf (out, "%-5d %-16s %-16s %9s %9s %9s %-7s %-4s %-6s %10d\n", r->node->id,
               or_dash (cpus), or_dash (excl), total, alloc, avail, r->node->has_cpu ? "yes" : "no",
               tier, nr_mem_kind_name (r->node->kind), r->usage.containers);
    }
  /* Why a memory-only node takes no container memory.  */
  for (int i = 0; i < n_rows; i++)
    if (rows[i].node->kind_why)
      fprintf (out, "node %d: memory not used for containers: %s\n", rows[i].node->id,
               rows[i].node->kind_why);
  print_llc_groups (out, topo, rows, bars);
  if (bars)
    print_bars (out, rows, n_rows);
  if (nr_ledger_count (ledger) == 0)
    return;
  fprintf (out, "\n%-5s %-16s %-16s %9s %-20s %-5s %s\n", "NODES", "CPUS", "EXCLUSIVE", "MEMORY",
           "CREATED", "STATE", "CONTAINER");
  for (size_t i = 0; i < nr_ledger_count (ledger); i++)
    {
      struct nr_ledger_entry e;
      cleanup_free char *nodes = NULL, *cpus = NULL, *excl = NULL;
      char created[32], mem[32];
      time_t t;
      struct tm tm;

      if (nr_ledger_entry_at (ledger, i, &e, NULL) < 0)
        continue;
      nodes = nr_set_format (&e.nodes);
      cpus = nr_set_format (&e.cpus);
      excl = nr_set_format (&e.exclusive);
      t = (time_t) e.created;
      gmtime_r (&t, &tm);
      strftime (created, sizeof (created), "%Y-%m-%dT%H:%M:%SZ", &tm);
      if (e.memory > 0)
        human_bytes (e.memory, mem, sizeof (mem));
      else
        snprintf (mem, sizeof (mem), "-");
      /* STATE "gone": the next gc (or creates) will release it.  */
      fprintf (out, "%-5s %-16s %-16s %9s %-20s %-5s %s", or_dash (nodes), or_dash (cpus),
               or_dash (excl), mem, created,
               nr_entry_alive (&e, config->proc_root) ? "live" : "gone", e.id);
      if (e.sandbox)
        fprintf (out, " (pod sandbox)");
      else if (e.pod)
        fprintf (out, " (pod %s)", e.pod);
      if (e.pinned_by)
        fprintf (out, " (pinned by %s)", e.pinned_by);
      fputc ('\n', out);
      nr_ledger_entry_free (&e);
    }
}

int
nr_cmd_status (const struct nr_args *args, const struct nr_config *config, nr_error_t *err)
{
  cleanup_ledger struct nr_ledger *ledger = NULL;
  cleanup_free struct nr_node_view *rows = NULL;
  cleanup_free char *text = NULL;
  struct nr_topology topo = { 0 };
  FILE *report;
  size_t text_len = 0;
  int ret = -1;

  if (nr_topology_load (config->sysfs_root, &topo, err) < 0)
    return nr_error_wrap (err, "status");
  nr_topology_classify (config->sysfs_root, config->proc_root,
                        config->tier_nodes_set ? &config->tier_nodes : NULL, &topo);
  /* The exclusive lock, briefly: the ledger is read whole and consistent,
     and a file from an earlier boot or a broken one is dealt with here as
     a create would.  */
  if (nr_ledger_open_for (config, NR_LEDGER_WRITE, nr_args_root (args), &topo, &ledger, err) < 0)
    goto out;
  nr_ledger_load_all (ledger);
  if (nr_ledger_commit (ledger, err) < 0)
    goto out;
  rows = xmalloc0 ((size_t) (topo.n_nodes ? topo.n_nodes : 1) * sizeof (*rows));
  nr_node_views_fill (&topo, ledger, config, rows);
  /* Format in memory and print after unlocking: a reader that stops
     reading our stdout must not stall every create.  */
  report = open_memstream (&text, &text_len);
  if (report == NULL)
    {
      nr_make_error (err, errno, "status: open_memstream");
      goto out;
    }
  if (want_json (args))
    print_json (report, &topo, rows, topo.n_nodes, ledger, config);
  else
    print_table (report, &topo, rows, topo.n_nodes, ledger, config, isatty (STDOUT_FILENO));
  if (fclose (report) != 0)
    {
      nr_make_error (err, errno, "status: format the report");
      goto out;
    }
  nr_ledger_close (steal_pointer (&ledger));
  if (fwrite (text, 1, text_len, stdout) != text_len || fflush (stdout) != 0)
    {
      nr_make_error (err, errno, "status: write to stdout");
      goto out;
    }
  ret = 0;
out:
  nr_topology_free (&topo);
  if (ret < 0)
    return nr_error_wrap (err, "status");
  return 0;
}
