/* The commands end to end, without root: create, delete, update, status,
   gc and the hooks against a generated two-socket sysfs tree, a ledger in
   a temp dir and tests/fake-runtime as the real runtime.  A create that
   succeeds execs the runtime, so it runs in a forked child; the pipeline
   itself is also run in-process against a runtime that cannot be
   executed, which exercises the roll-back.  */
#include <config.h>

#include "command-fixtures.h"

#include "commands.h"
#include "json.h"
#include "ledger.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char dir[] = "/tmp/nr-test-commands.XXXXXX";
static char *bundle, *spec_path, *state_root, *ledger_path, *fake_log;

/* The fixture machine with the fake runtime, for the tests that need no
   other settings.  */
static struct nr_config config_;

static const char spec_text[] =
    "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"env\":[\"PATH=/bin\"]},"
    "\"root\":{\"path\":\"rootfs\"},\"linux\":{\"resources\":{\"cpu\":{\"quota\":200000,"
    "\"period\":100000},\"memory\":{\"limit\":268435456}}}}";

static void load_config (struct nr_config *config, const char *runtime, const char *extra);
static char *fake_runtime (void);

static int
setup (void **state)
{
  if (make_fixture_machine (dir) < 0)
    return -1;
  bundle = xasprintf ("%s/bundle", dir);
  spec_path = xasprintf ("%s/config.json", bundle);
  state_root = xasprintf ("%s/state", dir);
  ledger_path = xasprintf ("%s/ledger/ledger.json", dir);
  fake_log = xasprintf ("%s/fake.log", dir);
  mkdir (bundle, 0700);
  mkdir (state_root, 0700);
  setenv ("FAKE_RUNTIME_LOG", fake_log, 1);
  {
    cleanup_free char *runtime = fake_runtime ();
    load_config (&config_, runtime, NULL);
  }
  return 0;
}

static int
teardown (void **state)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", dir);
  free (bundle);
  free (spec_path);
  free (state_root);
  free (ledger_path);
  free (fake_log);
  free_parsed_args ();
  nr_config_free (&config_);
  return system (cmd) == 0 ? 0 : -1;
}

/* A config for the fixture machine with RUNTIME and EXTRA lines in
   [placement].  */
static void
load_config (struct nr_config *config, const char *runtime, const char *extra)
{
  cleanup_free char *sysfs = xasprintf ("%s/machine/sys", dir);
  cleanup_free char *placement = xasprintf ("policy = best-effort\n%s", extra ? extra : "");

  load_fixture_config (config, dir, runtime, ledger_path, sysfs, placement);
}

static char *
fake_runtime (void)
{
  return xasprintf ("%s/tests/fake-runtime", NR_TOP_SRCDIR);
}

/* Run create for ID in a child, which execs the fake runtime; its exit
   status.  */
static int
create_in_child (const struct nr_config *config, const char *id)
{
  pid_t pid;
  int wstatus;

  write_text (spec_path, spec_text);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      char *argv[] = { (char *) "numa-runtime",
                       (char *) "--root",
                       state_root,
                       (char *) "create",
                       (char *) "--bundle",
                       bundle,
                       (char *) id,
                       NULL };
      struct nr_args args;
      nr_error_t err = NULL;
      int devnull = open ("/dev/null", O_WRONLY | O_CLOEXEC);
      dup2 (devnull, 2);
      if (nr_args_parse (7, argv, &args, &err) == 0)
        nr_cmd_create (&args, config, &err);
      _exit (99);
    }
  assert_int_equal (waitpid (pid, &wstatus, 0), pid);
  return WIFEXITED (wstatus) ? WEXITSTATUS (wstatus) : 128 + WTERMSIG (wstatus);
}

