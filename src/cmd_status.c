/* numa-runtime: `status [--json]` — what the ledger says each node holds.
 *
 * The human form is a table of nodes and then one line per container; the
 * JSON form is documented in docs/LEDGER.md and only ever grows keys.  */
#include <config.h>

#include "commands.h"
#include "json.h"
#include "ledger.h"
#include "rebuild.h"
#include "reclaim.h"
#include "topology.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_gen.h>

/* What status shows for one node of the topology.  */
struct node_row
{
  const struct nr_node *node;
  struct nr_node_usage usage;
  nr_set_t reserved_cpus;
  int64_t memory_reserved;
  int64_t memory_free; /* total - reserved - allocated, never below 0 */
};

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

static void
fill_rows (const struct nr_topology *topo, struct nr_ledger *ledger, const struct nr_config *config,
           struct node_row *rows)
{
  for (int i = 0; i < topo->n_nodes; i++)
    {
      struct node_row *r = &rows[i];
      int64_t total = (int64_t) topo->nodes[i].memory_total;

      r->node = &topo->nodes[i];
      nr_ledger_usage (ledger, r->node->id, &r->usage);
      r->reserved_cpus = r->node->cpus;
      nr_set_intersect (&r->reserved_cpus, &config->reserved_cpus);
      r->memory_reserved = config->reserved_memory < total ? config->reserved_memory : total;
      r->memory_free = total - r->memory_reserved - r->usage.memory;
      if (r->memory_free < 0)
        r->memory_free = 0;
    }
}

/* ---- JSON -------------------------------------------------------------- */

static void
json_entry (yajl_gen g, const struct nr_ledger_entry *e, bool alive)
{
  yajl_gen_map_open (g);
  nr_json_gen_string (g, "id", e->id);
  nr_json_gen_set (g, "nodes", &e->nodes);
  nr_json_gen_set (g, "cpus", &e->cpus);
  nr_json_gen_set (g, "exclusive_cpus", &e->exclusive);
  nr_json_gen_int (g, "millicpus", e->millicpus);
  nr_json_gen_int (g, "memory", e->memory);
  nr_json_gen_int (g, "hugepages", e->hugepages);
  nr_json_gen_set (g, "mems", &e->mems);
  nr_json_gen_int (g, "memory_local", e->memory_local);
  nr_json_gen_int (g, "load", e->load);
  nr_json_gen_string (g, "pod", e->pod);
  nr_json_gen_bool (g, "sandbox", e->sandbox);
  nr_json_gen_string (g, "root", e->root);
  nr_json_gen_int (g, "pid", e->creator_pid);
  nr_json_gen_int (g, "created", e->created);
  nr_json_gen_bool (g, "alive", alive);
  yajl_gen_map_close (g);
}

static void
print_json (FILE *out, const struct node_row *rows, int n_rows, struct nr_ledger *ledger,
            const struct nr_config *config)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;

  yajl_gen_map_open (g);
  nr_json_gen_key (g, "nodes");
  yajl_gen_array_open (g);
  for (int i = 0; i < n_rows; i++)
    {
      const struct node_row *r = &rows[i];
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

static void
print_table (FILE *out, const struct node_row *rows, int n_rows, struct nr_ledger *ledger,
             const struct nr_config *config)
{
  char total[32], alloc[32], avail[32];

  fprintf (out, "%-5s %-16s %-16s %9s %9s %9s %-7s %-4s %-6s %10s\n", "NODE", "CPUS", "EXCLUSIVE",
           "MEM-TOTAL", "MEM-ALLOC", "MEM-FREE", "HAS-CPU", "TIER", "MEMORY", "CONTAINERS");
  for (int i = 0; i < n_rows; i++)
    {
      const struct node_row *r = &rows[i];
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
      fputc ('\n', out);
      nr_ledger_entry_free (&e);
    }
}

int
nr_cmd_status (const struct nr_args *args, const struct nr_config *config, nr_error_t *err)
{
  cleanup_free char *boot_id = nr_read_boot_id (config->proc_root);
  cleanup_ledger struct nr_ledger *ledger = NULL;
  cleanup_free struct node_row *rows = NULL;
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
  if (nr_ledger_open (config->ledger_path, boot_id, &ledger, err) < 0)
    goto out;
  nr_ledger_load_all (ledger);
  nr_ledger_recover (ledger, nr_args_root (args), config, &topo);
  if (nr_ledger_commit (ledger, err) < 0)
    goto out;
  rows = xmalloc0 ((size_t) (topo.n_nodes ? topo.n_nodes : 1) * sizeof (*rows));
  fill_rows (&topo, ledger, config, rows);
  /* Format in memory and print after unlocking: a reader that stops
     reading our stdout must not stall every create.  */
  report = open_memstream (&text, &text_len);
  if (report == NULL)
    {
      nr_make_error (err, errno, "status: open_memstream");
      goto out;
    }
  if (want_json (args))
    print_json (report, rows, topo.n_nodes, ledger, config);
  else
    print_table (report, rows, topo.n_nodes, ledger, config);
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
