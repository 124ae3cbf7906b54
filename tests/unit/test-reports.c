/* `metrics` and `topology --nrt` in-process against the two-socket sysfs
   fixture, a config with reservations and a ledger written through the
   ledger API.  Expected figures are the fixture's documented shape
   (tests/fixtures/gen-sysfs.sh): 16 CPUs, 67108864 kB MemTotal, 1024 2M
   and 4 1G hugepages per node, SLIT 10/21.  */
#include <config.h>

#include "command-fixtures.h"
#include "ledger-fixtures.h"

#include "commands.h"
#include "counters.h"
#include "json.h"
#include "ledger.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NODE_MEMORY (INT64_C (67108864) * 1024)
#define GIB (INT64_C (1) << 30)

static char dir[] = "/tmp/nr-test-reports.XXXXXX";
static char *ledger_path, *ledger_dir;
/* reserved_cpus 0-1 (on node0), reserved_memory 1GiB, best-effort.  */
static struct nr_config config_;

/* A config for the fixture machine whose sysfs root is SYSFS and whose
   [placement] section ends with EXTRA.  */
static void
load_config (struct nr_config *config, const char *sysfs, const char *extra)
{
  load_fixture_config (config, dir, "/bin/false", ledger_path, sysfs, extra);
}

static int
setup (void **state)
{
  cleanup_free char *sysfs = NULL;

  if (make_fixture_machine (dir) < 0)
    return -1;
  ledger_dir = xasprintf ("%s/ledger", dir);
  ledger_path = xasprintf ("%s/ledger.json", ledger_dir);
  sysfs = xasprintf ("%s/machine/sys", dir);
  load_config (&config_, sysfs,
               "policy = best-effort\nreserved_cpus = 0-1\nreserved_memory = 1GiB\n");
  return 0;
}

static int
teardown (void **state)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", dir);
  free_parsed_args ();
  free (ledger_path);
  free (ledger_dir);
  nr_config_free (&config_);
  return system (cmd) == 0 ? 0 : -1;
}

/* Each test starts with no ledger at all.  */
static int
no_ledger (void **state)
{
  remove_tree (ledger_dir);
  return 0;
}

/* TEXT has a sample line SERIES VALUE.  */
static void
assert_sample (const char *text, const char *series, const char *value)
{
  cleanup_free char *key = xasprintf ("\n%s ", series);
  const char *p = strstr (text, key);
  size_t len;

  if (p == NULL)
    fail_msg ("no sample `%s` in:\n%s", series, text);
  p += strlen (key);
  len = strcspn (p, "\n");
  if (len != strlen (value) || strncmp (p, value, len) != 0)
    fail_msg ("%s is %.*s, expected %s", series, (int) len, p, value);
}

/* A ledger holding one container on node1 (load 1.5 CPUs, 2 requested,
   CPU 8 exclusive, 256MiB and 3GiB of hugepages) and counters.  */
static void
write_ledger (void)
{
  cleanup_free char *boot_id = nr_read_boot_id ("/proc");
  struct nr_ledger *l = open_ledger (ledger_path, boot_id);
  struct nr_ledger_entry e = entry ("c1", "1", "8-9", 1500);
  struct nr_counters *c;

  e.exclusive = set_of ("8");
  e.millicpus = 2000;
  e.memory = 256 << 20;
  e.hugepages = 3 * GIB;
  nr_ledger_add (l, &e);
  c = nr_ledger_counters_for_update (l);
  c->creates[NR_OUTCOME_PLACED][NR_POLICY_BEST_EFFORT] += 3;
  c->creates[NR_OUTCOME_REFUSED][NR_POLICY_SINGLE_NUMA_NODE] += 1;
  c->deletes += 2;
  c->reclaims += 1;
  commit (l);
  nr_ledger_close (l);
}

