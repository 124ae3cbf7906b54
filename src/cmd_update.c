/* numa-runtime: `update` — keep a placed container on its node(s).
 *
 * Why this exists: kubelet's CPU Manager runs a reconcile loop (every 10 s
 * by default, under every policy but none) that re-sends each container's
 * cpuset through UpdateContainerResources whenever the shared pool changes;
 * with the static policy even containers it never pinned get the whole
 * shared pool.  containerd hands that to the runtime as
 * `update --resources=- <id>` with the resources JSON on stdin (REFERENCE
 * §3).  Passed on untouched, it would undo numa-runtime's placement within
 * seconds of every create.
 *
 * With [placement] update_cpuset = respect-placement, an update that sets
 * cpu.cpus for a container in the ledger gets cpu.cpus narrowed to the
 * CPUs numa-runtime gave it (their intersection) and cpu.mems set to its
 * node(s).  When the intersection is empty the update is refused with one
 * line and the runtime is not run: the change asked for cannot be made
 * without moving the container, and another one must not be reported as
 * done.  Everything else —
 * other containers, other resources, pass-through mode — reaches the
 * runtime unchanged.
 *
 * The runtime runs as our child: the JSON (edited or not) goes down a pipe
 * on its stdin, and its exit status is ours.  argv reaches it untouched,
 * except that an edited --resources FILE becomes --resources=- (the
 * caller's file is not ours to rewrite) and --cpuset-cpus/--cpuset-mems
 * values in the flag form are replaced.  */
#include <config.h>

#include "commands.h"
#include "json.h"
#include "ledger.h"
#include "rebuild.h"
#include "runtime.h"
#include "spawn.h"
#include "util.h"

#include <string.h>

/* containerd's resources JSON is a few hundred bytes.  */
#define RESOURCES_MAX_SIZE (4 * 1024 * 1024)

/* What to make of a requested cpuset: REQUESTED narrowed to ENTRY's CPUs,
   in *OUT.  Returns 1 when that differs from REQUESTED, 0 when not, and
   -1 when none of the requested CPUs is the container's: the change asked
   for cannot be made on its node(s), and reporting success for another
   one (the old fallback to the entry's CPUs) would be a lie.  */
static int
narrow_cpus (const char *id, const char *requested_text, const nr_set_t *requested,
             const struct nr_ledger_entry *entry, nr_set_t *out, nr_error_t *err)
{
  *out = *requested;
  nr_set_intersect (out, &entry->cpus);
  if (nr_set_is_empty (out))
    {
      cleanup_free char *nodes = nr_set_format (&entry->nodes);
      cleanup_free char *cpus = nr_set_format (&entry->cpus);
      return nr_make_error (err, 0,
                            "update %s: cpuset `%s` holds none of CPUs %s of node(s) %s, where "
                            "numa-runtime placed the container; nothing changed (delete and "
                            "create it again to move it, or set [placement] update_cpuset = "
                            "pass-through)",
                            id, requested_text, cpus, nodes);
    }
  return ! nr_set_equal (out, requested);
}

/* Narrow cpu.cpus (and set cpu.mems) of resources document DOC.  Returns
   1 when DOC changed, 0 when not, -1 (with *ERR) when the cpuset asked
   for lies outside the container's node(s).  */
