/* What numa-runtime reads before it places anything: the config file,
   the spec (load, save, restore), the container's request, the host's
   topology from generated sysfs trees, and the runtime's path.  */
#include <config.h>

#include "unit.h"

#include "conf.h"
#include "request.h"
#include "runtime.h"
#include "spec.h"
#include "topology.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static char dir[] = "/tmp/nr-test-inputs.XXXXXX";

static int
setup (void **state)
{
  cleanup_free char *cmd = NULL;

  if (mkdtemp (dir) == NULL)
    return -1;
  cmd =
      xasprintf ("for m in two-socket eight-node cloud-vm; do sh '%s/tests/fixtures/gen-sysfs.sh' "
                 "$m '%s'/$m >/dev/null || exit 1; done",
                 NR_TOP_SRCDIR, dir);
  return system (cmd) == 0 ? 0 : -1;
}

static int
teardown (void **state)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", dir);
  return system (cmd) == 0 ? 0 : -1;
}

static char *
write_tmp (const char *name, const char *text)
{
  char *path = xasprintf ("%s/%s", dir, name);
  FILE *f = fopen (path, "we");
  assert_non_null (f);
  fputs (text, f);
  assert_int_equal (fclose (f), 0);
  return path;
}

/* ---- config ------------------------------------------------------------ */

static void
every_key_of_the_config_is_read (void **state)
{
  cleanup_free char *path =
      write_tmp ("full.conf", "[runtime]\npath = /usr/bin/crun\n"
                              "[ledger]\npath = /run/x/ledger.json\n"
                              "[topology]\nsysfs_root = /tmp/sys\nproc_root = /tmp/proc\n"
                              "[placement]\npolicy = restricted\ncpu_allocation = exclusive\n"
                              "reserved_cpus = 0-1\nreserved_memory = 1GiB\n"
                              "best_effort_share = 250\nmulti_node = distribute\n"
                              "kubelet_cpuset = override\nupdate_cpuset = pass-through\n"
                              "isolated_cpus = annotated\ncpu_alignment = llc\n"
                              "shared_nodes = gather\n"
                              "[memory]\npolicy = interleave\n"
                              "[seccomp]\nallow_mempolicy = no\n"
                              "[annotations]\nenabled = false\nhonoured = policy,nodes\n"
                              "allowed_nodes = 0-1\nallow_weaker_policy = yes\n");
  struct nr_config c;
  nr_error_t err = NULL;

  assert_int_equal (nr_config_load_file (&c, path, true, &err), 0);
  assert_string_equal (c.runtime_path, "/usr/bin/crun");
  assert_string_equal (c.ledger_path, "/run/x/ledger.json");
  assert_string_equal (c.sysfs_root, "/tmp/sys");
  assert_string_equal (c.proc_root, "/tmp/proc");
  assert_int_equal (c.policy, NR_POLICY_RESTRICTED);
  assert_true (c.cpu_exclusive);
  assert_true (c.isolated_annotated);
  assert_true (c.llc_strict);
  assert_true (c.shared_gather);
  assert_set_equal (c.reserved_cpus, "0-1");
  assert_int_equal (c.reserved_memory, INT64_C (1) << 30);
  assert_int_equal (c.best_effort_millicpus, 250);
  assert_int_equal (c.spread, NR_SPREAD_DISTRIBUTE);
  assert_true (c.kubelet_override);
  assert_false (c.update_narrow);
  assert_int_equal (c.memory_policy, NR_MPOL_INTERLEAVE);
  assert_false (c.seccomp_allow_mempolicy);
  assert_false (c.annotations_enabled);
  assert_string_equal (c.annotation_keys, "policy,nodes");
  assert_true (c.annotation_nodes_set);
  assert_set_equal (c.annotation_nodes, "0-1");
  assert_true (c.annotations_may_weaken);
  nr_config_free (&c);

  /* Through the environment, and the defaults.  */
  setenv ("NUMA_RUNTIME_CONFIG", path, 1);
  assert_int_equal (nr_config_load (&c, &err), 0);
  assert_int_equal (c.policy, NR_POLICY_RESTRICTED);
  nr_config_free (&c);
  unsetenv ("NUMA_RUNTIME_CONFIG");
  assert_int_equal (nr_config_load_file (&c, "/nonexistent/numa-runtime.conf", false, &err), 0);
  assert_int_equal (c.policy, NR_POLICY_BEST_EFFORT);
  assert_true (c.update_narrow);
  assert_false (c.shared_gather);
  assert_string_equal (c.sysfs_root, "/sys");
  nr_config_free (&c);
}