static void
metrics_without_ledger_are_the_machine_and_zeroes (void **state)
{
  struct nr_args args;
  cleanup_free char *out = NULL;
  cleanup_free char *cap = xasprintf ("%" PRId64, NODE_MEMORY);
  cleanup_free char *free0 = xasprintf ("%" PRId64, NODE_MEMORY - GIB);
  int ret;

  ARGS (&args, "metrics");
  out = run_command (dir, nr_cmd_metrics, &args, &config_, &ret, NULL);
  assert_int_equal (ret, 0);
  assert_non_null (out);
  assert_non_null (strstr (out, "# HELP numa_runtime_node_cpus Online CPUs of the NUMA node.\n"
                                "# TYPE numa_runtime_node_cpus gauge\n"));
  assert_non_null (strstr (out, "# TYPE numa_runtime_creates_total counter\n"));
  assert_non_null (strstr (out, "numa_runtime_build_info{version=\"" PACKAGE_VERSION "\"} 1\n"));
  assert_sample (out, "numa_runtime_ledger_readable", "1");
  assert_sample (out, "numa_runtime_node_cpus{node=\"0\"}", "16");
  assert_sample (out, "numa_runtime_node_cpus{node=\"1\"}", "16");
  assert_sample (out, "numa_runtime_node_reserved_cpus{node=\"0\"}", "2");
  assert_sample (out, "numa_runtime_node_reserved_cpus{node=\"1\"}", "0");
  assert_sample (out, "numa_runtime_node_memory_capacity_bytes{node=\"0\"}", cap);
  assert_sample (out, "numa_runtime_node_memory_capacity_bytes{node=\"1\"}", cap);
  assert_sample (out, "numa_runtime_node_memory_reserved_bytes{node=\"1\"}", "1073741824");
  assert_sample (out, "numa_runtime_node_memory_free_bytes{node=\"0\"}", free0);
  /* 1024 x 2MiB + 4 x 1GiB.  */
  assert_sample (out, "numa_runtime_node_hugepages_capacity_bytes{node=\"0\"}", "6442450944");
  assert_sample (out, "numa_runtime_node_has_cpu{node=\"1\"}", "1");
  assert_sample (out, "numa_runtime_node_containers{node=\"0\"}", "0");
  assert_sample (out, "numa_runtime_node_containers{node=\"1\"}", "0");
  assert_sample (out, "numa_runtime_node_load_cpus{node=\"0\"}", "0");
  assert_sample (out, "numa_runtime_node_load_cpus{node=\"1\"}", "0");
  assert_sample (out, "numa_runtime_creates_total{policy=\"best-effort\",outcome=\"placed\"}", "0");
  assert_sample (out, "numa_runtime_deletes_total", "0");
  /* Read-only: no ledger (nor its directory) was created.  */
  assert_int_equal (access (ledger_dir, F_OK), -1);
}

static void
metrics_show_what_the_ledger_holds_and_counts (void **state)
{
  struct nr_args args;
  cleanup_free char *out = NULL;
  cleanup_free char *allocated = xasprintf ("%" PRId64, NODE_MEMORY - GIB - (256 << 20));
  int ret;

  write_ledger ();
  ARGS (&args, "metrics");
  out = run_command (dir, nr_cmd_metrics, &args, &config_, &ret, NULL);
  assert_int_equal (ret, 0);
  assert_sample (out, "numa_runtime_node_containers{node=\"0\"}", "0");
  assert_sample (out, "numa_runtime_node_containers{node=\"1\"}", "1");
  assert_sample (out, "numa_runtime_node_load_cpus{node=\"1\"}", "1.5");
  assert_sample (out, "numa_runtime_node_requested_cpus{node=\"1\"}", "2");
  assert_sample (out, "numa_runtime_node_exclusive_cpus{node=\"1\"}", "1");
  assert_sample (out, "numa_runtime_node_exclusive_cpus{node=\"0\"}", "0");
  assert_sample (out, "numa_runtime_node_memory_allocated_bytes{node=\"1\"}", "268435456");
  assert_sample (out, "numa_runtime_node_memory_free_bytes{node=\"1\"}", allocated);
  assert_sample (out, "numa_runtime_node_hugepages_allocated_bytes{node=\"1\"}", "3221225472");
  assert_sample (out, "numa_runtime_creates_total{policy=\"best-effort\",outcome=\"placed\"}", "3");
  assert_sample (out, "numa_runtime_creates_total{policy=\"single-numa-node\",outcome=\"refused\"}",
                 "1");
  assert_sample (out, "numa_runtime_creates_total{policy=\"restricted\",outcome=\"placed\"}", "0");
  assert_sample (out, "numa_runtime_deletes_total", "2");
  assert_sample (out, "numa_runtime_reclaims_total", "1");
  assert_sample (out, "numa_runtime_ledger_rebuilds_total", "0");
  assert_sample (out, "numa_runtime_ledger_readable", "1");
}

