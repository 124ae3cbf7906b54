/* numa-runtime: `rebalance [ID...] [--min-local R] [--dry-run]` — bring
 * drifted containers back to the nodes they were placed on.
 *
 * For each container of the ledger (or each ID) that verify would flag
 * (drift.c):
 *   - a cpuset or mems that is not the placed one is set back through the
 *     real runtime's `update --cpuset-cpus --cpuset-mems`, so that runc's
 *     and crun's own state stays true;
 *   - when less than R of its memory is on its nodes, every process of
 *     its cgroup has its pages on other nodes moved to its own nodes with
 *     migrate_pages(2).
 * Only ever onto the nodes the ledger gave it.  A container that exits
 * meanwhile is skipped.  It prints one line per container and adds the
 * bytes moved (the kernel's count before and after) to
 * numa_runtime_migrated_bytes_total.  Nothing runs it unless asked
 * (contrib/systemd/numa-runtime-rebalance.timer is opt-in).  */
#include <config.h>

#include "commands.h"
#include "counters.h"
#include "drift.h"
#include "ledger.h"
#include "migrate.h"
#include "rebuild.h"
#include "runtime.h"
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Seconds the runtime's update may take.  */
#define UPDATE_TIMEOUT_MS 30000

/* Bytes of R outside E's nodes.  */
static uint64_t
off_node (const struct nr_residency *r)
{
  return r->known && r->stat.total > r->local ? r->stat.total - r->local : 0;
}

/* `RUNTIME --root ROOT update --cpuset-cpus CPUS --cpuset-mems MEMS ID`.  */
static int
narrow_cpuset (const char *runtime, const struct nr_ledger_entry *e, nr_error_t *err)
{
  cleanup_free char *cpus = nr_set_format (&e->cpus);
  cleanup_free char *mems = nr_set_format (&e->mems);
  char *argv[] = { (char *) runtime,
                   (char *) "--root",
                   e->root,
                   (char *) "update",
                   (char *) "--cpuset-cpus",
                   cpus,
                   (char *) "--cpuset-mems",
                   mems,
                   e->id,
                   NULL };
  struct nr_spawn spec = { .path = runtime,
                           .argv = argv,
                           .argv0 = runtime,
                           .capture = true,
                           .output_max = 64 * 1024,
                           .timeout_ms = UPDATE_TIMEOUT_MS };
  struct nr_spawn_result result = { 0 };
  int ret = 0;

  if (nr_spawn (&spec, &result, err) < 0)
    return nr_error_wrap (err, "%s update", runtime);
  if (result.status != 0)
    ret = nr_make_error (err, 0, "%s update %s: exit status %d", runtime, e->id, result.status);
  free (result.output);
  return ret;
}

/* Move the pages of every process of E's memory cgroup from the nodes
   in FROM to E's mems.  */