static bool
ledger_has (const char *id, struct nr_ledger_entry *out)
{
  cleanup_ledger struct nr_ledger *ledger = NULL;
  cleanup_free char *boot_id = nr_read_boot_id ("/proc");
  struct nr_ledger_entry e;
  nr_error_t err = NULL;
  int found;

  if (nr_ledger_open (ledger_path, boot_id, NULL, &ledger, &err) < 0)
    fail_msg ("ledger: %s", err->msg);
  found = nr_ledger_find (ledger, id, &e, &err);
  assert_true (found >= 0);
  if (found && out)
    *out = e;
  else if (found)
    nr_ledger_entry_free (&e);
  return found > 0;
}

/* Make TEXT our stdin until restore_stdin.  */
static int
feed_stdin (const char *text)
{
  cleanup_free char *path = xasprintf ("%s/stdin", dir);
  int saved = dup (0), fd;

  write_text (path, text);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  dup2 (fd, 0);
  close (fd);
  return saved;
}

static void
restore_stdin (int saved)
{
  dup2 (saved, 0);
  close (saved);
}

static void
create_places_the_container_and_execs_the_runtime (void **state)
{
  struct nr_ledger_entry e;
  cleanup_free char *seen_path = xasprintf ("%s.d/c1.json", fake_log);
  cleanup_free char *seen = NULL;
  cleanup_json yajl_val doc = NULL;
  static const char *const cpus_path[] = { "linux", "resources", "cpu", "cpus", NULL };
  static const char *const mems_path[] = { "linux", "resources", "cpu", "mems", NULL };
  nr_error_t err = NULL;

  assert_int_equal (create_in_child (&config_, "c1"), 0);
  /* The runtime saw the edited spec.  */
  seen = read_text (seen_path);
  assert_non_null (seen);
  assert_int_equal (nr_json_parse (seen, strlen (seen), &doc, &err), 0);
  assert_non_null (nr_json_get_path (doc, cpus_path));
  assert_non_null (nr_json_get_path (doc, mems_path));
  assert_non_null (strstr (seen, "NUMA_NODE="));
  assert_true (ledger_has ("c1", &e));
  /* Shared CPUs (not exclusive): one node's.  */
  assert_int_equal (nr_set_count (&e.nodes), 1);
  assert_false (nr_set_is_empty (&e.cpus));
  assert_int_equal (e.memory, 268435456);
  nr_ledger_entry_free (&e);

  /* The same id again, while its state exists, is refused.  */
  assert_int_equal (create_in_child (&config_, "c1"), 99);
}

static void
create_rolls_back_when_the_runtime_cannot_be_executed (void **state)
{
  struct nr_config config;
  struct nr_args args;
  cleanup_free char *broken = xasprintf ("%s/not-a-program", dir);
  cleanup_free char *after = NULL;
  nr_error_t err = NULL;

  /* Executable but no program: execv fails with ENOEXEC.  */
  write_text (broken, "this is not a program\n");
  chmod (broken, 0755);
  load_config (&config, broken, "cpu_allocation = exclusive\n");
  write_text (spec_path, spec_text);
  ARGS (&args, "--root", state_root, "create", "--bundle", bundle, "rolled-back");
  assert_int_equal (nr_cmd_create (&args, &config, &err), -1);
  assert_non_null (strstr (err->msg, "exec"));
  nr_error_release (&err);
  after = read_text (spec_path);
  assert_string_equal (after, spec_text);
  assert_false (ledger_has ("rolled-back", NULL));
  nr_config_free (&config);
}