/* Entries of DIR whose name contains PART.  */
static int
entries_containing (const char *path, const char *part)
{
  DIR *d = opendir (path);
  struct dirent *de;
  int n = 0;

  assert_non_null (d);
  while ((de = readdir (d)))
    n += strstr (de->d_name, part) != NULL;
  closedir (d);
  return n;
}

static void
metrics_textfile_is_replaced_whole (void **state)
{
  cleanup_free char *prom_dir = xasprintf ("%s/textfile", dir);
  cleanup_free char *prom = xasprintf ("%s/numa.prom", prom_dir);
  cleanup_free char *eq = xasprintf ("--textfile=%s", prom);
  cleanup_free char *stdout_form = NULL;
  struct nr_args args;
  struct stat st;
  int ret;

  write_ledger ();
  assert_int_equal (mkdir (prom_dir, 0755), 0);
  ARGS (&args, "metrics");
  stdout_form = run_command (dir, nr_cmd_metrics, &args, &config_, &ret, NULL);
  assert_int_equal (ret, 0);
  /* Both spellings, each over a stale file.  */
  for (int form = 0; form < 2; form++)
    {
      cleanup_free char *printed = NULL, *written = NULL;
      write_text (prom, "stale\n");
      if (form == 0)
        ARGS (&args, "metrics", "--textfile", prom);
      else
        ARGS (&args, "metrics", eq);
      printed = run_command (dir, nr_cmd_metrics, &args, &config_, &ret, NULL);
      assert_int_equal (ret, 0);
      assert_string_equal (printed, "");
      written = ledger_text (prom);
      assert_string_equal (written, stdout_form);
      assert_int_equal (stat (prom, &st), 0);
      assert_int_equal (st.st_mode & 07777, 0644);
      assert_int_equal (entries_containing (prom_dir, ".tmp"), 0);
      assert_int_equal (entries_containing (prom_dir, "numa"), 1);
    }
  remove_tree (prom_dir);
}

static void
metrics_refuse_bad_arguments_and_paths (void **state)
{
  cleanup_free char *missing = xasprintf ("%s/no-such-dir/numa.prom", dir);
  /* A directory in the way: the temp file is written, the rename fails
     and the temp file goes.  */
  cleanup_free char *in_the_way = xasprintf ("%s/in-the-way.prom", dir);
  const char *const bad[][3] = {
    { "--textfile=", NULL, "--textfile needs a path" },
    { "--bogus", NULL, "unknown argument `--bogus`" },
    { "--textfile", NULL, "unknown argument `--textfile`" },
    { "--textfile", missing, "no-such-dir/numa.prom" },
    { "--textfile", in_the_way, "write `" },
  };
  struct nr_args args;
  int ret;

  assert_int_equal (mkdir (in_the_way, 0755), 0);
  for (size_t i = 0; i < NR_N_ELEMENTS (bad); i++)
    {
      cleanup_free char *out = NULL, *msg = NULL;
      if (bad[i][1])
        ARGS (&args, "metrics", bad[i][0], bad[i][1]);
      else
        ARGS (&args, "metrics", bad[i][0]);
      out = run_command (dir, nr_cmd_metrics, &args, &config_, &ret, &msg);
      assert_true (ret < 0);
      assert_string_equal (out, "");
      if (strstr (msg, bad[i][2]) == NULL || strncmp (msg, "metrics", 7) != 0)
        fail_msg ("`%s`: %s", bad[i][0], msg);
    }
  assert_int_equal (entries_containing (dir, ".tmp"), 0);
  assert_int_equal (rmdir (in_the_way), 0);
  assert_int_equal (access (ledger_dir, F_OK), -1);
}

static void
reports_fail_on_an_unreadable_sysfs_root (void **state)
{
  cleanup_free char *gone = xasprintf ("%s/no-such-sys", dir);
  struct nr_config broken;
  struct nr_args args;
  command_fn fns[] = { nr_cmd_metrics, nr_cmd_topology };
  int ret;

  load_config (&broken, gone, "policy = best-effort\n");
  ARGS (&args, "metrics");
  for (size_t i = 0; i < NR_N_ELEMENTS (fns); i++)
    {
      cleanup_free char *out = NULL, *msg = NULL;
      if (i == 1)
        ARGS (&args, "topology", "--nrt", "--node-name", "worker-1");
      out = run_command (dir, fns[i], &args, &broken, &ret, &msg);
      assert_true (ret < 0);
      assert_string_equal (out, "");
      assert_non_null (strstr (msg, i == 0 ? "metrics" : "topology"));
    }
  assert_int_equal (access (ledger_dir, F_OK), -1);
  nr_config_free (&broken);
}

