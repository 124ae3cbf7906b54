/* numa-runtime: `hook prestart` and `hook poststop` — the same binary run
 * as an OCI hook, for engines whose containers do not always pass through
 * the wrapper's own `delete` (CRI-O or podman configured with another
 * runtime path, a crashed shim, ...).
 *
 * The runtime writes the container's state (runtime-spec runtime.md:
 * ociVersion, id, status, pid, bundle, annotations) on our stdin.
 *
 *   poststop  releases the container's ledger entry.  Idempotent: no
 *             entry (the wrapper's delete got there first, or the
 *             container was never placed) is success, and silent.
 *   prestart  checks that the container's init process is confined to the
 *             cpuset numa-runtime chose, and warns on stderr (the engine
 *             shows a hook's stderr) when it is not.  A mismatch or an
 *             unreadable ledger never fails the container: a failing
 *             prestart hook would abort its start.
 *
 * Only a state we cannot read (not JSON, no id, no pid for prestart) is an
 * error: then the engine's hook configuration is wrong and should be seen.  */
#include <config.h>

#include "commands.h"
#include "counters.h"
#include "json.h"
#include "ledger.h"
#include "rebuild.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* The state document is a few hundred bytes plus the annotations.  */
#define STATE_MAX_SIZE (1024 * 1024)

struct oci_state
{
  char *id;
  long long pid; /* 0 when absent */
};

static void
oci_state_free (struct oci_state *state)
{
  free (state->id);
  memset (state, 0, sizeof (*state));
}

/* Parse the state JSON in TEXT into STATE (caller frees with
   oci_state_free).  NEED_PID: the stage runs with a live process.  */
static int
parse_state (const char *text, size_t len, bool need_pid, struct oci_state *state, nr_error_t *err)
{
  cleanup_json yajl_val root = NULL;
  const char *id;
  yajl_val pid;

  if (len == 0)
    return nr_make_error (err, 0, "no container state on stdin");
  if (nr_json_parse (text, len, &root, err) < 0)
    return nr_error_wrap (err, "container state on stdin");
  if (! YAJL_IS_OBJECT (root))
    return nr_make_error (err, 0, "container state on stdin is not a JSON object");

  id = nr_json_get_string (root, "id");
  if (id == NULL || *id == '\0')
    return nr_make_error (err, 0, "container state on stdin has no `id`");

  pid = nr_json_get (root, "pid");
  if (pid != NULL && ! YAJL_IS_NULL (pid))
    {
      if (! YAJL_IS_INTEGER (pid) || YAJL_GET_INTEGER (pid) < 0
          || YAJL_GET_INTEGER (pid) > INT32_MAX)
        return nr_make_error (err, 0, "container state on stdin: `pid` is not a process id");
      state->pid = YAJL_GET_INTEGER (pid);
    }
  if (need_pid && state->pid == 0)
    return nr_make_error (err, 0, "container state on stdin has no `pid`");
  state->id = xstrdup (id);
  return 0;
}

static bool
ledger_exists (const char *path)
{
  return access (path, F_OK) == 0;
}

static int
hook_poststop (const struct nr_config *config, const struct oci_state *state, nr_error_t *err)
{
  cleanup_ledger struct nr_ledger *ledger = NULL;

  /* Nothing was ever placed on this host: do not create /run/numa-runtime
     for an engine that runs the hook on every container.  */
  if (! ledger_exists (config->ledger_path))
    return 0;
  /* An OCI hook knows no runtime state root: damage only empties.  */
  if (nr_ledger_open_for (config, NR_LEDGER_WRITE, NULL, NULL, &ledger, err) < 0)
    return nr_error_wrap (err, "poststop `%s`", state->id);
  if (! nr_ledger_remove (ledger, state->id))
    return 0;
  nr_ledger_counters_for_update (ledger)->deletes++;
  if (nr_ledger_commit (ledger, err) < 0)
    return nr_error_wrap (err, "poststop `%s`", state->id);
  nr_debug ("poststop %s: released its ledger entry", state->id);
  return 0;
}

/* The CPUs PID may run on, from the Cpus_allowed_list line of its status
   file: the kernel keeps it equal to the cpuset cgroup's CPUs (online
   ones), on cgroup v1 and v2 alike.  */