static int
narrow_json (yajl_val doc, const struct nr_ledger_entry *entry, const char *id, nr_error_t *err)
{
  yajl_val cpu = nr_json_get (doc, "cpu");
  const char *cpus = nr_json_get_string (cpu, "cpus");
  const char *mems = nr_json_get_string (cpu, "mems");
  cleanup_free char *nodes = nr_set_format (&entry->nodes);
  nr_set_t requested, narrowed;
  int changed;

  if (cpus == NULL || *cpus == '\0')
    return 0; /* nothing to keep in place */
  /* What we cannot read we cannot keep on the node: refused, not handed
     on for the runtime to read its own way.  */
  if (nr_set_parse (cpus, &requested, NULL) < 0)
    return nr_make_error (err, 0, "update %s: cpu.cpus `%.64s` is not a CPU list", id, cpus);
  changed = narrow_cpus (id, cpus, &requested, entry, &narrowed, err);
  if (changed < 0)
    return -1;
  if (changed)
    {
      cleanup_free char *text = nr_set_format (&narrowed);
      nr_log (NR_LOG_INFO, "update %s: cpuset %s narrowed to %s (node(s) %s)", id, cpus, text,
              nodes);
      nr_json_set (cpu, "cpus", nr_json_new_string (text));
    }
  if (mems == NULL || strcmp (mems, nodes) != 0)
    {
      nr_json_set (cpu, "mems", nr_json_new_string (nodes));
      changed = 1;
    }
  return changed;
}

/* Run RUNTIME with ARGV[1..] as a child whose stdin is a pipe carrying
   DATA; *STATUS gets its exit status (128 + signal when killed).  */
static int
run_with_input (const char *runtime, char **argv, const char *data, size_t len, int *status,
                nr_error_t *err)
{
  struct nr_spawn spec = { .path = runtime,
                           .argv = argv,
                           .argv0 = nr_runtime_argv0 (runtime, argv[0]),
                           .input = data,
                           .input_len = len };
  struct nr_spawn_result result;

  if (nr_spawn (&spec, &result, err) < 0)
    return -1;
  *status = result.status;
  return 0;
}

/* In ARGV (a copy of the parsed argv, owning its strings), the argument
   holding VALUE (a pointer into the original ORIG, as nr_args_parse
   records it) gets NEW_VALUE: either the whole argument, or what follows
   its `=`.  */
static void
replace_value (char **argv, char *const *orig, const char *value, const char *new_value)
{
  for (int i = 1; argv[i]; i++)
    {
      size_t len = strlen (orig[i]);
      char *replaced = NULL;
      if (orig[i] == value)
        replaced = xstrdup (new_value);
      else if (value > orig[i] && value <= orig[i] + len)
        replaced = xasprintf ("%.*s%s", (int) (value - orig[i]), orig[i], new_value);
      if (replaced)
        {
          free (argv[i]);
          argv[i] = replaced;
          return;
        }
    }
}

/* A copy of the command line whose strings it owns (cleanup_strv).  */
static char **
copy_argv (const struct nr_args *args)
{
  char **copy = xmalloc0 ((size_t) (args->argc + 1) * sizeof (char *));
  for (int i = 0; i < args->argc; i++)
    copy[i] = xstrdup (args->argv[i]);
  return copy;
}

/* The ledger entry of ID, if any.  1: found; 0: not found or unreadable
   (an update must not fail because of our bookkeeping).  */
static int
find_entry (const struct nr_config *config, const char *id, struct nr_ledger_entry *entry)
{
  cleanup_ledger struct nr_ledger *ledger = NULL;
  nr_error_t err = NULL;
  int found;

  if (nr_ledger_open_for (config, NR_LEDGER_READ, NULL, NULL, &ledger, &err) < 0
      || (found = ledger ? nr_ledger_find (ledger, id, entry, &err) : 0) < 0)
    {
      nr_warn ("update %s: passed through, the ledger is unreadable: %s", id, err->msg);
      nr_error_release (&err);
      return 0;
    }
  return found;
}