static void
create_refuses_bad_input_and_leaves_the_spec (void **state)
{
  struct nr_config config;
  struct nr_args args;
  cleanup_free char *runtime = fake_runtime ();
  cleanup_free char *after = NULL;
  nr_error_t err = NULL;

  load_config (&config, runtime, NULL);
  ARGS (&args, "--root", state_root, "create", "--bundle", bundle, "bad/id");
  assert_int_equal (nr_cmd_create (&args, &config, &err), -1);
  assert_non_null (strstr (err->msg, "invalid container id"));
  nr_error_release (&err);

  write_text (spec_path, "{\"linux\": [");
  ARGS (&args, "--root", state_root, "create", "--bundle", bundle, "c-bad-json");
  assert_int_equal (nr_cmd_create (&args, &config, &err), -1);
  nr_error_release (&err);
  after = read_text (spec_path);
  assert_string_equal (after, "{\"linux\": [");
  assert_false (ledger_has ("c-bad-json", NULL));
  nr_config_free (&config);

  /* Refused under single-numa-node: more CPUs than a node has.  */
  load_config (&config, runtime, NULL);
  config.policy = NR_POLICY_SINGLE_NUMA_NODE;
  write_text (spec_path, "{\"linux\":{\"resources\":{\"cpu\":{\"quota\":10000000,"
                         "\"period\":100000}}}}");
  ARGS (&args, "--root", state_root, "create", "--bundle", bundle, "c-huge");
  assert_int_equal (nr_cmd_create (&args, &config, &err), -1);
  nr_error_release (&err);
  assert_false (ledger_has ("c-huge", NULL));
  nr_config_free (&config);
}

static void
status_shows_nodes_and_containers (void **state)
{
  struct nr_args args;
  cleanup_free char *text = NULL;
  cleanup_free char *json = NULL;
  cleanup_json yajl_val doc = NULL;
  static const char *const first_id[] = { "containers", NULL };
  nr_error_t err = NULL;
  int ret;

  ARGS (&args, "--root", state_root, "status");
  text = run_command (dir, nr_cmd_status, &args, &config_, &ret, NULL);
  assert_int_equal (ret, 0);
  assert_non_null (strstr (text, "c1"));
  assert_non_null (strstr (text, "live"));

  ARGS (&args, "--root", state_root, "status", "--json");
  json = run_command (dir, nr_cmd_status, &args, &config_, &ret, NULL);
  assert_int_equal (ret, 0);
  assert_int_equal (nr_json_parse (json, strlen (json), &doc, &err), 0);
  assert_non_null (nr_json_get_path (doc, first_id));
  /* The ledger's own keys, plus alive.  */
  assert_non_null (strstr (json, "\"pid_start\":"));
  assert_non_null (strstr (json, "\"kubelet_cpus\":false"));
  assert_non_null (strstr (json, "\"alive\":true"));
}

static void
update_narrows_a_cpuset_to_the_placement (void **state)
{
  struct nr_args args;
  struct nr_ledger_entry e;
  cleanup_free char *seen_path = xasprintf ("%s.d/c1.update.json", fake_log);
  cleanup_free char *file = xasprintf ("%s/resources.json", dir);
  cleanup_free char *seen = NULL;
  cleanup_free char *placed = NULL;
  nr_error_t err = NULL;
  int saved;

  assert_true (ledger_has ("c1", &e));
  placed = nr_set_format (&e.cpus);
  nr_ledger_entry_free (&e);

  /* On stdin: edited, run as a child with the result on its stdin.  */
  saved = feed_stdin ("{\"cpu\":{\"cpus\":\"0-63\",\"shares\":1024}}");
  ARGS (&args, "--root", state_root, "update", "--resources=-", "c1");
  assert_int_equal (nr_cmd_update (&args, &config_, &err), 0);
  restore_stdin (saved);
  seen = read_text (seen_path);
  assert_non_null (seen);
  {
    cleanup_free char *want = xasprintf ("\"cpus\":\"%s\"", placed);
    assert_non_null (strstr (seen, want));
  }

  /* From a file: the same, with the edited copy on stdin.  */
  write_text (file, "{\"cpu\":{\"cpus\":\"0-63\"}}");
  free (seen);
  unlink (seen_path);
  saved = feed_stdin ("");
  ARGS (&args, "--root", state_root, "update", "--resources", file, "c1");
  assert_int_equal (nr_cmd_update (&args, &config_, &err), 0);
  restore_stdin (saved);
  seen = read_text (seen_path);
  assert_non_null (seen);
  assert_null (strstr (seen, "0-63"));

  /* Not JSON, or no cpuset: handed on as it came.  */
  free (seen);
  unlink (seen_path);
  saved = feed_stdin ("{\"memory\":{\"limit\":1}}");
  ARGS (&args, "--root", state_root, "update", "-r", "-", "c1");
  assert_int_equal (nr_cmd_update (&args, &config_, &err), 0);
  restore_stdin (saved);
  seen = read_text (seen_path);
  assert_non_null (seen);
  assert_non_null (strstr (seen, "\"limit\":1"));
}

