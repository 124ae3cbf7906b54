/* numa-runtime: `create` and `run` — place the container, then exec the
 * real runtime with the original argv.
 *
 * argv -> spec -> request (+ annotations) -> topology -> ledger -> placement
 *      -> spec edits (cpuset, memory policy, seccomp) -> commit ledger
 *      -> (signals held) save spec -> set_mempolicy when the runtime cannot
 *      -> exec.
 * Anything failing before the exec leaves config.json byte-identical and
 * the ledger as it was.  */
#include <config.h>

#include "annotations.h"
#include "spec_edit.h"
#include "cgroup.h"
#include "commands.h"
#include "counters.h"
#include "create_plan.h"
#include "kubelet_checkpoint.h"
#include "kubelet_state.h"
#include "ledger.h"
#include "locality.h"
#include "mempolicy.h"
#include "placement.h"
#include "pod_move.h"
#include "rebuild.h"
#include "resolve.h"
#include "reclaim.h"
#include "request.h"
#include "runtime.h"
#include "seccomp_edit.h"
#include "spec.h"
#include "topology.h"
#include "topology_view.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* runc accepts ids matching ^[\w+-\.]+$; so do we, which also keeps them
   safe as ledger keys and path components.  */
static int
validate_id (const char *id, nr_error_t *err)
{
  if (id == NULL || *id == '\0')
    return nr_make_error (err, 0, "container id cannot be empty");
  if (strnlen (id, NR_SPEC_MAX_ID_LEN + 1) > NR_SPEC_MAX_ID_LEN)
    return nr_make_error (err, 0, "container id longer than %d bytes", NR_SPEC_MAX_ID_LEN);
  for (const char *p = id; *p; p++)
    if (! isalnum ((unsigned char) *p) && ! strchr ("_+-.", *p))
      return nr_make_error (err, 0, "invalid container id `%s`", id);
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return nr_make_error (err, 0, "invalid container id `%s`", id);
  return 0;
}

static bool
container_state_exists (const char *root, const char *id)
{
  cleanup_free char *path = xasprintf ("%s/%s", root, id);
  struct stat st;
  return stat (path, &st) == 0;
}

/* Hints from the container's devices, volumes and NICs.  Only a
   malformed request fails nr_locality_hints (a bad NIC annotation): under
   best-effort the container is still placed, on the hints it has left;
   stricter policies refuse it.  Everything else it cannot resolve is
   already a warning there.  */
static int
add_locality_hints (yajl_val spec, const struct nr_config *config, struct nr_request *req,
                    nr_error_t *err)
{
  /* Only placed containers get here: opted-out and `none` ones were
     passed through before.  */
  if (nr_locality_hints (spec, config, req, err) < 0)
    {
      if (nr_policy_strict (nr_effective_policy (req, config)))
        return -1;
      nr_warn ("container %s: %s", req->id, (*err)->msg);
      nr_error_release (err);
    }
  for (size_t i = 0; i < req->n_hints; i++)
    nr_debug ("container %s: locality hint node %d: %s", req->id, req->hints[i].node,
              req->hints[i].source);
  return 0;
}

static void
fill_entry (struct nr_ledger_entry *e, const struct nr_args *args, const struct nr_config *config,
            const struct nr_request *req, const struct nr_placement *p)
{
  struct nr_resolved resolved;

  nr_request_resolve (req, config, &resolved);
  memset (e, 0, sizeof (*e));
  e->id = xstrdup (args->id);
  e->nodes = p->nodes;
  e->cpus = p->cpus;
  e->exclusive = p->exclusive;
  e->load = p->load;
  e->millicpus = p->millicpus;
  e->memory = p->memory;
  e->hugepages = p->hugepages;
  e->mems = p->mems;
  e->memory_local = p->memory_local;
  e->pod = req->pod ? xstrdup (req->pod) : NULL;
  e->sandbox = req->sandbox;
  e->exclusive_pod = resolved.exclusive_pod_cpus > 0;
  e->kubelet_cpus = p->keep_cpus;
  e->pinned_by = req->pinned_by ? xstrdup (req->pinned_by) : NULL;
  for (size_t h = 0; h < req->n_hints; h++)
    if (req->hints[h].node >= 0)
      nr_set_add (&e->device_nodes, req->hints[h].node);
  e->root = xstrdup (nr_args_root (args));
  e->creator_pid = (int) getpid ();
  e->creator_start = nr_process_start_time (config->proc_root, e->creator_pid);
  e->created = (int64_t) time (NULL);
}

