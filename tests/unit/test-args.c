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

  a = PARSE ("--log", "run", "start", "create");
  assert_string_equal (a.command, "start");
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
exec_stops_at_the_process_args (void **state)
{
  struct nr_args a = PARSE ("exec", "c1", "ls", "--bundle", "x");
  assert_string_equal (a.id, "c1");
  assert_null (a.bundle);
}

static void
missing_flag_value_is_an_error (void **state)
{
  char *argv[] = { "numa-runtime", "--root", NULL };
  char *argv2[] = { "numa-runtime", "create", "--bundle", NULL };
  struct nr_args a;
  nr_error_t err = NULL;

  assert_int_equal (nr_args_parse (2, argv, &a, &err), -1);
  assert_non_null (strstr (err->msg, "--root"));
  nr_error_release (&err);
  assert_int_equal (nr_args_parse (3, argv2, &a, &err), -1);
  assert_non_null (strstr (err->msg, "--bundle"));
  nr_error_release (&err);
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
    cmocka_unit_test (exec_stops_at_the_process_args),
    cmocka_unit_test (missing_flag_value_is_an_error),
    cmocka_unit_test (argv_is_not_modified),
  };
  return cmocka_run_group_tests_name ("args", tests, NULL, NULL);
}