static void
bad_config_values_name_the_line (void **state)
{
  static const char *const bad[] = {
    "[ledger]\npath = relative\n",
    "[placement]\npolicy = sometimes\n",
    "[placement]\ncpu_allocation = greedy\n",
    "[placement]\nisolated_cpus = always\n",
    "[placement]\ncpu_alignment = l3\n",
    "[placement]\nshared_nodes = pack\n",
    "[placement]\nreserved_cpus = 1-\n",
    "[placement]\nreserved_memory = lots\n",
    "[placement]\nbest_effort_share = -5\n",
    "[placement]\nmulti_node = scatter\n",
    "[placement]\nkubelet_cpuset = ignore\n",
    "[placement]\nupdate_cpuset = maybe\n",
    "[memory]\npolicy = random\n",
    "[seccomp]\nallow_mempolicy = perhaps\n",
    "[annotations]\nenabled = 2\n",
    "[annotations]\nallowed_nodes = x\n",
    "[annotations]\nallow_weaker_policy = often\n",
    "[placement]\nno_such_key = 1\n",
    "[placement\npolicy = none\n",
  };
  nr_error_t err = NULL;
  struct nr_config c;

  for (size_t i = 0; i < NR_N_ELEMENTS (bad); i++)
    {
      cleanup_free char *path = write_tmp ("bad.conf", bad[i]);
      if (nr_config_load_file (&c, path, true, &err) == 0)
        fail_msg ("accepted: %s", bad[i]);
      assert_non_null (strstr (err->msg, "line"));
      nr_error_release (&err);
      nr_config_free (&c);
    }
  assert_int_equal (nr_config_load_file (&c, "/nonexistent/x.conf", true, &err), -1);
  nr_error_release (&err);
  nr_config_free (&c);
}

static void
names_and_sizes_parse_both_ways (void **state)
{
  enum nr_policy p;
  enum nr_mpol m;
  enum nr_spread s;
  int64_t size;

  for (p = NR_POLICY_NONE; p <= NR_POLICY_SINGLE_NUMA_NODE; p++)
    {
      enum nr_policy back;
      assert_int_equal (nr_policy_parse (nr_policy_name (p), &back), 0);
      assert_int_equal (back, p);
    }
  for (m = NR_MPOL_BIND; m <= NR_MPOL_INTERLEAVE; m++)
    {
      enum nr_mpol back;
      assert_int_equal (nr_mpol_parse (nr_mpol_name (m), &back), 0);
      assert_int_equal (back, m);
    }
  assert_int_equal (nr_spread_parse ("pack", &s), 0);
  assert_int_equal (s, NR_SPREAD_PACK);
  assert_int_equal (nr_policy_parse ("nope", &p), -1);
  assert_int_equal (nr_mpol_parse ("nope", &m), -1);
  assert_int_equal (nr_parse_size ("512M", &size), 0);
  assert_int_equal (size, INT64_C (512) << 20);
  assert_int_equal (nr_parse_size ("2k", &size), 0);
  assert_int_equal (size, 2048);
  assert_int_equal (nr_parse_size ("1TiB", &size), 0);
  assert_int_equal (size, INT64_C (1) << 40);
  assert_int_equal (nr_parse_size ("7", &size), 0);
  assert_int_equal (size, 7);
  assert_int_equal (nr_parse_size ("99999999999T", &size), -1);
  assert_int_equal (nr_parse_size ("1X", &size), -1);
  assert_int_equal (nr_parse_size ("-1", &size), -1);
}

