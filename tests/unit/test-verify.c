/* `verify` and `rebalance` in-process over a fixture cgroup tree on the
   two-socket machine: container c1, placed on node 0, whose runtime
   state names init pid 4242 (a fixture process under the machine's
   proc/), as 27-verify.bats sets it up.  Each drift is named against the
   placement, only an ok container gives exit status 0, and rebalance
   sets a drifted cpuset back through the runtime (tests/fake-runtime,
   which logs its argv).  */
#include <config.h>

#include "command-fixtures.h"
#include "ledger-fixtures.h"

#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char dir[] = "/tmp/nr-test-verify.XXXXXX";
static char *cgroup_dir, *proc_dir, *node0_cpus, *fake_log;
static struct nr_config config_;

static void
make_dirs (const char *path)
{
  cleanup_free char *cmd = xasprintf ("mkdir -p '%s'", path);
  assert_int_equal (system (cmd), 0);
}

/* The file NAME of c1's cgroup, holding TEXT.  */
static void
cg_file (const char *name, const char *text)
{
  cleanup_free char *path = xasprintf ("%s/%s", cgroup_dir, name);
  write_text (path, text);
}

static void
proc_file (const char *name, const char *text, size_t len)
{
  cleanup_free char *path = xasprintf ("%s/%s", proc_dir, name);
  FILE *f = fopen (path, "we");

  assert_non_null (f);
  assert_int_equal (fwrite (text, 1, len, f), len);
  assert_int_equal (fclose (f), 0);
}

static void
proc_text (const char *name, const char *text)
{
  proc_file (name, text, strlen (text));
}

/* c1 in the ledger, on node 0, with the runtime state naming pid 4242.  */
static void
write_ledger (const char *ledger_path)
{
  cleanup_free char *ledger_dir = xasprintf ("%s/ledger", dir);
  cleanup_free char *state = xasprintf ("%s/state/c1", dir);
  cleanup_free char *state_file = xasprintf ("%s/state.json", state);
  cleanup_free char *root = xasprintf ("%s/state", dir);
  struct nr_ledger_entry e = entry ("c1", "0", node0_cpus, 1000);
  struct nr_ledger *l;

  make_dirs (ledger_dir);
  make_dirs (state);
  write_text (state_file, "{\"init_process_pid\":4242,\"init_process_start\":99}");
  e.mems = set_of ("0");
  e.root = root;
  e.cgroup = (char *) "/fx/c1";
  l = open_ledger (ledger_path, NULL);
  nr_ledger_add (l, &e);
  commit (l);
  nr_ledger_close (l);
}

static int
setup (void **state)
{
  cleanup_free char *sysfs = NULL, *ledger_path = NULL, *extra = NULL, *cpulist = NULL;
  cleanup_free char *cg_root = NULL;

  (void) state;
  if (make_fixture_machine (dir) < 0)
    return -1;
  sysfs = xasprintf ("%s/machine/sys", dir);
  cpulist = xasprintf ("%s/devices/system/node/node0/cpulist", sysfs);
  node0_cpus = read_text (cpulist);
  node0_cpus[strcspn (node0_cpus, "\n")] = '\0';
  cg_root = xasprintf ("%s/cg", dir);
  cgroup_dir = xasprintf ("%s/cg/fx/c1", dir);
  proc_dir = xasprintf ("%s/machine/proc/4242", dir);
  make_dirs (cgroup_dir);
  make_dirs (proc_dir);
  {
    cleanup_free char *controllers = xasprintf ("%s/cgroup.controllers", cg_root);
    write_text (controllers, "");
  }
  /* A live process: field 22, its start time, is the state's.  */
  proc_text ("stat", "4242 (sh) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0\n");
  ledger_path = xasprintf ("%s/ledger/ledger.json", dir);
  write_ledger (ledger_path);
  extra = xasprintf ("policy = best-effort\n[topology]\nproc_root = %s/machine/proc\n"
                     "cgroup_root = %s\n",
                     dir, cg_root);
  fake_log = xasprintf ("%s/fake.log", dir);
  setenv ("FAKE_RUNTIME_LOG", fake_log, 1);
  {
    cleanup_free char *runtime = xasprintf ("%s/tests/fake-runtime", NR_TOP_SRCDIR);
    load_fixture_config (&config_, dir, runtime, ledger_path, sysfs, extra);
  }
  return 0;
}

