/* The runc command line, in every form engines use.  */
#include <config.h>

#include "unit.h"

#include "args.h"

#include <string.h>

static struct nr_args
parse (int argc, char **argv)
{
  struct nr_args a;
  nr_error_t err = NULL;
  if (nr_args_parse (argc, argv, &a, &err) < 0)
    fail_msg ("parse failed: %s", err->msg);
  return a;
}

#define PARSE(...)                                                                                 \
  ({                                                                                               \
    char *_v[] = { "numa-runtime", __VA_ARGS__, NULL };                                            \
    parse ((int) (sizeof (_v) / sizeof (_v[0])) - 1, _v);                                          \
  })

static void
containerd_shim_create (void **state)
{
  struct nr_args a = PARSE ("--root", "/run/containerd/runc/k8s.io", "--log", "/b/log.json",
                            "--log-format", "json", "--systemd-cgroup", "create", "--bundle", "/b",
                            "--pid-file", "/b/init.pid", "--console-socket", "/tmp/s", "abc");
  assert_string_equal (a.command, "create");
  assert_int_equal (a.command_index, 8);
  assert_string_equal (a.root, "/run/containerd/runc/k8s.io");
  assert_string_equal (a.log, "/b/log.json");
  assert_string_equal (a.log_format, "json");
  assert_true (a.systemd_cgroup);
  assert_string_equal (a.bundle, "/b");
  assert_string_equal (a.pid_file, "/b/init.pid");
  assert_string_equal (a.id, "abc");
}

static void
equals_and_single_dash_forms (void **state)
{
  struct nr_args a = PARSE ("-root=/r", "-log", "/l", "--debug", "create", "-bundle=/b", "x");
  assert_string_equal (a.root, "/r");
  assert_string_equal (a.log, "/l");
  assert_true (a.debug);
  assert_string_equal (a.bundle, "/b");
  assert_string_equal (a.id, "x");

  a = PARSE ("--root=/r", "create", "-b", "/b2", "y");
  assert_string_equal (a.bundle, "/b2");
  assert_string_equal (a.id, "y");

  a = PARSE ("create", "--bundle=/b3", "z");
  assert_string_equal (a.bundle, "/b3");

  a = PARSE ("--debug=false", "create", "z");
  assert_false (a.debug);
}

static void
bundle_defaults_to_cwd (void **state)
{
  struct nr_args a = PARSE ("create", "--pid-file", "p", "id1");
  assert_null (a.bundle);
  assert_string_equal (nr_args_bundle (&a), ".");
  assert_string_equal (a.id, "id1");
}

static void
bundle_named_create (void **state)
{
  /* The word `create` as a flag value is not the subcommand.  */
  struct nr_args a = PARSE ("--root", "create", "run", "--bundle", "create", "create");
  assert_string_equal (a.command, "run");
  assert_string_equal (a.root, "create");
  assert_string_equal (a.bundle, "create");
  assert_string_equal (a.id, "create");

  a = PARSE ("--log", "run", "delete", "create");
  assert_string_equal (a.command, "delete");
  assert_string_equal (a.id, "create");
}

static void
flags_after_the_id (void **state)
{
  struct nr_args a = PARSE ("create", "myid", "--bundle", "/b", "--no-pivot");
  assert_string_equal (a.id, "myid");
  assert_string_equal (a.bundle, "/b");
}

static void
double_dash_ends_flags (void **state)
{
  struct nr_args a = PARSE ("--root", "/r", "--", "create", "--", "-weird");
  assert_string_equal (a.command, "create");
  assert_string_equal (a.id, "-weird");
}

static void
no_subcommand (void **state)
{
  struct nr_args a = PARSE ("--version");
  assert_null (a.command);
  a = PARSE ("-h");
  assert_null (a.command);
  a = PARSE ("--root", "/r");
  assert_null (a.command);
}

static void
delete_force_and_crun_config (void **state)
{
  struct nr_args a = PARSE ("delete", "-f", "c1");
  assert_true (a.force);
  assert_string_equal (a.id, "c1");
  a = PARSE ("delete", "--force", "c2");
  assert_true (a.force);
  assert_string_equal (a.id, "c2");
  a = PARSE ("create", "-f", "other.json", "c3");
  assert_string_equal (a.config_file, "other.json");
  assert_string_equal (a.id, "c3");
}

static void
update_value_flags (void **state)
{
  struct nr_args a = PARSE ("update", "--cpuset-cpus", "0-3", "--resources=-", "c1");
  assert_string_equal (a.command, "update");
  assert_string_equal (a.resources, "-");
  assert_string_equal (a.id, "c1");
  a = PARSE ("update", "-r", "/tmp/r.json", "c2");
  assert_string_equal (a.resources, "/tmp/r.json");
  assert_string_equal (a.id, "c2");
}

static void
other_verbs_are_not_read (void **state)
{
  /* exec's process args, kill's signal: the runtime's alone.  */
  struct nr_args a = PARSE ("exec", "c1", "ls", "--bundle", "x");
  assert_string_equal (a.command, "exec");
  assert_null (a.id);
  assert_null (a.bundle);
  assert_null (a.unread);
}

static void
missing_flag_value_is_left_to_the_runtime (void **state)
{
  struct nr_args a = PARSE ("--root");
  assert_string_equal (a.unread, "--root");
  assert_true (nr_args_pass_through (&a));
  a = PARSE ("create", "--bundle");
  assert_string_equal (a.unread, "--bundle");
  assert_true (nr_args_pass_through (&a));
}