/* `topology --nrt` with ARGS under CONFIG, parsed; fails unless it
   succeeded.  */
static yajl_val
nrt (const struct nr_args *args, const struct nr_config *config)
{
  cleanup_free char *out = NULL;
  nr_error_t err = NULL;
  yajl_val doc = NULL;
  int ret;

  out = run_command (dir, nr_cmd_topology, args, config, &ret, NULL);
  assert_int_equal (ret, 0);
  assert_non_null (out);
  assert_int_equal (out[strlen (out) - 1], '\n');
  if (nr_json_parse (out, strlen (out), &doc, &err) < 0)
    fail_msg ("topology output: %s\n%s", err->msg, out);
  return doc;
}

static const char *
str_at (yajl_val v, const char *const *path)
{
  yajl_val s = nr_json_get_path (v, path);
  assert_true (YAJL_IS_STRING (s));
  return YAJL_GET_STRING (s);
}

/* The zone's resource NAME: its capacity, allocatable, available.  */
static void
assert_resource (yajl_val zone, const char *name, const char *capacity, const char *allocatable,
                 const char *available)
{
  yajl_val resources = nr_json_get (zone, "resources");

  assert_true (YAJL_IS_ARRAY (resources));
  for (size_t i = 0; i < YAJL_GET_ARRAY (resources)->len; i++)
    {
      yajl_val r = YAJL_GET_ARRAY (resources)->values[i];
      if (strcmp (nr_json_get_string (r, "name"), name) != 0)
        continue;
      assert_string_equal (nr_json_get_string (r, "capacity"), capacity);
      assert_string_equal (nr_json_get_string (r, "allocatable"), allocatable);
      assert_string_equal (nr_json_get_string (r, "available"), available);
      return;
    }
  fail_msg ("zone has no resource %s", name);
}

/* Element I of the array under KEY of V, which holds LEN elements.  */
static yajl_val
item (yajl_val v, const char *key, size_t len, size_t i)
{
  yajl_val a = nr_json_get (v, key);
  assert_true (YAJL_IS_ARRAY (a));
  assert_int_equal (YAJL_GET_ARRAY (a)->len, len);
  return YAJL_GET_ARRAY (a)->values[i];
}

#define POOL_2M "2147483648" /* 1024 x 2MiB */
#define POOL_1G "4294967296" /* 4 x 1GiB */