/* The node(s) the container's pod already holds, if any.  */
static int
find_pod_nodes (struct nr_ledger *ledger, const struct nr_request *req,
                struct nr_placement_input *input, nr_error_t *err)
{
  struct nr_ledger_entry pod_entry;
  int found;

  if (req->pod == NULL || req->sandbox)
    return 0;
  found = nr_ledger_find_pod (ledger, req->pod, &pod_entry, err);
  if (found <= 0)
    return found;
  input->pod_nodes = pod_entry.nodes;
  input->pod_reserved = pod_entry.sandbox && (pod_entry.millicpus > 0 || pod_entry.memory > 0);
  nr_ledger_entry_free (&pod_entry);
  return 0;
}

/* What the ledger says of this container: refuse an id that is in use
   (CHECK_ID: a create), and find its pod's node(s).  */
static int
read_ledger_for (struct nr_ledger *ledger, const struct nr_args *args, bool check_id,
                 const struct nr_request *req, struct nr_placement_input *input, nr_error_t *err)
{
  struct nr_ledger_entry existing;
  int found = check_id ? nr_ledger_find (ledger, args->id, &existing, NULL) : 0;

  /* Read whole, not only found: a damaged entry under this id is found
     (and the ledger rebuilt) now, not at the commit.  */
  if (found > 0)
    nr_ledger_entry_free (&existing);
  if (found > 0 && container_state_exists (nr_args_root (args), args->id))
    return nr_make_error (err, 0, "container `%s` already exists", args->id);
  nr_set_clear (&input->pod_nodes);
  input->pod_reserved = false;
  return find_pod_nodes (ledger, req, input, err);
}

/* What kubelet's static managers gave other pods, into INPUT: the CPUs
   and, per node of TOPO, the memory and hugepages (arrays in *MEMORY and
   *HUGEPAGES, the caller frees them).  Only files that exist are read.  */
static void
add_kubelet_taken (const struct nr_config *config, const struct nr_topology *topo,
                   struct nr_placement_input *input, int64_t **memory, int64_t **hugepages)
{
  struct nr_kubelet_state state;

  nr_kubelet_state_read (config->kubelet_root, &state);
  input->kubelet_cpus = state.exclusive_cpus;
  input->kubelet_static_cpus = state.cpu_static;
  if (state.n_reserved > 0)
    {
      *memory = xmalloc ((size_t) topo->n_nodes * sizeof (**memory));
      *hugepages = xmalloc ((size_t) topo->n_nodes * sizeof (**hugepages));
      for (int i = 0; i < topo->n_nodes; i++)
        nr_kubelet_reserved_on (&state, topo->nodes[i].id, &(*memory)[i], &(*hugepages)[i]);
      input->kubelet_memory = *memory;
      input->kubelet_hugepages = *hugepages;
    }
  if (! nr_set_is_empty (&state.exclusive_cpus) || state.n_reserved > 0)
    {
      cleanup_free char *cpus = nr_set_format (&state.exclusive_cpus);
      nr_debug ("kubelet's static managers hold CPUs `%s` and memory on %zu node(s)", cpus,
                state.n_reserved);
    }
  nr_kubelet_state_free (&state);
}

/* The env is never rewritten to another node unsaid: a NUMA_NODE already
   in the spec (a device plugin's, or one numa-runtime.io/disable or
   [annotations] numa_node_env = false left unread) that is not where the
   container goes is warned about.  Its value is not shown: it is the
   pod's text.  */
static void
say_env_rewrite (yajl_val spec, const char *id, const struct nr_placement *placement)
{
  const char *before = nr_spec_env (spec, NR_ENV_PIN_NAME);
  cleanup_free char *nodes = NULL;
  nr_set_t was;

  if (before == NULL
      || (nr_set_parse (before, &was, NULL) == 0 && nr_set_equal (&was, &placement->nodes)))
    return;
  nodes = nr_set_format (&placement->nodes);
  nr_warn ("container %s: the %s already in its spec's env names other nodes; rewritten to %s=%s",
           id, NR_ENV_PIN_NAME, NR_ENV_PIN_NAME, nodes);
}

/* Placement refused the container: count it in an index-only commit
   (plus whatever reclaim released), so that `metrics` sees refusals too.
   A failure to write is a warning: the refusal is the error that
   matters.  */
static void
count_refusal (struct nr_ledger *ledger, enum nr_policy policy)
{
  nr_error_t err = NULL;

  nr_ledger_counters_for_update (ledger)->creates[NR_OUTCOME_REFUSED][policy]++;
  if (nr_ledger_commit (ledger, &err) < 0)
    {
      nr_warn ("count the refusal: %s", err->msg);
      nr_error_release (&err);
    }
}