static void
runc_1_2_flags (void **state)
{
  /* issue 12 item 10: PATH was taken for the id.  */
  struct nr_args a = PARSE ("create", "--pidfd-socket", "/run/p.sock", "--bundle", "/b", "c1");
  assert_string_equal (a.id, "c1");
  assert_int_equal (a.n_positional, 1);
  assert_false (nr_args_pass_through (&a));
  a = PARSE ("run", "--keep", "-d", "--preserve-fds", "3", "--no-subreaper", "c2");
  assert_string_equal (a.id, "c2");
  assert_false (nr_args_pass_through (&a));
  a = PARSE ("update", "--cpu-burst", "1000", "--cpu-idle", "1", "c3");
  assert_string_equal (a.id, "c3");
  assert_int_equal (a.n_positional, 1);
}

static void
crun_flags (void **state)
{
  struct nr_args a = PARSE ("--cgroup-manager", "systemd", "--log-level", "debug", "--log",
                            "file:/l", "delete", "-r", "c.*");
  assert_string_equal (a.command, "delete");
  assert_string_equal (a.log_level, "debug");
  assert_string_equal (nr_args_log_file (&a), "/l");
  assert_string_equal (a.id, "c.*");
  assert_false (nr_args_pass_through (&a));
  a = PARSE ("--log", "journald:x", "create", "c");
  assert_null (nr_args_log_file (&a));
}

static void
help_and_version_pass_through (void **state)
{
  const char *const cases[][3] = {
    { "run", "-h", NULL },        { "create", "--help", NULL }, { "delete", "-h", "c1" },
    { "update", "-help", "c1" },  { "create", "-?", "c1" },     { "run", "--usage", NULL },
    { "--help", "create", "c1" }, { "-v", "create", "c1" },     { "--version", NULL, NULL },
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      char *argv[] = { "numa-runtime", (char *) cases[i][0], (char *) cases[i][1],
                       (char *) cases[i][2], NULL };
      int argc = cases[i][1] == NULL ? 2 : cases[i][2] == NULL ? 3 : 4;
      struct nr_args a;
      assert_int_equal (nr_args_parse (argc, argv, &a, NULL), 0);
      assert_true (nr_args_pass_through (&a));
    }
}

static void
unknown_or_malformed_flags_pass_through (void **state)
{
  const char *const cases[][2] = {
    { "create", "--no-such-flag" }, { "create", "-bDIR" },       { "run", "-dk" },
    { "create", "---bundle=x" },    { "run", "--detach=maybe" }, { "--bogus", "create" },
    { "update", "--bund" },
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      char *argv[] = { "numa-runtime", (char *) cases[i][0], (char *) cases[i][1], "id", NULL };
      struct nr_args a;
      assert_int_equal (nr_args_parse (4, argv, &a, NULL), 0);
      assert_non_null (a.unread);
      assert_true (nr_args_pass_through (&a));
    }
}

static void
wrong_number_of_ids_passes_through (void **state)
{
  struct nr_args a = PARSE ("create", "--bundle", "/b");
  assert_true (nr_args_pass_through (&a));
  a = PARSE ("create", "a", "b");
  assert_int_equal (a.n_positional, 2);
  assert_true (nr_args_pass_through (&a));
  a = PARSE ("run", "--detach=false", "one");
  assert_false (nr_args_pass_through (&a));
  /* our own verbs are ours to refuse */
  a = PARSE ("hook");
  assert_false (nr_args_pass_through (&a));
  a = PARSE ("hook", "prestart", "--bogus");
  assert_non_null (a.unread);
  assert_false (nr_args_pass_through (&a));
  a = PARSE ("--help", "hook", "prestart");
  assert_true (nr_args_pass_through (&a));
}

static void
flag_kinds (void **state)
{
  assert_int_equal (nr_args_flag_kind ("create", "pidfd-socket"), NR_FLAG_VALUE);
  assert_int_equal (nr_args_flag_kind ("run", "keep"), NR_FLAG_BOOL);
  assert_int_equal (nr_args_flag_kind ("create", "keep"), NR_FLAG_UNKNOWN);
  assert_int_equal (nr_args_flag_kind (NULL, "criu"), NR_FLAG_VALUE);
  assert_int_equal (nr_args_flag_kind ("start", "x"), NR_FLAG_UNKNOWN);
}

static void
argv_is_not_modified (void **state)
{
  char *argv[] = { "numa-runtime", "--root=/r", "create", "--bundle=/b", "id", NULL };
  char *copy[6];
  struct nr_args a;

  memcpy (copy, argv, sizeof (argv));
  assert_int_equal (nr_args_parse (5, argv, &a, NULL), 0);
  for (int i = 0; i < 5; i++)
    assert_ptr_equal (argv[i], copy[i]);
  assert_string_equal (argv[1], "--root=/r");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (containerd_shim_create),
    cmocka_unit_test (equals_and_single_dash_forms),
    cmocka_unit_test (bundle_defaults_to_cwd),
    cmocka_unit_test (bundle_named_create),
    cmocka_unit_test (flags_after_the_id),
    cmocka_unit_test (double_dash_ends_flags),
    cmocka_unit_test (no_subcommand),
    cmocka_unit_test (delete_force_and_crun_config),
    cmocka_unit_test (update_value_flags),
    cmocka_unit_test (other_verbs_are_not_read),
    cmocka_unit_test (missing_flag_value_is_left_to_the_runtime),
    cmocka_unit_test (runc_1_2_flags),
    cmocka_unit_test (crun_flags),
    cmocka_unit_test (help_and_version_pass_through),
    cmocka_unit_test (unknown_or_malformed_flags_pass_through),
    cmocka_unit_test (wrong_number_of_ids_passes_through),
    cmocka_unit_test (flag_kinds),
    cmocka_unit_test (argv_is_not_modified),
  };
  return cmocka_run_group_tests_name ("args", tests, NULL, NULL);
}