static void
topology_nrt_is_the_machine_with_the_ledger_held (void **state)
{
  static const char *const api[] = { "apiVersion", NULL };
  static const char *const kind[] = { "kind", NULL };
  static const char *const name[] = { "metadata", "name", NULL };
  static const int slit[2][2] = { { 10, 21 }, { 21, 10 } };
  cleanup_free char *cap = xasprintf ("%" PRId64, NODE_MEMORY);
  cleanup_free char *alloc = xasprintf ("%" PRId64, NODE_MEMORY - GIB);
  cleanup_free char *avail1 = xasprintf ("%" PRId64, NODE_MEMORY - GIB - (256 << 20));
  cleanup_json yajl_val doc = NULL;
  struct nr_args args;
  yajl_val z0, z1;

  write_ledger ();
  ARGS (&args, "topology", "--nrt", "--node-name", "worker-1.example");
  doc = nrt (&args, &config_);
  assert_string_equal (str_at (doc, api), "topology.node.k8s.io/v1alpha2");
  assert_string_equal (str_at (doc, kind), "NodeResourceTopology");
  assert_string_equal (str_at (doc, name), "worker-1.example");
  assert_string_equal (YAJL_GET_STRING (item (doc, "topologyPolicies", 1, 0)),
                       "BestEffortPodLevel");
  assert_string_equal (nr_json_get_string (item (doc, "attributes", 3, 0), "name"),
                       "topologyManagerPolicy");
  assert_string_equal (nr_json_get_string (item (doc, "attributes", 3, 0), "value"), "best-effort");
  assert_string_equal (nr_json_get_string (item (doc, "attributes", 3, 1), "name"),
                       "topologyManagerScope");
  assert_string_equal (nr_json_get_string (item (doc, "attributes", 3, 1), "value"), "pod");
  /* The fixture shows an L3 per node: kubelet's option name for aligning
     exclusive CPUs by it.  */
  assert_string_equal (nr_json_get_string (item (doc, "attributes", 3, 2), "name"),
                       "prefer-align-cpus-by-uncorecache");
  assert_string_equal (nr_json_get_string (item (doc, "attributes", 3, 2), "value"), "true");
  for (size_t i = 0; i < 2; i++)
    {
      yajl_val z = item (doc, "zones", 2, i);
      cleanup_free char *zone_name = xasprintf ("node-%zu", i);
      assert_string_equal (nr_json_get_string (z, "name"), zone_name);
      assert_string_equal (nr_json_get_string (z, "type"), "Node");
      for (size_t j = 0; j < 2; j++)
        {
          yajl_val c = item (z, "costs", 2, j);
          cleanup_free char *other = xasprintf ("node-%zu", j);
          assert_string_equal (nr_json_get_string (c, "name"), other);
          assert_true (YAJL_IS_INTEGER (nr_json_get (c, "value")));
          assert_int_equal (YAJL_GET_INTEGER (nr_json_get (c, "value")), slit[i][j]);
        }
    }
  /* node0: 2 CPUs reserved, nothing held.  */
  z0 = item (doc, "zones", 2, 0);
  assert_resource (z0, "cpu", "16", "14", "14");
  assert_resource (z0, "memory", cap, alloc, alloc);
  assert_resource (z0, "hugepages-2Mi", POOL_2M, POOL_2M, POOL_2M);
  assert_resource (z0, "hugepages-1Gi", POOL_1G, POOL_1G, POOL_1G);
  /* node1: the entry's 1.5 CPUs and 256MiB; its 3GiB of hugepages fill
     the 2Mi pool and take 1GiB of the 1Gi one.  */
  z1 = item (doc, "zones", 2, 1);
  assert_resource (z1, "cpu", "16", "16", "14500m");
  assert_resource (z1, "memory", cap, alloc, avail1);
  assert_resource (z1, "hugepages-2Mi", POOL_2M, POOL_2M, "0");
  assert_resource (z1, "hugepages-1Gi", POOL_1G, POOL_1G, "3221225472");
}

/* An exclusive container on both nodes whose four CPUs are all on node 1
   (it took them from the roomier node): the metrics and NRT count them on
   node 1, none on node 0; an even share would show two CPUs on each.  */
static void
a_spanning_exclusive_container_counts_where_its_cpus_are (void **state)
{
  cleanup_free char *boot_id = nr_read_boot_id ("/proc");
  cleanup_free char *metrics = NULL;
  cleanup_json yajl_val doc = NULL;
  struct nr_ledger *l = open_ledger (ledger_path, boot_id);
  struct nr_ledger_entry e = entry ("wide", "0-1", "8-11", 4000);
  struct nr_args args;
  int ret;

  e.exclusive = set_of ("8-11");
  e.millicpus = 4000;
  nr_ledger_add (l, &e);
  commit (l);
  nr_ledger_close (l);

  ARGS (&args, "metrics");
  metrics = run_command (dir, nr_cmd_metrics, &args, &config_, &ret, NULL);
  assert_int_equal (ret, 0);
  assert_sample (metrics, "numa_runtime_node_load_cpus{node=\"0\"}", "0");
  assert_sample (metrics, "numa_runtime_node_load_cpus{node=\"1\"}", "4");
  ARGS (&args, "topology", "--nrt", "--node-name", "worker-1.example");
  doc = nrt (&args, &config_);
  assert_resource (item (doc, "zones", 2, 0), "cpu", "16", "14", "14");
  assert_resource (item (doc, "zones", 2, 1), "cpu", "16", "16", "12");
}