/* The runtime could not be exec'd: take back what we wrote.  */
static void
roll_back (const struct nr_args *args, const struct nr_config *config, struct nr_spec *spec)
{
  cleanup_ledger struct nr_ledger *ledger = NULL;
  nr_error_t err = NULL;

  if (nr_spec_restore (spec, &err) < 0)
    nr_log_error (&err);
  nr_view_remove (config, args->id);
  if (nr_ledger_open_for (config, NR_LEDGER_WRITE, nr_args_root (args), NULL, &ledger, &err) < 0
      || (nr_ledger_remove (ledger, args->id) && nr_ledger_commit (ledger, &err) < 0))
    nr_log_error (&err);
}

/* Block every signal that can be blocked; the old mask into *OLD.  */
static void
block_signals (sigset_t *old)
{
  sigset_t all;

  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, old);
}

/* Does SIG, delivered now, end the process (a handler may too)?  The
   signals ignored or stopping by default do not.  */
static bool
signal_ends_us (int sig)
{
  struct sigaction sa;

  if (sigaction (sig, NULL, &sa) < 0 || sa.sa_handler == SIG_IGN)
    return false;
  if (sa.sa_handler != SIG_DFL)
    return true;
  switch (sig)
    {
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
    case SIGCONT:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
      return false;
    default:
      return true;
    }
}

/* Is a signal pending that OLD (the mask to be restored) lets through and
   that would end us before the exec?  */
static bool
signal_pending (const sigset_t *old)
{
  sigset_t pending;

  if (sigpending (&pending) < 0)
    return false;
  for (int sig = 1; sig < NSIG; sig++)
    if (sigismember (&pending, sig) == 1 && sigismember (old, sig) == 0 && signal_ends_us (sig))
      return true;
  return false;
}

/* The request of SPEC with its annotations and locality hints.  */
static int
plan_request (yajl_val spec, const struct nr_config *config, const struct nr_plan_options *options,
              struct nr_create_plan *plan, nr_error_t *err)
{
  struct nr_request *req = &plan->req;

  if (nr_request_from_spec (spec, options->id, req, err) < 0
      || nr_annotations_read (spec, config, config->policy, req, err) < 0)
    return -1;
  if (options->pod)
    {
      free (req->pod);
      req->pod = xstrdup (options->pod);
      req->sandbox = false;
    }
  plan->left_alone = req->opt_out || nr_effective_policy (req, config) == NR_POLICY_NONE;
  if (plan->left_alone)
    return 0;
  return add_locality_hints (spec, config, req, err);
}

/* The topology, and what the ledger holds on each node.  */
static int
plan_ledger (const struct nr_args *args, const struct nr_config *config, yajl_val spec,
             const struct nr_plan_options *options, struct nr_create_plan *plan, nr_error_t *err)
{
  cleanup_free char *state_dir = nr_path_dir (config->ledger_path);
  struct nr_topology *topo = &plan->topo;
  struct nr_resolved resolved;
  struct nr_topology_needs needs;

  /* The ledger first: opening it checks its directory (ours, not a
     symbolic link, not writable by others), where the topology cache
     lives.  A damaged ledger is rebuilt when first queried, by then with
     the topology.  A dry run creates no ledger and writes no cache.  */
  if (nr_ledger_open_for (config, options->dry_run ? NR_LEDGER_READ : NR_LEDGER_WRITE,
                          nr_args_root (args), topo, &plan->ledger, err)
      < 0)
    return -1;
  nr_request_resolve (&plan->req, config, &resolved);
  needs = (struct nr_topology_needs){
    .cache_dir = options->dry_run ? NULL : state_dir,
    .boot_id = plan->ledger ? nr_ledger_boot_id (plan->ledger) : NULL,
    .whole_cores = resolved.exclusive_cpus > 0,
    .hugepages = plan->req.hugepages > 0,
    .weights = resolved.tiers == NR_TIERS_INTERLEAVE,
    .tier_nodes = config->tier_nodes_set ? &config->tier_nodes : NULL,
  };
  if (nr_topology_load_for (config->sysfs_root, config->proc_root, &needs, topo, err) < 0)
    return -1;
  /* What kubelet allocated to the pod: the only device signal a sandbox
     has.  */
  {
    cleanup_free char *boot_id = plan->ledger ? NULL : nr_read_boot_id (config->proc_root);
    nr_kubelet_add_hints (spec, config, plan->ledger ? nr_ledger_boot_id (plan->ledger) : boot_id,
                          &plan->req);
  }
  plan->input = (struct nr_placement_input){ .topo = topo, .req = &plan->req, .config = config };
  plan->usage = xmalloc0 ((size_t) (topo->n_nodes ? topo->n_nodes : 1) * sizeof (*plan->usage));
  plan->input.usage = plan->usage;
  add_kubelet_taken (config, topo, &plan->input, &plan->kubelet_memory, &plan->kubelet_hugepages);
  if (plan->ledger == NULL)
    return 0;
  /* A create that fails in the runtime leaves its entry behind: we exec
     the runtime rather than run it as a child (a child would add a process
     and a wait to every create, and a numa-runtime killed while waiting
     would leak the entry anyway).  Reclaim is what releases it: once the
     creator (this pid, now the runtime) has exited without the runtime
     having written <root>/<id>, the entry is dead, and the next create or
     `gc` drops it.  Until then its CPUs stay held, which errs on the safe
     side.  See docs/LEDGER.md.  A dry run reclaims in memory only, to
     see what a create would.  */
  if (nr_reclaim (plan->ledger, config->proc_root, NR_RECLAIM_CREATE_BUDGET, NULL, err) < 0
      || read_ledger_for (plan->ledger, args, ! options->dry_run, &plan->req, &plan->input, err)
             < 0)
    return -1;
  nr_pod_entries_for_move (plan->ledger, &plan->req, &plan->input, &plan->pod_entries);
  for (int i = 0; i < topo->n_nodes; i++)
    nr_ledger_usage (plan->ledger, topo->nodes[i].id, &plan->usage[i]);
  /* Read, never committed: release the lock at once.  */
  if (options->dry_run)
    {
      nr_ledger_close (plan->ledger);
      plan->ledger = NULL;
    }
  return 0;
}