static int
read_cpus_allowed (const char *proc_root, long long pid, nr_set_t *cpus, nr_error_t *err)
{
  static const char key[] = "Cpus_allowed_list:";
  cleanup_free char *path = xasprintf ("%s/%lld/status", proc_root, pid);
  cleanup_free char *text = NULL;
  cleanup_close int fd = -1;
  size_t len;
  const char *line;

  fd = open_regular (path, 0);
  if (fd < 0)
    return nr_make_error (err, errno, "open `%s`", path);
  if (read_fd (fd, STATE_MAX_SIZE, path, &text, &len, err) < 0)
    return -1;
  for (line = text; line != NULL && *line != '\0'; line = strchr (line, '\n'))
    {
      if (*line == '\n')
        line++;
      if (strncmp (line, key, sizeof (key) - 1) == 0)
        {
          const char *value = line + sizeof (key) - 1;
          cleanup_free char *list = xstrndup (value, strcspn (value, "\n"));
          if (nr_set_parse (list, cpus, err) < 0)
            return nr_error_wrap (err, "`%s`", path);
          return 0;
        }
    }
  return nr_make_error (err, 0, "`%s` has no %s line", path, key);
}

/* Compare the container's cpuset with its ledger entry.  Returns -1 only
   for trouble reading either; a mismatch is a warning and 0.  */
static int
verify_cpuset (const struct nr_config *config, const struct oci_state *state, nr_error_t *err)
{
  cleanup_ledger struct nr_ledger *ledger = NULL;
  struct nr_ledger_entry entry;
  nr_set_t allowed;
  int found;

  if (nr_ledger_open_for (config, NR_LEDGER_READ, NULL, NULL, &ledger, err) < 0)
    return -1;
  if (ledger == NULL)
    return 0;
  found = nr_ledger_find (ledger, state->id, &entry, err);
  /* The check reads /proc only: do not hold up other creates meanwhile.  */
  nr_ledger_close (steal_pointer (&ledger));
  if (found <= 0)
    return found;

  if (! nr_set_is_empty (&entry.cpus)
      && read_cpus_allowed (config->proc_root, state->pid, &allowed, err) == 0
      && ! nr_set_equal (&entry.cpus, &allowed))
    {
      cleanup_free char *chosen = nr_set_format (&entry.cpus);
      cleanup_free char *actual = nr_set_format (&allowed);
      nr_warn ("container %s: its cgroup allows CPUs %s, but numa-runtime placed it "
               "on CPUs %s: the runtime did not apply the cpuset from config.json",
               state->id, actual, chosen);
    }
  nr_ledger_entry_free (&entry);
  return *err ? -1 : 0;
}

static int
hook_prestart (const struct nr_config *config, const struct oci_state *state, nr_error_t *err)
{
  nr_error_t check_err = NULL;

  if (verify_cpuset (config, state, &check_err) < 0)
    {
      nr_warn ("prestart %s: cannot verify the cpuset: %s", state->id, check_err->msg);
      nr_error_release (&check_err);
    }
  return 0;
}

static const struct
{
  const char *stage;
  bool need_pid;
  int (*run) (const struct nr_config *, const struct oci_state *, nr_error_t *);
} stages[] = {
  { "prestart", true, hook_prestart },
  { "poststop", false, hook_poststop },
};

int
nr_cmd_hook (const struct nr_args *args, const struct nr_config *config, nr_error_t *err)
{
  cleanup_free char *text = NULL;
  struct oci_state state = { 0 };
  size_t len = 0;
  int ret;

  for (size_t i = 0; i < NR_N_ELEMENTS (stages); i++)
    {
      if (args->id == NULL || strcmp (args->id, stages[i].stage) != 0)
        continue;
      if (read_fd (STDIN_FILENO, STATE_MAX_SIZE, "the state from stdin", &text, &len, err) < 0
          || parse_state (text, len, stages[i].need_pid, &state, err) < 0)
        return nr_error_wrap (err, "hook %s", stages[i].stage);
      ret = stages[i].run (config, &state, err);
      oci_state_free (&state);
      return ret < 0 ? -1 : 0;
    }
  return nr_make_error (err, 0, "hook: expected `prestart` or `poststop`, got `%s`",
                        args->id ? args->id : "");
}