/* The flag form and the pass-through cases exec: run them in a child.  */
static int
update_in_child (const struct nr_config *config, char **argv, int argc)
{
  pid_t pid = fork ();
  int wstatus;

  assert_true (pid >= 0);
  if (pid == 0)
    {
      struct nr_args args;
      nr_error_t err = NULL;
      if (nr_args_parse (argc, argv, &args, &err) == 0)
        nr_cmd_update (&args, config, &err);
      _exit (99);
    }
  assert_int_equal (waitpid (pid, &wstatus, 0), pid);
  return WIFEXITED (wstatus) ? WEXITSTATUS (wstatus) : -1;
}

static void
update_flags_and_pass_through (void **state)
{
  struct nr_config config;
  cleanup_free char *runtime = fake_runtime ();
  cleanup_free char *log = NULL;
  char *flags[] = { (char *) "numa-runtime",
                    (char *) "--root",
                    state_root,
                    (char *) "update",
                    (char *) "--cpuset-cpus",
                    (char *) "0-63",
                    (char *) "--cpuset-mems",
                    (char *) "0-1",
                    (char *) "c1",
                    NULL };
  char *other[] = { (char *) "numa-runtime", (char *) "update",     (char *) "--cpuset-cpus",
                    (char *) "0-63",         (char *) "not-placed", NULL };

  struct nr_ledger_entry e;
  cleanup_free char *narrowed = NULL;

  load_config (&config, runtime, NULL);
  assert_true (ledger_has ("c1", &e));
  {
    cleanup_free char *cpus = nr_set_format (&e.cpus);
    cleanup_free char *nodes = nr_set_format (&e.nodes);
    narrowed = xasprintf ("\"--cpuset-cpus\",\"%s\",\"--cpuset-mems\",\"%s\",\"c1\"", cpus, nodes);
  }
  nr_ledger_entry_free (&e);
  assert_int_equal (update_in_child (&config, flags, 9), 0);
  assert_int_equal (update_in_child (&config, other, 5), 0);
  config.update_narrow = false;
  assert_int_equal (update_in_child (&config, flags, 9), 0);
  log = read_text (fake_log);
  /* Narrowed once, then passed through twice.  */
  assert_non_null (strstr (log, "\"--cpuset-cpus\",\"0-63\",\"not-placed\""));
  assert_non_null (strstr (log, "\"--cpuset-mems\",\"0-1\",\"c1\""));
  assert_non_null (strstr (log, narrowed));
  nr_config_free (&config);
}

static void
hooks_check_and_release (void **state)
{
  struct nr_args args;
  cleanup_free char *doc = NULL;
  nr_error_t err = NULL;
  int saved;

  assert_int_equal (create_in_child (&config_, "hooked"), 0);
  assert_true (ledger_has ("hooked", NULL));

  /* prestart: our own pid stands in for the container's init.  */
  doc = xasprintf ("{\"ociVersion\":\"1.0.2\",\"id\":\"hooked\",\"pid\":%d,\"bundle\":\"%s\"}",
                   (int) getpid (), bundle);
  saved = feed_stdin (doc);
  ARGS (&args, "hook", "prestart");
  assert_int_equal (nr_cmd_hook (&args, &config_, &err), 0);
  restore_stdin (saved);
  assert_true (ledger_has ("hooked", NULL));

  saved = feed_stdin (doc);
  ARGS (&args, "hook", "poststop");
  assert_int_equal (nr_cmd_hook (&args, &config_, &err), 0);
  restore_stdin (saved);
  assert_false (ledger_has ("hooked", NULL));

  /* Bad input is an error: not JSON, an unknown stage.  */
  saved = feed_stdin ("nonsense");
  ARGS (&args, "hook", "poststop");
  assert_int_equal (nr_cmd_hook (&args, &config_, &err), -1);
  nr_error_release (&err);
  restore_stdin (saved);
  saved = feed_stdin (doc);
  ARGS (&args, "hook", "midway");
  assert_int_equal (nr_cmd_hook (&args, &config_, &err), -1);
  nr_error_release (&err);
  restore_stdin (saved);
}