int
nr_create_plan_read (const struct nr_args *args, const struct nr_config *config, yajl_val spec,
                     const struct nr_plan_options *options, struct nr_create_plan *plan,
                     nr_error_t *err)
{
  if (plan_request (spec, config, options, plan, err) < 0)
    return -1;
  if (plan->left_alone)
    return 0;
  return plan_ledger (args, config, spec, options, plan, err);
}

void
nr_create_plan_free (struct nr_create_plan *plan)
{
  nr_ledger_close (plan->ledger);
  plan->ledger = NULL;
  free (plan->usage);
  plan->usage = NULL;
  free (plan->kubelet_memory);
  plan->kubelet_memory = NULL;
  free (plan->kubelet_hugepages);
  plan->kubelet_hugepages = NULL;
  nr_pod_entries_free (&plan->pod_entries);
  nr_topology_free (&plan->topo);
  nr_request_free (&plan->req);
}

void
cleanup_create_planp (struct nr_create_plan *plan)
{
  nr_create_plan_free (plan);
}

/* Add the container placed as PLACEMENT (and its pod, when it moved) to
   PLAN's ledger, counted, and commit.  */
static int
record_in_ledger (const struct nr_args *args, const struct nr_config *config, yajl_val spec,
                  struct nr_create_plan *plan, const struct nr_placement *placement,
                  nr_error_t *err)
{
  enum nr_policy policy = nr_effective_policy (&plan->req, config);
  enum nr_outcome outcome = nr_outcome_of (&plan->topo, &plan->req, policy, placement);
  struct nr_ledger_entry entry;

  nr_pod_move_record (plan->ledger, placement);
  fill_entry (&entry, args, config, &plan->req, placement);
  entry.cgroup = nr_cgroup_spec_path (spec);
  nr_ledger_add (plan->ledger, &entry);
  nr_ledger_counters_for_update (plan->ledger)->creates[outcome][policy]++;
  nr_ledger_entry_free (&entry);
  return nr_ledger_commit (plan->ledger, err);
}

/* Save SPEC with signals held back (from the save to the exec, a signal
   would leave the edited file behind; the old mask in *SAVED_MASK), or
   take the container's entry out of PLAN's ledger again.  */
static int
save_or_undo (const struct nr_args *args, struct nr_spec *spec, struct nr_create_plan *plan,
              sigset_t *saved_mask, nr_error_t *err)
{
  nr_error_t undo_err = NULL;

  block_signals (saved_mask);
  if (nr_spec_save (spec, err) == 0)
    return 0;
  if (nr_ledger_remove (plan->ledger, args->id) && nr_ledger_commit (plan->ledger, &undo_err) < 0)
    nr_log_error (&undo_err);
  sigprocmask (SIG_SETMASK, saved_mask, NULL);
  return -1;
}