static int
teardown (void **state)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", dir);

  (void) state;
  free_parsed_args ();
  nr_config_free (&config_);
  free (cgroup_dir);
  free (proc_dir);
  free (node0_cpus);
  free (fake_log);
  return system (cmd) == 0 ? 0 : -1;
}

/* c1's cgroup back as placed, its init with nothing more to read.  */
static int
as_placed (void **state)
{
  cleanup_free char *cpus = xasprintf ("%s\n", node0_cpus);

  (void) state;
  cg_file ("cpuset.cpus.effective", cpus);
  cg_file ("cpuset.mems.effective", "0\n");
  cg_file ("memory.numa_stat", "anon N0=990 N1=10\nfile N0=0 N1=0\n");
  for (const char *const *f = (const char *const[]){ "environ", "status", "numa_maps", NULL }; *f;
       f++)
    {
      cleanup_free char *path = xasprintf ("%s/%s", proc_dir, *f);
      unlink (path);
    }
  unlink (fake_log);
  return 0;
}

static char *
verify (const struct nr_args *args, int *ret, char **message)
{
  return run_command (dir, nr_cmd_verify, args, &config_, ret, message);
}

/* COMMAND's output with the container's init gone (its /proc entry moved
   away meanwhile); it exits 0.  */
static char *
run_with_init_gone (const char *command, char *(*run) (const struct nr_args *, int *, char **) )
{
  struct nr_args args;
  int ret;
  char *out;
  cleanup_free char *away = xasprintf ("%s.away", proc_dir);

  cg_file ("cpuset.cpus.effective", "0-63\n");
  assert_int_equal (rename (proc_dir, away), 0);
  ARGS (&args, command);
  out = run (&args, &ret, NULL);
  assert_int_equal (rename (away, proc_dir), 0);
  assert_int_equal (ret, 0);
  return out;
}

static void
a_container_running_as_placed_is_ok (void **state)
{
  struct nr_args args;
  int ret;
  cleanup_free char *out = NULL, *one = NULL;

  (void) state;
  ARGS (&args, "verify");
  out = verify (&args, &ret, NULL);
  assert_int_equal (ret, 0);
  assert_string_equal (out, "c1 ok\n");
  ARGS (&args, "verify", "c1");
  one = verify (&args, &ret, NULL);
  assert_int_equal (ret, 0);
  assert_string_equal (one, "c1 ok\n");
}

static void
a_widened_cpuset_and_mems_are_named_against_the_placement (void **state)
{
  struct nr_args args;
  int ret;
  cleanup_free char *out = NULL, *want = NULL, *json = NULL;
  yajl_val root, c1;

  (void) state;
  cg_file ("cpuset.cpus.effective", "0-63\n");
  cg_file ("cpuset.mems.effective", "0-1\n");
  ARGS (&args, "verify", "c1");
  out = verify (&args, &ret, NULL);
  assert_int_equal (ret, 1);
  want = xasprintf ("c1 drifted: cpus 0-63 (placed %s); mems 0-1 (placed 0)\n", node0_cpus);
  assert_string_equal (out, want);

  ARGS (&args, "verify", "--json");
  json = verify (&args, &ret, NULL);
  assert_int_equal (ret, 1);
  assert_int_equal (nr_json_parse (json, strlen (json), &root, NULL), 0);
  assert_true (YAJL_IS_FALSE (nr_json_get (root, "ok")));
  c1 = nr_json_get (root, "containers")->u.array.values[0];
  assert_true (YAJL_IS_TRUE (nr_json_get (nr_json_get (c1, "cpus"), "drifted")));
  assert_string_equal (nr_json_get_string (nr_json_get (c1, "mems"), "enforced"), "0-1");
  assert_true (YAJL_IS_NULL (nr_json_get (nr_json_get (c1, "numa_node"), "enforced")));
  yajl_tree_free (root);
}