static void
a_damaged_ledger_is_rebuilt_from_runtime_state (void **state)
{
  struct nr_args args;
  cleanup_free char *out = NULL;
  int ret;

  write_text (ledger_path, "{ this is not a ledger");
  ARGS (&args, "--root", state_root, "gc");
  out = run_command (dir, nr_cmd_gc, &args, &config_, &ret, NULL);
  assert_int_equal (ret, 0);
  /* c1's state names its bundle, whose config.json holds its cpuset.  */
  assert_true (ledger_has ("c1", NULL));
}

static void
delete_releases_only_after_the_runtime_deleted (void **state)
{
  struct nr_args args;
  nr_error_t err = NULL;

  setenv ("FAKE_DELETE_STATUS", "1", 1);
  ARGS (&args, "--root", state_root, "delete", "c1");
  assert_int_equal (nr_cmd_delete (&args, &config_, &err), 1);
  assert_true (ledger_has ("c1", NULL));
  unsetenv ("FAKE_DELETE_STATUS");
  assert_int_equal (nr_cmd_delete (&args, &config_, &err), 0);
  assert_false (ledger_has ("c1", NULL));
}

static void
gc_releases_containers_that_are_gone (void **state)
{
  struct nr_args args;
  cleanup_free char *gone = xasprintf ("rm -rf '%s/gone'", state_root);
  cleanup_free char *out = NULL;
  int ret;

  assert_int_equal (create_in_child (&config_, "gone"), 0);
  assert_int_equal (system (gone), 0);
  ARGS (&args, "--root", state_root, "gc");
  out = run_command (dir, nr_cmd_gc, &args, &config_, &ret, NULL);
  assert_int_equal (ret, 0);
  assert_non_null (strstr (out, "released gone"));
  assert_false (ledger_has ("gone", NULL));
}

static void
policy_none_and_opt_out_pass_through (void **state)
{
  struct nr_config config;
  cleanup_free char *runtime = fake_runtime ();
  cleanup_free char *after = NULL;

  load_config (&config, runtime, "");
  config.policy = NR_POLICY_NONE;
  assert_int_equal (create_in_child (&config, "untouched"), 0);
  after = read_text (spec_path);
  assert_string_equal (after, spec_text);
  assert_false (ledger_has ("untouched", NULL));
  nr_config_free (&config);
}

int
main (void)
{
  /* In this order: later tests use the containers earlier ones made.  */
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (create_places_the_container_and_execs_the_runtime),
    cmocka_unit_test (create_rolls_back_when_the_runtime_cannot_be_executed),
    cmocka_unit_test (create_refuses_bad_input_and_leaves_the_spec),
    cmocka_unit_test (status_shows_nodes_and_containers),
    cmocka_unit_test (update_narrows_a_cpuset_to_the_placement),
    cmocka_unit_test (update_flags_and_pass_through),
    cmocka_unit_test (hooks_check_and_release),
    cmocka_unit_test (a_damaged_ledger_is_rebuilt_from_runtime_state),
    cmocka_unit_test (delete_releases_only_after_the_runtime_deleted),
    cmocka_unit_test (gc_releases_containers_that_are_gone),
    cmocka_unit_test (policy_none_and_opt_out_pass_through),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
