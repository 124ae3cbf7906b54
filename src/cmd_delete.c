/* numa-runtime: `delete` — run the runtime's delete as a child and release
   the container's ledger entry only once it succeeded: a failed delete
   leaves a live container that still holds its node.  */
#include <config.h>

#include "commands.h"
#include "counters.h"
#include "ledger.h"
#include "rebuild.h"
#include "runtime.h"
#include "topology_view.h"
#include "util.h"

int
nr_cmd_delete (const struct nr_args *args, const struct nr_config *config, nr_error_t *err)
{
  cleanup_free char *runtime = NULL;
  cleanup_ledger struct nr_ledger *ledger = NULL;
  nr_error_t release_err = NULL;
  int status;

  if (nr_runtime_resolve (config, &runtime, err) < 0)
    return -1;
  if (nr_runtime_run (runtime, args->argv, &status, err) < 0)
    return -1;
  if (status != 0 || args->id == NULL)
    return status;
  nr_view_remove (config, args->id);

  /* An unreadable ledger is reported and rebuilt by whoever finds it
     first, a delete included.  */
  if (nr_ledger_open_for (config, NR_LEDGER_WRITE, nr_args_root (args), NULL, &ledger, &release_err)
          == 0
      && nr_ledger_remove (ledger, args->id))
    nr_ledger_counters_for_update (ledger)->deletes++;
  /* Commits only what changed.  */
  if (release_err || nr_ledger_commit (ledger, &release_err) < 0)
    {
      /* The container is gone; its entry will be reclaimed later.  */
      nr_warn ("delete %s: release the ledger entry: %s", args->id, release_err->msg);
      nr_error_release (&release_err);
    }
  return status;
}
