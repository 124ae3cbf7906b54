/* numa-runtime: a pod moving to its devices' node(s).  See pod_move.h.  */
#include <config.h>

#include "pod_move.h"
#include "runtime.h"
#include "spawn.h"
#include "topology_view.h"
#include "util.h"

#include <string.h>

/* `update` of a sandbox or a container is a few cgroup writes; past this
   the runtime is stuck, and the create must not wait on it.  */
#define POD_MOVE_UPDATE_TIMEOUT_MS 10000

void
nr_pod_entries_for_move (struct nr_ledger *ledger, const struct nr_request *req,
                         struct nr_placement_input *input, struct nr_pod_entries *held)
{
  nr_error_t err = NULL;
  bool elsewhere = false;

  memset (held, 0, sizeof (*held));
  if (req->pod == NULL || req->sandbox || nr_set_is_empty (&input->pod_nodes))
    return;
  for (size_t h = 0; h < req->n_hints; h++)
    if (! nr_set_has (&input->pod_nodes, req->hints[h].node))
      elsewhere = true;
  if (! elsewhere)
    return;
  if (nr_ledger_pod_entries (ledger, req->pod, &held->v, &held->n, &err) < 0)
    {
      nr_warn ("container %s: its pod cannot move: %s", req->id, err->msg);
      nr_error_release (&err);
      return;
    }
  /* A stale entry under the new container's own id is replaced, not moved.  */
  for (size_t i = 0; i < held->n; i++)
    if (strcmp (held->v[i].id, req->id) == 0)
      {
        nr_ledger_entry_free (&held->v[i]);
        held->v[i] = held->v[--held->n];
        break;
      }
  input->pod_entries = held->v;
  input->n_pod_entries = held->n;
}

void
nr_pod_entries_free (struct nr_pod_entries *held)
{
  for (size_t i = 0; i < held->n; i++)
    nr_ledger_entry_free (&held->v[i]);
  free (held->v);
  memset (held, 0, sizeof (*held));
}

void
nr_pod_move_record (struct nr_ledger *ledger, const struct nr_placement *p)
{
  for (size_t i = 0; i < p->n_moved; i++)
    nr_ledger_add (ledger, &p->moved[i]);
}

/* RUNTIME [--root ROOT] [--systemd-cgroup] update --cpuset-cpus CPUS
   --cpuset-mems MEMS ID: the flags runc and crun both take.  */
static int
update_one (const char *runtime, const struct nr_args *args, const struct nr_ledger_entry *e,
            nr_error_t *err)
{
  cleanup_free char *cpus = nr_set_format (&e->cpus);
  cleanup_free char *mems = nr_set_format (&e->mems);
  const char *root = e->root ? e->root : nr_args_root (args);
  char *argv[12];
  int n = 0;
  struct nr_spawn spec = { .path = runtime,
                           .capture = true,
                           .output_max = 64 * 1024,
                           .timeout_ms = POD_MOVE_UPDATE_TIMEOUT_MS };
  struct nr_spawn_result result = { 0 };

  argv[n++] = (char *) nr_runtime_argv0 (runtime, args->argv[0]);
  argv[n++] = (char *) "--root";
  argv[n++] = (char *) root;
  if (args->systemd_cgroup)
    argv[n++] = (char *) "--systemd-cgroup";
  argv[n++] = (char *) "update";
  argv[n++] = (char *) "--cpuset-cpus";
  argv[n++] = cpus;
  argv[n++] = (char *) "--cpuset-mems";
  argv[n++] = mems;
  argv[n++] = e->id;
  argv[n] = NULL;
  spec.argv = argv;
  spec.argv0 = argv[0];
  if (nr_spawn (&spec, &result, err) < 0)
    return -1;
  free (result.output);
  if (result.status != 0)
    return nr_make_error (err, 0, "`update` exited with status %d", result.status);
  return 0;
}

void
nr_pod_move_update (const char *runtime, const struct nr_args *args, const struct nr_config *config,
                    const struct nr_topology *topo, const struct nr_placement *p)
{
  cleanup_free char *nodes = nr_set_format (&p->nodes);

  if (p->n_moved > 0)
    nr_log (NR_LOG_INFO,
            "container %s: its pod moves to node(s) %s, where its devices are (%zu %s)", args->id,
            nodes, p->n_moved, p->n_moved == 1 ? "container" : "containers");
  for (size_t i = 0; i < p->n_moved; i++)
    {
      const struct nr_ledger_entry *e = &p->moved[i];
      nr_error_t err = NULL;

      if (update_one (runtime, args, e, &err) < 0)
        {
          nr_warn ("container %s: its pod moved to node(s) %s, but %s stays where it was: %s",
                   args->id, nodes, e->id, err->msg);
          nr_error_release (&err);
          continue;
        }
      if (nr_view_refresh (config, e->id, topo, &e->mems, &e->cpus, &err) < 0)
        {
          nr_warn ("container %s: its pod moved to node(s) %s, but the topology view of %s still "
                   "shows its old place: %s",
                   args->id, nodes, e->id, err->msg);
          nr_error_release (&err);
        }
    }
}