/* Place the container of PLAN, edit SPEC, record it and save SPEC.  On
   success signals are held back (the mask to restore in *SAVED_MASK) and
   the ledger is closed; *MEMPOLICY says what to apply before the exec.  */
static int
place_and_save (const struct nr_args *args, const struct nr_config *config, const char *runtime,
                struct nr_spec *spec, struct nr_create_plan *plan,
                struct nr_mempolicy_plan *mempolicy, sigset_t *saved_mask, nr_error_t *err)
{
  cleanup_placement struct nr_placement placement = { 0 };
  int view = 0;

  if (nr_place (&plan->input, &placement, err) < 0)
    {
      count_refusal (plan->ledger, nr_effective_policy (&plan->req, config));
      return -1;
    }
  if (placement.warning)
    nr_warn ("container %s: %s", args->id, placement.warning);

  say_env_rewrite (spec->root, args->id, &placement);
  if (nr_apply_placement (spec->root, &placement, err) < 0
      || nr_mempolicy_prepare (spec->root, config, runtime, &plan->req, &placement, mempolicy, err)
             < 0
      || (config->seccomp_allow_mempolicy && nr_seccomp_allow_mempolicy (spec->root, err) < 0))
    return -1;

  /* Under the ledger's lock, so that `gc` never sees a tree whose entry
     is not written yet.  */
  if (nr_view_wanted (&plan->req, config)
      && (view = nr_view_add (spec->root, config, args->id, &plan->topo, err)) < 0)
    return -1;
  /* The ledger first, config.json second: a process killed between the
     two leaves an entry whose creator is gone (reclaim drops it) and the
     bundle untouched, never an edited config.json nothing accounts for.  */
  if (record_in_ledger (args, config, spec->root, plan, &placement, err) < 0
      || save_or_undo (args, spec, plan, saved_mask, err) < 0)
    {
      if (view > 0)
        nr_view_remove (config, args->id);
      return -1;
    }
  {
    cleanup_free char *nodes = nr_set_format (&placement.nodes);
    nr_debug ("container %s placed on node(s) %s", args->id, nodes);
  }
  /* Unlock before the runtime runs: it may take seconds.  */
  nr_ledger_close (plan->ledger);
  plan->ledger = NULL;
  nr_pod_move_update (runtime, args, config, &plan->topo, &placement);
  return 0;
}

int
nr_cmd_create (const struct nr_args *args, const struct nr_config *config, nr_error_t *err)
{
  cleanup_free char *runtime = NULL;
  cleanup_spec struct nr_spec spec = { 0 };
  cleanup_create_plan struct nr_create_plan plan = { 0 };
  struct nr_plan_options options = { .id = args->id };
  struct nr_mempolicy_plan mempolicy = { 0 };
  sigset_t saved_mask;

  if (nr_runtime_resolve (config, &runtime, err) < 0)
    return -1;
  if (config->policy == NR_POLICY_NONE)
    return nr_runtime_exec (runtime, args->argv, err);
  if (validate_id (args->id, err) < 0)
    return nr_error_wrap (err, "%s", args->command);

  if (nr_spec_load (nr_args_bundle (args), args->config_file, &spec, err) < 0
      || nr_create_plan_read (args, config, spec.root, &options, &plan, err) < 0)
    return nr_error_wrap (err, "%s `%s`", args->command, args->id);
  if (plan.left_alone)
    {
      nr_debug ("container %s: left alone (%s)", args->id,
                plan.req.opt_out ? "numa-runtime.io/disable" : "policy none");
      return nr_runtime_exec (runtime, args->argv, err);
    }
  if (place_and_save (args, config, runtime, &spec, &plan, &mempolicy, &saved_mask, err) < 0)
    return nr_error_wrap (err, "%s `%s`", args->command, args->id);

  /* Last thing before exec: the policy also applies to our own remaining
     allocations, and is inherited by the runtime (REFERENCE §4).  */
  nr_mempolicy_finish (&mempolicy, args->id);
  if (signal_pending (&saved_mask))
    {
      /* It would end us before the exec: take back what we wrote first,
         then let it be delivered.  */
      roll_back (args, config, &spec);
      sigprocmask (SIG_SETMASK, &saved_mask, NULL);
      return nr_make_error (err, EINTR, "%s `%s`", args->command, args->id);
    }
  sigprocmask (SIG_SETMASK, &saved_mask, NULL);
  nr_runtime_exec (runtime, args->argv, err);
  roll_back (args, config, &spec);
  return -1;
}