static void
topology_nrt_names_the_policy_and_the_host (void **state)
{
  static const char *const name[] = { "metadata", "name", NULL };
  static const char *const policy[] = { "none", "best-effort", "restricted", "single-numa-node",
                                        NULL };
  static const char *const legacy[] = { "None", "BestEffortPodLevel", "RestrictedPodLevel",
                                        "SingleNUMANodePodLevel" };
  char host[256] = "";
  bool host_ok;
  struct nr_args args;

  for (size_t i = 0; policy[i]; i++)
    {
      cleanup_free char *extra = xasprintf ("policy = %s\n", policy[i]);
      cleanup_free char *sysfs = xasprintf ("%s/machine/sys", dir);
      cleanup_json yajl_val doc = NULL;
      struct nr_config config;

      load_config (&config, sysfs, extra);
      ARGS (&args, "topology", "--nrt", "--node-name=n1");
      doc = nrt (&args, &config);
      assert_string_equal (nr_json_get_string (item (doc, "attributes", 3, 0), "value"), policy[i]);
      assert_string_equal (YAJL_GET_STRING (item (doc, "topologyPolicies", 1, 0)), legacy[i]);
      assert_string_equal (str_at (doc, name), "n1");
      nr_config_free (&config);
    }

  /* No --node-name: the host name, lower-cased as kubelet registers it
     (refused when even that is no Kubernetes name).  */
  assert_int_equal (gethostname (host, sizeof (host) - 1), 0);
  for (char *p = host; *p; p++)
    *p = (char) tolower ((unsigned char) *p);
  host_ok = strspn (host, "abcdefghijklmnopqrstuvwxyz0123456789-.") == strlen (host) && host[0]
            && isalnum ((unsigned char) host[0])
            && isalnum ((unsigned char) host[strlen (host) - 1]);
  ARGS (&args, "topology", "--nrt");
  if (host_ok)
    {
      cleanup_json yajl_val doc = nrt (&args, &config_);
      assert_string_equal (str_at (doc, name), host);
    }
  else
    {
      cleanup_free char *out = NULL, *msg = NULL;
      int ret;
      out = run_command (dir, nr_cmd_topology, &args, &config_, &ret, &msg);
      assert_true (ret < 0);
      assert_non_null (strstr (msg, "not a Kubernetes node name"));
    }
}

static void
topology_refuses_bad_arguments (void **state)
{
  static const char *const bad[][3] = {
    { "--node-name", "Worker_1", "`Worker_1` is not a Kubernetes node name" },
    { "--node-name", "UPPER", "`UPPER` is not a Kubernetes node name" },
    { "--node-name", "-lead", "`-lead` is not a Kubernetes node name" },
    { "--node-name", "trail.", "`trail.` is not a Kubernetes node name" },
    { "--node-name=", NULL, "`` is not a Kubernetes node name" },
    { "--bogus", NULL, "unknown argument `--bogus`" },
  };
  struct nr_args args;
  int ret;

  for (size_t i = 0; i < NR_N_ELEMENTS (bad); i++)
    {
      cleanup_free char *out = NULL, *msg = NULL;
      if (bad[i][1])
        ARGS (&args, "topology", "--nrt", bad[i][0], bad[i][1]);
      else
        ARGS (&args, "topology", "--nrt", bad[i][0]);
      out = run_command (dir, nr_cmd_topology, &args, &config_, &ret, &msg);
      assert_true (ret < 0);
      assert_string_equal (out, "");
      if (strstr (msg, bad[i][2]) == NULL || strstr (msg, "topology") == NULL)
        fail_msg ("`%s`: %s", bad[i][0], msg);
    }
  {
    cleanup_free char *out = NULL, *msg = NULL;
    ARGS (&args, "topology", "--node-name", "worker-1");
    out = run_command (dir, nr_cmd_topology, &args, &config_, &ret, &msg);
    assert_true (ret < 0);
    assert_string_equal (out, "");
    assert_non_null (strstr (msg, "usage: topology --nrt"));
  }
  assert_int_equal (access (ledger_dir, F_OK), -1);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup (metrics_without_ledger_are_the_machine_and_zeroes, no_ledger),
    cmocka_unit_test_setup (metrics_show_what_the_ledger_holds_and_counts, no_ledger),
    cmocka_unit_test_setup (metrics_textfile_is_replaced_whole, no_ledger),
    cmocka_unit_test_setup (metrics_refuse_bad_arguments_and_paths, no_ledger),
    cmocka_unit_test_setup (reports_fail_on_an_unreadable_sysfs_root, no_ledger),
    cmocka_unit_test_setup (topology_nrt_is_the_machine_with_the_ledger_held, no_ledger),
    cmocka_unit_test_setup (a_spanning_exclusive_container_counts_where_its_cpus_are, no_ledger),
    cmocka_unit_test_setup (topology_nrt_names_the_policy_and_the_host, no_ledger),
    cmocka_unit_test_setup (topology_refuses_bad_arguments, no_ledger),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
