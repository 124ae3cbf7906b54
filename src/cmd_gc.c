/* numa-runtime: `gc` — check every ledger entry now and release those
   whose container is gone (what each create does for a few entries).
   Prints one line per released entry and a summary on stdout; this is our
   own command, nothing parses its output but people.  */
#include <config.h>

#include "commands.h"
#include "ledger.h"
#include "rebuild.h"
#include "reclaim.h"
#include "topology_view.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>

static void
print_released (const struct nr_ledger_entry *e, void *data)
{
  cleanup_free char *nodes = nr_set_format (&e->nodes);
  cleanup_free char *cpus = nr_set_format (&e->cpus);

  (void) data;
  printf ("released %s (node %s, cpus %s)\n", e->id, nodes, cpus);
}

int
nr_cmd_gc (const struct nr_args *args, const struct nr_config *config, nr_error_t *err)
{
  cleanup_ledger struct nr_ledger *ledger = NULL;
  size_t before, reclaimed = 0, temps, views;

  if (nr_ledger_open_for (config, NR_LEDGER_WRITE, nr_args_root (args), NULL, &ledger, err) < 0)
    return -1;
  /* Every entry read now: damage anywhere is found and rebuilt from.  */
  nr_ledger_load_all (ledger);
  before = nr_ledger_count (ledger);
  if (nr_reclaim_each (ledger, config->proc_root, SIZE_MAX, print_released, NULL, &reclaimed, err)
          < 0
      || nr_ledger_commit (ledger, err) < 0)
    return nr_error_wrap (err, "gc");
  temps = nr_ledger_sweep (ledger);
  /* Still under the lock: no create is between its tree and its entry.  */
  views = nr_view_sweep (config, ledger);
  printf ("gc: released %zu of %zu ledger entries, %zu remain", reclaimed, before,
          nr_ledger_count (ledger));
  if (temps)
    printf (", removed %zu stale temporary files", temps);
  if (views)
    printf (", removed %zu topology views of gone containers", views);
  printf ("\n");
  return fflush (stdout) == 0 ? 0 : nr_make_error (err, 0, "gc: write to stdout failed");
}