static int
update_resources (const char *runtime, const struct nr_args *args,
                  const struct nr_ledger_entry *entry, nr_error_t *err)
{
  bool from_stdin = strcmp (args->resources, "-") == 0;
  cleanup_free char *text = NULL;
  cleanup_free char *edited = NULL;
  cleanup_strv char **argv = NULL;
  cleanup_json yajl_val doc = NULL;
  size_t len = 0, edited_len = 0;
  int status = 0, changed;

  if (from_stdin
          ? read_fd (STDIN_FILENO, RESOURCES_MAX_SIZE, "the resources on stdin", &text, &len, err)
                < 0
          : read_file (args->resources, RESOURCES_MAX_SIZE, &text, &len, err) < 0)
    {
      if (! from_stdin)
        {
          /* The runtime says it better, in its own words.  */
          nr_error_release (err);
          return nr_runtime_exec (runtime, args->argv, err);
        }
      return nr_error_wrap (err, "update `%s`", args->id);
    }
  if (nr_json_parse (text, len, &doc, err) < 0)
    return nr_error_wrap (err, "update %s: the resources", args->id);
  if (doc->type != yajl_t_object)
    return nr_make_error (err, 0, "update %s: the resources are not a JSON object", args->id);
  changed = narrow_json (doc, entry, args->id, err);
  if (changed < 0)
    return -1;
  if (changed == 0)
    {
      if (! from_stdin)
        return nr_runtime_exec (runtime, args->argv, err);
      if (run_with_input (runtime, args->argv, text, len, &status, err) < 0)
        return -1;
      return status;
    }
  edited = nr_json_generate (doc, &edited_len);
  if (edited == NULL)
    return nr_make_error (err, 0, "update `%s`: cannot write the narrowed resources", args->id);
  argv = copy_argv (args);
  if (! from_stdin)
    replace_value (argv, args->argv, args->resources, "-");
  if (run_with_input (runtime, argv, edited, edited_len, &status, err) < 0)
    return -1;
  return status;
}

static int
update_flags (const char *runtime, const struct nr_args *args, const struct nr_ledger_entry *entry,
              nr_error_t *err)
{
  cleanup_strv char **argv = NULL;
  cleanup_free char *nodes = nr_set_format (&entry->nodes);
  nr_set_t requested, narrowed;
  int changed;

  if (nr_set_parse (args->cpuset_cpus, &requested, NULL) < 0)
    return nr_make_error (err, 0, "update %s: --cpuset-cpus `%.64s` is not a CPU list", args->id,
                          args->cpuset_cpus);
  changed = narrow_cpus (args->id, args->cpuset_cpus, &requested, entry, &narrowed, err);
  if (changed < 0)
    return -1;
  if (changed == 0)
    return nr_runtime_exec (runtime, args->argv, err);
  argv = copy_argv (args);
  {
    cleanup_free char *text = nr_set_format (&narrowed);
    nr_log (NR_LOG_INFO, "update %s: --cpuset-cpus %s narrowed to %s (node(s) %s)", args->id,
            args->cpuset_cpus, text, nodes);
    replace_value (argv, args->argv, args->cpuset_cpus, text);
  }
  if (args->cpuset_mems)
    replace_value (argv, args->argv, args->cpuset_mems, nodes);
  return nr_runtime_exec (runtime, argv, err);
}

int
nr_cmd_update (const struct nr_args *args, const struct nr_config *config, nr_error_t *err)
{
  cleanup_free char *runtime = NULL;
  struct nr_ledger_entry entry;
  int ret;

  if (nr_runtime_resolve (config, &runtime, err) < 0)
    return -1;
  /* runc ignores the cpuset flags when --resources is given.  */
  if (! config->update_narrow || config->policy == NR_POLICY_NONE || args->id == NULL
      || (args->resources == NULL && args->cpuset_cpus == NULL))
    return nr_runtime_exec (runtime, args->argv, err);

  memset (&entry, 0, sizeof (entry));
  /* Looked up before reading stdin: a container we did not place gets the
     caller's stdin itself, unread.  */
  /* A cpuset kubelet chose is kubelet's to change: its reconcile loop
     grows and shrinks the shared pool, and we kept its choice at create.  */
  if (find_entry (config, args->id, &entry) <= 0 || nr_set_is_empty (&entry.cpus)
      || entry.kubelet_cpus)
    {
      nr_ledger_entry_free (&entry);
      return nr_runtime_exec (runtime, args->argv, err);
    }
  ret = args->resources ? update_resources (runtime, args, &entry, err)
                        : update_flags (runtime, args, &entry, err);
  nr_ledger_entry_free (&entry);
  return ret;
}