/* ---- request ----------------------------------------------------------- */

static void
request_of (const char *text, struct nr_request *req)
{
  cleanup_json yajl_val doc = NULL;
  nr_error_t err = NULL;

  assert_int_equal (nr_json_parse (text, strlen (text), &doc, &err), 0);
  if (nr_request_from_spec (doc, "c", req, &err) < 0)
    fail_msg ("request: %s", err->msg);
}

static void
requests_read_cpu_memory_hugepages_and_pod (void **state)
{
  struct nr_request r;
  cleanup_json yajl_val doc = NULL;
  nr_error_t err = NULL;
  static const char bad[] = "{\"linux\":{\"resources\":[1]}}";
  static const char bad_cpus[] = "{\"linux\":{\"resources\":{\"cpu\":{\"cpus\":\"x\"}}}}";

  request_of ("{\"linux\":{\"resources\":{\"cpu\":{\"quota\":150000,\"period\":100000,"
              "\"cpus\":\"2-3\",\"mems\":\"0\"},\"memory\":{\"limit\":1048576},"
              "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304},"
              "{\"pageSize\":\"1GB\",\"limit\":0}]}}}",
              &r);
  assert_int_equal (r.millicpus, 1500);
  assert_true (r.has_cpus);
  assert_set_equal (r.cpus, "2-3");
  assert_true (r.has_mems);
  assert_int_equal (r.memory, 1048576);
  assert_int_equal (r.hugepages, 4194304);
  assert_null (r.pod);
  nr_request_free (&r);

  /* Shares when there is no quota; no period: the kernel's default.  */
  request_of ("{\"linux\":{\"resources\":{\"cpu\":{\"shares\":2048},"
              "\"memory\":{\"limit\":-1}}}}",
              &r);
  assert_int_equal (r.millicpus, 2000);
  assert_int_equal (r.memory, 0);
  nr_request_free (&r);
  request_of ("{\"linux\":{\"resources\":{\"cpu\":{\"quota\":50000}}}}", &r);
  assert_int_equal (r.millicpus, 500);
  nr_request_free (&r);

  /* A CRI sandbox carries its pod's resources; a container names its pod.  */
  request_of ("{\"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\","
              "\"io.kubernetes.cri.sandbox-cpu-quota\":\"200000\","
              "\"io.kubernetes.cri.sandbox-cpu-period\":\"100000\","
              "\"io.kubernetes.cri.sandbox-memory\":\"268435456\"}}",
              &r);
  assert_true (r.sandbox);
  assert_string_equal (r.pod, "c");
  assert_int_equal (r.millicpus, 2000);
  assert_int_equal (r.memory, 268435456);
  nr_request_add_hint (&r, 1, "device /dev/nvme0n1");
  assert_int_equal (r.n_hints, 1);
  nr_request_free (&r);
  request_of ("{\"annotations\":{\"io.kubernetes.cri-o.SandboxID\":\"pod1\"}}", &r);
  assert_false (r.sandbox);
  assert_string_equal (r.pod, "pod1");
  nr_request_free (&r);

  assert_int_equal (nr_json_parse (bad, strlen (bad), &doc, &err), 0);
  assert_int_equal (nr_request_from_spec (doc, "c", &r, &err), -1);
  nr_error_release (&err);
  nr_request_free (&r);
  yajl_tree_free (doc);
  doc = NULL;
  assert_int_equal (nr_json_parse (bad_cpus, strlen (bad_cpus), &doc, &err), 0);
  assert_int_equal (nr_request_from_spec (doc, "c", &r, &err), -1);
  assert_non_null (strstr (err->msg, "cpu.cpus"));
  nr_error_release (&err);
  nr_request_free (&r);
}

