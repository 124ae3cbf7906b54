/* numa-runtime: measured memory locality in `metrics`.  See
   metrics_residency.h.  */
#include <config.h>

#include "metrics_residency.h"

#include "reclaim.h"
#include "residency.h"
#include "util.h"

#include <inttypes.h>

/* S as a Prometheus label value: backslash, quote and newline escaped.  */
static void
print_label (FILE *out, const char *name, const char *s)
{
  fprintf (out, "%s=\"", name);
  for (const char *p = s ? s : ""; *p; p++)
    if (*p == '\\' || *p == '"')
      fprintf (out, "\\%c", *p);
    else if (*p == '\n')
      fputs ("\\n", out);
    else
      fputc (*p, out);
  fputc ('"', out);
}

static void
print_ids (FILE *out, const struct nr_ledger_entry *e)
{
  print_label (out, "container", e->id);
  fputc (',', out);
  print_label (out, "pod", e->sandbox && e->pod == NULL ? e->id : e->pod);
}

static void
family (FILE *out, const char *name, const char *help)
{
  fprintf (out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* Measure ENTRIES[I] into R[I] (known false for the dead or unreadable).  */
static void
measure_all (const struct nr_config *config, const struct nr_ledger_entry *entries, size_t n,
             struct nr_residency *r)
{
  struct nr_enforced_ctx ctx;

  nr_enforced_ctx_init (&ctx, config);
  for (size_t i = 0; i < n; i++)
    {
      nr_error_t err = NULL;
      if (! nr_entry_alive (&entries[i], config->proc_root))
        {
          r[i].known = false;
          continue;
        }
      if (nr_residency_measure (&ctx, &entries[i], &r[i], &err) < 0)
        {
          nr_warn ("metrics: %s", err->msg);
          nr_error_release (&err);
          r[i].known = false;
        }
    }
}

void
nr_metrics_residency (FILE *out, const struct nr_config *config,
                      const struct nr_ledger_entry *entries, size_t n)
{
  cleanup_free struct nr_residency *r = xmalloc0 ((n ? n : 1) * sizeof (*r));
  uint64_t local = 0, total = 0;
  double ratio;

  measure_all (config, entries, n, r);
  family (out, "numa_runtime_container_memory_bytes",
          "Memory of the container's cgroup on each NUMA node (memory.numa_stat: anon + file).");
  for (size_t i = 0; i < n; i++)
    for (int node = r[i].known ? nr_set_next (&r[i].stat.nodes, 0) : -1; node >= 0;
         node = nr_set_next (&r[i].stat.nodes, node + 1))
      {
        fputs ("numa_runtime_container_memory_bytes{", out);
        print_ids (out, &entries[i]);
        fprintf (out, ",node=\"%d\"} %" PRIu64 "\n", node, r[i].stat.bytes[node]);
      }
  family (out, "numa_runtime_container_local_ratio",
          "Share (0-1) of the container's memory on the nodes it was placed on.");
  for (size_t i = 0; i < n; i++)
    if (nr_residency_ratio (&r[i], &ratio))
      {
        fputs ("numa_runtime_container_local_ratio{", out);
        print_ids (out, &entries[i]);
        fprintf (out, "} %.6g\n", ratio);
        /* Saturating: a ratio over 2^64 bytes is beyond any machine.  */
        if (__builtin_add_overflow (local, r[i].local, &local)
            || __builtin_add_overflow (total, r[i].stat.total, &total))
          local = total = 0;
      }
  family (out, "numa_runtime_memory_local_ratio",
          "Share (0-1) of all placed containers' memory on their own nodes, weighted by bytes.");
  if (total > 0)
    fprintf (out, "numa_runtime_memory_local_ratio %.6g\n", (double) local / (double) total);
}