static void
memory_far_from_its_node_is_drift_below_min_local (void **state)
{
  struct nr_args args;
  int ret;
  cleanup_free char *out = NULL, *lowered = NULL;

  (void) state;
  cg_file ("memory.numa_stat", "anon N0=100 N1=900\nfile N0=0 N1=0\n");
  ARGS (&args, "verify");
  out = verify (&args, &ret, NULL);
  assert_int_equal (ret, 1);
  assert_string_equal (out, "c1 drifted: local 0.100 < 0.950\n");
  ARGS (&args, "verify", "--min-local", "0.05");
  lowered = verify (&args, &ret, NULL);
  assert_int_equal (ret, 0);
  assert_string_equal (lowered, "c1 ok\n");
}

static void
the_init_s_numa_node_mems_allowed_and_policy_are_checked (void **state)
{
  static const char init_env[] = "PATH=/bin\0NUMA_NODE=1\0";
  struct nr_args args;
  int ret;
  cleanup_free char *out = NULL;

  (void) state;
  proc_file ("environ", init_env, sizeof (init_env) - 1);
  proc_text ("status", "Name:\tsh\nMems_allowed_list:\t0-1\n");
  proc_text ("numa_maps", "00400000 interleave:0-1 file=/bin/sh\n");
  ARGS (&args, "verify");
  out = verify (&args, &ret, NULL);
  assert_int_equal (ret, 1);
  assert_string_equal (out, "c1 drifted: numa_node 1 (placed 0); mems_allowed 0-1 (placed 0); "
                            "mempolicy 0-1 (placed 0)\n");
}

static void
a_container_whose_init_exited_is_gone (void **state)
{
  cleanup_free char *out = run_with_init_gone ("verify", verify);

  (void) state;
  assert_string_equal (out, "c1 gone\n");
}

static void
garbage_from_the_kernel_fails_the_container (void **state)
{
  struct nr_args args;
  int ret;
  cleanup_free char *out = NULL;

  (void) state;
  cg_file ("memory.numa_stat", "anon N0=1 N0=2\n");
  ARGS (&args, "verify");
  out = verify (&args, &ret, NULL);
  assert_int_equal (ret, 1);
  assert_string_equal (out, "");
}

static void
an_unknown_id_or_bad_argument_is_refused (void **state)
{
  static const char *const bad[] = { "--min-local=1.5", "--min-local=x", "--bogus", "--dry-run" };
  struct nr_args args;
  int ret;
  cleanup_free char *out = NULL;

  (void) state;
  ARGS (&args, "verify", "nosuch");
  out = verify (&args, &ret, NULL);
  assert_int_equal (ret, 1);
  assert_string_equal (out, "");
  for (size_t i = 0; i < NR_N_ELEMENTS (bad); i++)
    {
      cleanup_free char *message = NULL;
      cleanup_free char *text = NULL;

      ARGS (&args, "verify", bad[i]);
      text = verify (&args, &ret, &message);
      assert_int_equal (ret, -1);
      assert_string_equal (text, "");
      assert_true (strncmp (message, "verify: ", 8) == 0);
    }
}

static char *
rebalance (const struct nr_args *args, int *ret, char **message)
{
  return run_command (dir, nr_cmd_rebalance, args, &config_, ret, message);
}