/* ---- topology ---------------------------------------------------------- */

static void
topology_of_generated_machines (void **state)
{
  struct nr_topology t;
  nr_set_t nodes, cpus;
  nr_error_t err = NULL;
  cleanup_free char *two = xasprintf ("%s/two-socket/sys", dir);
  cleanup_free char *eight = xasprintf ("%s/eight-node/sys", dir);
  cleanup_free char *vm = xasprintf ("%s/cloud-vm/sys", dir);

  assert_int_equal (nr_topology_load (two, &t, &err), 0);
  assert_int_equal (t.n_nodes, 2);
  assert_int_equal (t.nodes[0].id, 0);
  assert_true (t.nodes[0].memory_total > 0);
  assert_true (t.nodes[1].hugepages_total > 0 || t.nodes[1].hugepages_total == 0);
  assert_int_equal (nr_topology_distance (&t, 0, 0), 10);
  assert_true (nr_topology_distance (&t, 0, 1) > 10);
  assert_int_equal (nr_topology_index (&t, 1), 1);
  assert_int_equal (nr_topology_index (&t, 7), -1);
  nodes = set_of ("1");
  nr_topology_cpus_of (&t, &nodes, &cpus);
  assert_true (nr_set_equal (&cpus, &t.nodes[1].cpus));
  assert_null (t.thread_siblings);
  nr_topology_load_siblings (two, &t);
  assert_non_null (t.thread_siblings);
  for (int c = nr_set_next (&t.online_cpus, 0); c >= 0; c = nr_set_next (&t.online_cpus, c + 1))
    assert_true (nr_set_has (&t.thread_siblings[c], c));
  nr_topology_free (&t);

  assert_int_equal (nr_topology_load (eight, &t, &err), 0);
  assert_int_equal (t.n_nodes, 8);
  nr_topology_free (&t);
  assert_int_equal (nr_topology_load (vm, &t, &err), 0);
  assert_true (t.n_nodes >= 1);
  nr_topology_free (&t);
}

static void
topology_without_numa_is_one_node (void **state)
{
  struct nr_topology t;
  nr_error_t err = NULL;
  cleanup_free char *root = xasprintf ("%s/flat/sys", dir);
  cleanup_free char *cmd = xasprintf (
      "mkdir -p '%s/devices/system/cpu' && echo 0-3 >'%s/devices/system/cpu/online'", root, root);

  assert_int_equal (system (cmd), 0);
  assert_int_equal (nr_topology_load (root, &t, &err), 0);
  assert_int_equal (t.n_nodes, 1);
  assert_set_equal (t.nodes[0].cpus, "0-3");
  nr_topology_free (&t);

  assert_int_equal (nr_topology_load ("/nonexistent/sys", &t, &err), -1);
  nr_error_release (&err);
  nr_topology_free (&t);
}

/* ---- spec -------------------------------------------------------------- */