static int
move_pages_home (const struct nr_enforced_ctx *ctx, const struct nr_ledger_entry *e,
                 const nr_set_t *from, nr_error_t *err)
{
  int pid = -1;
  cleanup_free char *dir = nr_enforced_cgroup_dir (ctx, e, "memory", &pid);
  cleanup_free int *pids = NULL;
  size_t n = 0;

  if (dir == NULL)
    return 0; /* gone */
  if (nr_migrate_tasks (dir, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (nr_migrate_pages (pids[i], from, &e->mems) < 0 && errno != ESRCH)
      return nr_make_error (err, errno, "migrate_pages of process %d", pids[i]);
  return 0;
}

/* E's residency after the moves, in *AFTER.  The kernel's count lags
   what it did: memory.numa_stat is flushed lazily (every 2 s at worst),
   and narrowing cpuset.mems migrates in a workqueue that may still run
   when the runtime's update returns (CI saw "moved 0 bytes" once, the
   pages home a moment later).  So it is read again every 100 ms, for
   3 s at most, until the local share reaches MIN_LOCAL.  */
static int
measure_settled (const struct nr_enforced_ctx *ctx, const struct nr_ledger_entry *e,
                 const struct nr_drift *d, double min_local, struct nr_residency *after,
                 nr_error_t *err)
{
  const struct timespec step = { 0, 100 * 1000 * 1000 };

  for (int tries = 0;; tries++)
    {
      if (nr_residency_measure (ctx, e, after, err) < 0)
        return -1;
      if (! after->known || ! d->below || tries >= 30
          || (double) after->local >= min_local * (double) after->stat.total)
        return 0;
      nanosleep (&step, NULL);
    }
}

/* Rebalance E as D says; *MOVED gets the bytes brought home.  */
static int
rebalance_one (const struct nr_enforced_ctx *ctx, const char *runtime,
               const struct nr_drift_options *opts, const struct nr_ledger_entry *e,
               const struct nr_drift *d, uint64_t *moved, nr_error_t *err)
{
  bool cpuset = d->drifted[0] || d->drifted[1];
  nr_set_t from = d->residency.stat.nodes;
  struct nr_residency after;

  *moved = 0;
  nr_set_subtract (&from, &e->mems);
  if (opts->dry_run)
    return 0;
  if (cpuset && narrow_cpuset (runtime, e, err) < 0)
    return -1;
  if (d->below && ! nr_set_is_empty (&from) && move_pages_home (ctx, e, &from, err) < 0)
    return -1;
  if (measure_settled (ctx, e, d, opts->min_local, &after, err) < 0)
    return -1;
  if (after.known && off_node (&d->residency) > off_node (&after))
    *moved = off_node (&d->residency) - off_node (&after);
  return 0;
}

static void
print_result (const struct nr_ledger_entry *e, const struct nr_drift *d,
              const struct nr_drift_options *opts, uint64_t moved)
{
  bool cpuset = d->drifted[0] || d->drifted[1];
  cleanup_free char *cpus = nr_set_format (&e->cpus);
  cleanup_free char *mems = nr_set_format (&e->mems);
  const char *would = opts->dry_run ? "would set" : "set";

  if (d->gone)
    {
      printf ("%s: gone, skipped\n", e->id);
      return;
    }
  if (! cpuset && ! d->below)
    {
      printf ("%s: ok\n", e->id);
      return;
    }
  printf ("%s:", e->id);
  if (cpuset)
    printf (" %s cpus %s mems %s;", would, cpus, mems);
  if (d->below && opts->dry_run)
    printf (" would move %" PRIu64 " bytes to node(s) %s", off_node (&d->residency), mems);
  else if (d->below)
    printf (" moved %" PRIu64 " bytes to node(s) %s", moved, mems);
  else
    printf (" memory local %.3f", d->ratio);
  putchar ('\n');
}

/* Add MOVED to the ledger's counter.  */
static int
count_moved (const struct nr_config *config, uint64_t moved, nr_error_t *err)
{
  cleanup_ledger struct nr_ledger *ledger = NULL;
  struct nr_counters *c;

  if (moved == 0)
    return 0;
  if (nr_ledger_open_for (config, NR_LEDGER_WRITE, NULL, NULL, &ledger, err) < 0)
    return -1;
  c = nr_ledger_counters_for_update (ledger);
  c->migrated_bytes =
      c->migrated_bytes > UINT64_MAX - moved ? UINT64_MAX : c->migrated_bytes + moved;
  return nr_ledger_commit (ledger, err);
}

int
nr_cmd_rebalance (const struct nr_args *args, const struct nr_config *config, nr_error_t *err)
{
  struct nr_drift_options opts;
  struct nr_ledger_entry *entries = NULL;
  struct nr_enforced_ctx ctx;
  cleanup_free struct nr_drift *d = xmalloc (sizeof (*d));
  cleanup_free char *runtime = NULL;
  uint64_t total_moved = 0;
  size_t n = 0;
  int failed = 0, ret = -1;

  if (nr_drift_options_parse (args, config, true, &opts, err) < 0
      || nr_drift_load (config, &entries, &n, err) < 0
      || nr_runtime_resolve (config, &runtime, err) < 0)
    goto done;
  nr_enforced_ctx_init (&ctx, config);
  for (size_t i = 0; i < n; i++)
    {
      nr_error_t one_err = NULL;
      uint64_t moved = 0;

      if (! nr_drift_selected (&opts, entries[i].id))
        continue;
      if (nr_drift_check (&ctx, &entries[i], opts.min_local, d, &one_err) < 0
          || (! d->gone
              && rebalance_one (&ctx, runtime, &opts, &entries[i], d, &moved, &one_err) < 0))
        {
          nr_log (NR_LOG_ERROR, "rebalance: %s: %s", entries[i].id, one_err->msg);
          nr_error_release (&one_err);
          failed++;
          continue;
        }
      print_result (&entries[i], d, &opts, moved);
      total_moved += moved;
    }
  fflush (stdout);
  if (count_moved (config, total_moved, err) < 0)
    goto done;
  ret = failed ? 1 : 0;
done:
  nr_ledger_entries_free (entries, n);
  nr_drift_options_free (&opts);
  if (ret < 0)
    return nr_error_wrap (err, "rebalance");
  return ret;
}