static void
rebalance_sets_a_drifted_cpuset_back_through_the_runtime (void **state)
{
  struct nr_args args;
  int ret;
  cleanup_free char *dry = NULL, *done = NULL, *log = NULL, *want_dry = NULL, *want = NULL;
  cleanup_free char *update = NULL;

  (void) state;
  cg_file ("cpuset.cpus.effective", "0-63\n");
  cg_file ("cpuset.mems.effective", "0-1\n");
  ARGS (&args, "rebalance", "--dry-run");
  dry = rebalance (&args, &ret, NULL);
  assert_int_equal (ret, 0);
  want_dry = xasprintf ("c1: would set cpus %s mems 0; memory local 0.990\n", node0_cpus);
  assert_string_equal (dry, want_dry);
  assert_null (read_text (fake_log));

  ARGS (&args, "rebalance");
  done = rebalance (&args, &ret, NULL);
  assert_int_equal (ret, 0);
  want = xasprintf ("c1: set cpus %s mems 0; memory local 0.990\n", node0_cpus);
  assert_string_equal (done, want);
  log = read_text (fake_log);
  assert_non_null (log);
  update = xasprintf ("\"update\",\"--cpuset-cpus\",\"%s\",\"--cpuset-mems\",\"0\",\"c1\"]\n",
                      node0_cpus);
  if (strstr (log, update) == NULL)
    fail_msg ("no update of c1 in the runtime's calls:\n%s", log);
}

static void
rebalance_moves_memory_below_min_local_onto_its_nodes (void **state)
{
  struct nr_args args;
  int ret;
  cleanup_free char *dry = NULL, *done = NULL, *ok = NULL, *message = NULL, *json = NULL;

  (void) state;
  cg_file ("memory.numa_stat", "anon N0=100 N1=900\nfile N0=0 N1=0\n");
  ARGS (&args, "rebalance", "--dry-run", "c1");
  dry = rebalance (&args, &ret, NULL);
  assert_int_equal (ret, 0);
  assert_string_equal (dry, "c1: would move 900 bytes to node(s) 0\n");
  /* No process in the fixture cgroup: nothing to move.  */
  ARGS (&args, "rebalance", "c1");
  done = rebalance (&args, &ret, NULL);
  assert_int_equal (ret, 0);
  assert_string_equal (done, "c1: moved 0 bytes to node(s) 0\n");
  ARGS (&args, "rebalance", "--min-local=0.05");
  ok = rebalance (&args, &ret, NULL);
  assert_int_equal (ret, 0);
  assert_string_equal (ok, "c1: ok\n");
  assert_null (read_text (fake_log));
  ARGS (&args, "rebalance", "--json");
  json = rebalance (&args, &ret, &message);
  assert_int_equal (ret, -1);
  assert_non_null (strstr (message, "unknown argument `--json`"));
}

static void
rebalance_skips_a_container_whose_init_exited (void **state)
{
  cleanup_free char *out = run_with_init_gone ("rebalance", rebalance);

  (void) state;
  assert_string_equal (out, "c1: gone, skipped\n");
  assert_null (read_text (fake_log));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup (a_container_running_as_placed_is_ok, as_placed),
    cmocka_unit_test_setup (a_widened_cpuset_and_mems_are_named_against_the_placement, as_placed),
    cmocka_unit_test_setup (memory_far_from_its_node_is_drift_below_min_local, as_placed),
    cmocka_unit_test_setup (the_init_s_numa_node_mems_allowed_and_policy_are_checked, as_placed),
    cmocka_unit_test_setup (a_container_whose_init_exited_is_gone, as_placed),
    cmocka_unit_test_setup (garbage_from_the_kernel_fails_the_container, as_placed),
    cmocka_unit_test_setup (an_unknown_id_or_bad_argument_is_refused, as_placed),
    cmocka_unit_test_setup (rebalance_sets_a_drifted_cpuset_back_through_the_runtime, as_placed),
    cmocka_unit_test_setup (rebalance_moves_memory_below_min_local_onto_its_nodes, as_placed),
    cmocka_unit_test_setup (rebalance_skips_a_container_whose_init_exited, as_placed),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