static void
spec_is_saved_atomically_and_restored (void **state)
{
  static const char text[] = "{ \"ociVersion\": \"1.0.2\", \"big\": 18446744073709551615 }";
  cleanup_free char *bundle = xasprintf ("%s/bundle", dir);
  cleanup_free char *path = xasprintf ("%s/config.json", bundle);
  cleanup_free char *other = xasprintf ("%s/other.json", bundle);
  cleanup_free char *after = NULL;
  struct nr_spec spec = { 0 };
  struct stat st;
  size_t len;
  nr_error_t err = NULL;
  FILE *f;

  mkdir (bundle, 0700);
  f = fopen (path, "we");
  fputs (text, f);
  fclose (f);
  chmod (path, 0640);
  assert_int_equal (nr_spec_load (bundle, NULL, &spec, &err), 0);
  nr_json_set (spec.root, "added", nr_json_new_string ("yes"));
  assert_int_equal (nr_spec_save (&spec, &err), 0);
  assert_int_equal (read_file (path, 1 << 20, &after, &len, &err), 0);
  assert_non_null (strstr (after, "\"added\":\"yes\""));
  assert_non_null (strstr (after, "18446744073709551615"));
  assert_int_equal (stat (path, &st), 0);
  assert_int_equal (st.st_mode & 07777, 0640);
  assert_int_equal (nr_spec_restore (&spec, &err), 0);
  free (after);
  assert_int_equal (read_file (path, 1 << 20, &after, &len, &err), 0);
  assert_string_equal (after, text);
  nr_spec_free (&spec);

  /* crun's --config, relative to the bundle.  */
  rename (path, other);
  assert_int_equal (nr_spec_load (bundle, "other.json", &spec, &err), 0);
  nr_spec_free (&spec);
  assert_int_equal (nr_spec_load (bundle, NULL, &spec, &err), -1);
  nr_error_release (&err);
  nr_spec_free (&spec);
  f = fopen (path, "we");
  fputs ("[1, 2", f);
  fclose (f);
  assert_int_equal (nr_spec_load (bundle, NULL, &spec, &err), -1);
  nr_error_release (&err);
  nr_spec_free (&spec);
}

/* ---- runtime path ------------------------------------------------------ */

static void
the_runtime_is_found_and_checked (void **state)
{
  struct nr_config c = { 0 };
  cleanup_free char *found = NULL;
  cleanup_free char *bin = xasprintf ("%s/bin", dir);
  cleanup_free char *runc = xasprintf ("%s/runc", bin);
  cleanup_free char *plain = xasprintf ("%s/plain", dir);
  const char *old_path = getenv ("PATH");
  cleanup_free char *saved_path = old_path ? xstrdup (old_path) : NULL;
  nr_error_t err = NULL;
  FILE *f;

  mkdir (bin, 0700);
  f = fopen (runc, "we");
  fputs ("#!/bin/sh\n", f);
  fclose (f);
  chmod (runc, 0755);
  f = fopen (plain, "we");
  fclose (f);

  /* On PATH.  */
  setenv ("PATH", bin, 1);
  assert_int_equal (nr_runtime_resolve (&c, &found, &err), 0);
  assert_string_equal (found, runc);
  free (found);
  found = NULL;
  /* Nothing on PATH.  */
  setenv ("PATH", "/nonexistent", 1);
  assert_int_equal (nr_runtime_resolve (&c, &found, &err), -1);
  assert_non_null (strstr (err->msg, "no OCI runtime found"));
  nr_error_release (&err);
  if (saved_path)
    setenv ("PATH", saved_path, 1);

  /* Configured: a path, a name, not executable, ourselves.  */
  c.runtime_path = runc;
  assert_int_equal (nr_runtime_resolve (&c, &found, &err), 0);
  free (found);
  found = NULL;
  c.runtime_path = plain;
  assert_int_equal (nr_runtime_resolve (&c, &found, &err), -1);
  assert_non_null (strstr (err->msg, "not an executable file"));
  nr_error_release (&err);
  c.runtime_path = (char *) "/proc/self/exe";
  assert_int_equal (nr_runtime_resolve (&c, &found, &err), -1);
  assert_non_null (strstr (err->msg, "numa-runtime itself"));
  nr_error_release (&err);
  c.runtime_path = (char *) "no-such-runtime-anywhere";
  assert_int_equal (nr_runtime_resolve (&c, &found, &err), -1);
  nr_error_release (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (every_key_of_the_config_is_read),
    cmocka_unit_test (bad_config_values_name_the_line),
    cmocka_unit_test (names_and_sizes_parse_both_ways),
    cmocka_unit_test (requests_read_cpu_memory_hugepages_and_pod),
    cmocka_unit_test (topology_of_generated_machines),
    cmocka_unit_test (topology_without_numa_is_one_node),
    cmocka_unit_test (spec_is_saved_atomically_and_restored),
    cmocka_unit_test (the_runtime_is_found_and_checked),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
