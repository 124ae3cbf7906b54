/* numa-runtime: releasing ledger entries whose container is gone.
 *
 * An entry is alive while either
 *   - the runtime keeps state for it: <root>/<id> exists (runc and crun
 *     both keep a directory per container under --root), or
 *   - the process that created it still runs: same pid and same start time
 *     (field 22 of /proc/PID/stat), so a recycled pid never counts.
 * The second rule covers the window between numa-runtime committing the
 * entry and the runtime writing its state: numa-runtime execs `runc create`
 * in the same process, so the creator stays alive until runc has either
 * written the state directory or given up.  The state directory is looked
 * at again once the creator is found gone, or a runtime that wrote its
 * state and exited in between would make a live container look dead.  */
#ifndef NR_RECLAIM_H
#define NR_RECLAIM_H

#include "error.h"
#include "ledger.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Start time of PID in clock ticks since boot, read from
   PROC_ROOT/PID/stat; 0 when the process does not exist or the file cannot
   be read.  */
uint64_t nr_process_start_time (const char *proc_root, int pid);

/* Whether E's container may still exist (see above).  An entry that
   records neither a root nor a creator cannot be judged and counts as
   alive: releasing CPUs a container still runs on is the worse mistake.  */
bool nr_entry_alive (const struct nr_ledger_entry *e, const char *proc_root);

/* Called for each entry nr_reclaim_each removes, before it goes.  */
typedef void (*nr_reclaim_fn) (const struct nr_ledger_entry *e, void *data);

/* Check up to BUDGET entries of L (SIZE_MAX: every entry, once), starting
   at the ledger's reclaim cursor and wrapping around, and remove the dead
   ones; the cursor moves past the last entry checked so that successive
   calls cover the whole ledger.  Each removal is logged as a warning and
   passed to ON_RECLAIM (may be NULL).  *RECLAIMED (may be NULL) gets the
   number removed.  Changes are in memory: the caller commits.  */
int nr_reclaim_each (struct nr_ledger *l, const char *proc_root, size_t budget,
                     nr_reclaim_fn on_reclaim, void *data, size_t *reclaimed, nr_error_t *err);

/* nr_reclaim_each without a callback.  */
int nr_reclaim (struct nr_ledger *l, const char *proc_root, size_t budget, size_t *reclaimed,
                nr_error_t *err);

/* Entries a create checks: enough that every entry is looked at on each
   create on realistic nodes (a few hundred containers at most), bounded so
   that a ledger of 10,000 entries does not slow every create down.  */
#define NR_RECLAIM_CREATE_BUDGET 64

#endif
