/* The topology view: its files rendered from fixture machines
   (tests/fixtures/gen-sysfs.sh), cpumaps as the kernel prints them, the
   tree and mounts nr_view_add writes into a spec and removes again, and
   the config key and annotation that ask for it.  */
#include <config.h>

#include "unit.h"

#include "annotations.h"
#include "conf.h"
#include "topology_view.h"
#include "machine-fixtures.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *fixtures_dir;

static int
generate_machines (void **state)
{
  static const char *const machines[] = { "two-socket", "cxl-box" };

  (void) state;
  return machines_generate ("nr-topology-view", machines, NR_N_ELEMENTS (machines), &fixtures_dir);
}

static int
remove_machines (void **state)
{
  remove_temp_dirs (state);
  return machines_remove (&fixtures_dir);
}

static char *
sysfs_of (const char *machine)
{
  return xasprintf ("%s/%s/sys", fixtures_dir, machine);
}

static void
load_machine (const char *machine, struct nr_topology *topo, struct nr_view_host *host)
{
  cleanup_free char *root = sysfs_of (machine);
  nr_error_t err = NULL;

  if (nr_topology_load (root, topo, &err) < 0)
    fail_msg ("%s: %s", machine, err->msg);
  nr_view_host_read (root, topo, host);
}

/* The text of PATH in TREE, or NULL when the tree has no such file.  */
static const char *
file_of (const struct nr_view_tree *tree, const char *path)
{
  for (size_t i = 0; i < tree->n_files; i++)
    if (strcmp (tree->files[i].path, path) == 0)
      return tree->files[i].text;
  return NULL;
}

static void
cpumaps_are_printed_as_the_kernel_does (void **state)
{
  nr_set_t cpus = set_of ("0");
  cleanup_free char *two = nr_view_cpumap (&cpus, 2);
  cleanup_free char *wide = NULL;
  cleanup_free char *odd = NULL;
  cleanup_free char *socket = NULL;

  assert_string_equal (two, "1\n");
  cpus = set_of ("63");
  wide = nr_view_cpumap (&cpus, 64);
  assert_string_equal (wide, "80000000,00000000\n");
  cpus = set_of ("0,35");
  odd = nr_view_cpumap (&cpus, 36);
  assert_string_equal (odd, "8,00000001\n");
  cpus = set_of ("8-15,24-31");
  socket = nr_view_cpumap (&cpus, 32);
  assert_string_equal (socket, "ff00ff00\n");
}

static void
one_node_of_two_sockets_lists_only_it_cut_to_the_cpuset (void **state)
{
  struct nr_topology topo;
  struct nr_view_host host;
  struct nr_view_tree tree;
  nr_set_t nodes = set_of ("1"), cpus = set_of ("8-11");

  load_machine ("two-socket", &topo, &host);
  assert_int_equal (host.cpu_bits, 32);
  assert_int_equal (nr_view_render (&topo, &host, &nodes, &cpus, &tree, NULL), 0);
  assert_string_equal (file_of (&tree, "online"), "1\n");
  assert_string_equal (file_of (&tree, "possible"), "1\n");
  assert_string_equal (file_of (&tree, "has_cpu"), "1\n");
  assert_string_equal (file_of (&tree, "has_memory"), "1\n");
  assert_string_equal (file_of (&tree, "has_normal_memory"), "1\n");
  assert_string_equal (file_of (&tree, "node1/cpulist"), "8-11\n");
  assert_string_equal (file_of (&tree, "node1/cpumap"), "00000f00\n");
  assert_string_equal (file_of (&tree, "node1/distance"), "10\n");
  for (size_t i = 0; i < tree.n_files; i++)
    assert_null (strstr (tree.files[i].path, "node0"));
  assert_int_equal (tree.n_files, 8);
  nr_view_tree_free (&tree);
  nr_topology_free (&topo);
}

static void
a_cpu_node_and_its_tier_keep_their_distances (void **state)
{
  struct nr_topology topo;
  struct nr_view_host host;
  struct nr_view_tree tree;
  nr_set_t nodes = set_of ("0,2"), cpus;

  load_machine ("cxl-box", &topo, &host);
  cpus = topo.nodes[0].cpus;
  assert_int_equal (nr_view_render (&topo, &host, &nodes, &cpus, &tree, NULL), 0);
  assert_string_equal (file_of (&tree, "online"), "0,2\n");
  assert_string_equal (file_of (&tree, "has_cpu"), "0\n");
  assert_string_equal (file_of (&tree, "has_memory"), "0,2\n");
  assert_string_equal (file_of (&tree, "node0/distance"), "10 14\n");
  assert_string_equal (file_of (&tree, "node2/distance"), "14 10\n");
  assert_string_equal (file_of (&tree, "node2/cpulist"), "\n");
  assert_null (file_of (&tree, "node1/cpulist"));
  nr_view_tree_free (&tree);
  nr_topology_free (&topo);
}

static void
nodes_the_machine_lacks_are_an_error (void **state)
{
  struct nr_topology topo;
  struct nr_view_host host;
  struct nr_view_tree tree;
  nr_set_t nodes = set_of ("5"), cpus = set_of ("0");
  nr_error_t err = NULL;

  load_machine ("two-socket", &topo, &host);
  assert_int_equal (nr_view_render (&topo, &host, &nodes, &cpus, &tree, &err), -1);
  assert_non_null (strstr (err->msg, "none of its nodes"));
  assert_int_equal (tree.n_files, 0);
  nr_error_release (&err);
  nr_topology_free (&topo);
}

/* A config whose ledger lives in a fresh directory, on MACHINE.  */
static void
view_config (struct nr_config *c, const char *machine, char **dir)
{
  memset (c, 0, sizeof (*c));
  *dir = temp_dir_named ("nr-view-ledger");
  c->ledger_path = xasprintf ("%s/ledger.json", *dir);
  c->sysfs_root = sysfs_of (machine);
}

static yajl_val
spec_of (const char *text)
{
  yajl_val spec = NULL;
  nr_error_t err = NULL;

  if (nr_json_parse (text, strlen (text), &spec, &err) < 0)
    fail_msg ("bad JSON in test: %s", err->msg);
  return spec;
}

static bool
exists (const char *dir, const char *rel)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, rel);
  struct stat st;
  return lstat (path, &st) == 0;
}

static void
add_writes_the_tree_and_its_mounts_remove_takes_it_back (void **state)
{
  struct nr_config c;
  cleanup_free char *dir = NULL;
  cleanup_free char *text = NULL;
  cleanup_json yajl_val spec =
      spec_of ("{\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
               "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\"}],"
               "\"linux\":{\"resources\":{\"cpu\":{\"cpus\":\"8-9\",\"mems\":\"1\"}}}}");
  struct nr_topology topo;
  struct nr_view_host host;
  yajl_val mounts;

  view_config (&c, "two-socket", &dir);
  load_machine ("two-socket", &topo, &host);
  assert_int_equal (nr_view_add (spec, &c, "c1", &topo, NULL), 1);
  assert_true (exists (dir, "topology-views/c1/node/node1/cpulist"));
  assert_true (exists (dir, "topology-views/c1/node/node1/meminfo"));
  assert_false (exists (dir, "topology-views/c1/node/node0"));
  mounts = nr_json_get (spec, "mounts");
  /* The tree, then node1's meminfo (the fixture has no numastat).  */
  assert_int_equal (mounts->u.array.len, 4);
  assert_string_equal (nr_json_get_string (mounts->u.array.values[2], "destination"),
                       NR_VIEW_MOUNT_POINT);
  assert_string_equal (nr_json_get_string (mounts->u.array.values[3], "destination"),
                       NR_VIEW_MOUNT_POINT "/node1/meminfo");
  text = xasprintf ("%s/devices/system/node/node1/meminfo", c.sysfs_root);
  assert_string_equal (nr_json_get_string (mounts->u.array.values[3], "source"), text);
  {
    cleanup_free char *cpulist = NULL;
    cleanup_free char *path = xasprintf ("%s/topology-views/c1/node/node1/cpulist", dir);
    size_t len;
    assert_int_equal (read_file (path, 4096, &cpulist, &len, NULL), 0);
    assert_string_equal (cpulist, "8-9\n");
  }
  /* delete hands on argv's id: one naming anything but a tree is ignored.  */
  nr_view_remove (&c, "..");
  nr_view_remove (&c, "c1/node");
  assert_true (exists (dir, "topology-views/c1/node/online"));
  assert_int_equal (nr_view_add (spec, &c, "../c1", &topo, NULL), -1);
  nr_view_remove (&c, "c1");
  assert_false (exists (dir, "topology-views/c1"));
  assert_true (exists (dir, "topology-views"));
  {
    cleanup_free char *views = xasprintf ("%s/topology-views", dir);
    assert_int_equal (rmdir (views), 0);
    assert_int_equal (rmdir (dir), 0);
  }
  nr_topology_free (&topo);
  nr_config_free (&c);
}

static void
refresh_rewrites_the_tree_for_the_new_place_and_needs_one (void **state)
{
  struct nr_config c;
  cleanup_free char *dir = NULL;
  cleanup_json yajl_val spec =
      spec_of ("{\"mounts\":[{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\"}],"
               "\"linux\":{\"resources\":{\"cpu\":{\"cpus\":\"0-1\",\"mems\":\"0\"}}}}");
  struct nr_topology topo;
  struct nr_view_host host;
  nr_set_t nodes, cpus;

  view_config (&c, "two-socket", &dir);
  load_machine ("two-socket", &topo, &host);
  nr_set_parse ("1", &nodes, NULL);
  nr_set_parse ("8-9", &cpus, NULL);
  /* No tree: nothing to do.  */
  assert_int_equal (nr_view_refresh (&c, "c1", &topo, &nodes, &cpus, NULL), 0);
  assert_false (exists (dir, "topology-views/c1"));

  assert_int_equal (nr_view_add (spec, &c, "c1", &topo, NULL), 1);
  assert_true (exists (dir, "topology-views/c1/node/node0/cpulist"));
  assert_int_equal (nr_view_refresh (&c, "c1", &topo, &nodes, &cpus, NULL), 1);
  assert_false (exists (dir, "topology-views/c1/node/node0"));
  assert_true (exists (dir, "topology-views/c1/node/node1/meminfo"));
  {
    cleanup_free char *online = NULL, *cpulist = NULL;
    cleanup_free char *p1 = xasprintf ("%s/topology-views/c1/node/online", dir);
    cleanup_free char *p2 = xasprintf ("%s/topology-views/c1/node/node1/cpulist", dir);
    size_t len;
    assert_int_equal (read_file (p1, 4096, &online, &len, NULL), 0);
    assert_string_equal (online, "1\n");
    assert_int_equal (read_file (p2, 4096, &cpulist, &len, NULL), 0);
    assert_string_equal (cpulist, "8-9\n");
  }
  /* A place the machine lacks is an error, and the tree stays.  */
  {
    nr_error_t err = NULL;
    nr_set_parse ("7", &nodes, NULL);
    assert_int_equal (nr_view_refresh (&c, "c1", &topo, &nodes, &cpus, &err), -1);
    assert_non_null (strstr (err->msg, "topology view"));
    nr_error_release (&err);
    assert_true (exists (dir, "topology-views/c1/node/online"));
  }
  assert_int_equal (nr_view_refresh (&c, "../c1", &topo, &nodes, &cpus, NULL), 0);
  nr_view_remove (&c, "c1");
  {
    cleanup_free char *views = xasprintf ("%s/topology-views", dir);
    assert_int_equal (rmdir (views), 0);
    assert_int_equal (rmdir (dir), 0);
  }
  nr_topology_free (&topo);
  nr_config_free (&c);
}

static void
no_sys_mount_no_view_and_bad_mounts_leave_nothing (void **state)
{
  struct nr_config c;
  cleanup_free char *dir = NULL;
  cleanup_json yajl_val bare = spec_of ("{\"mounts\":[{\"destination\":\"/proc\"}]}");
  cleanup_json yajl_val bad = spec_of ("{\"mounts\":{\"destination\":\"/sys\"}}");
  struct nr_topology topo;
  struct nr_view_host host;
  nr_error_t err = NULL;

  view_config (&c, "two-socket", &dir);
  load_machine ("two-socket", &topo, &host);
  assert_int_equal (nr_view_add (bare, &c, "c1", &topo, NULL), 0);
  assert_int_equal (nr_json_get (bare, "mounts")->u.array.len, 1);
  assert_int_equal (nr_view_add (bad, &c, "c1", &topo, &err), -1);
  assert_non_null (strstr (err->msg, "`mounts` is not an array"));
  nr_error_release (&err);
  assert_false (exists (dir, "topology-views"));
  assert_int_equal (rmdir (dir), 0);
  nr_topology_free (&topo);
  nr_config_free (&c);
}

static int
read_annotation (const struct nr_config *c, const char *value, struct nr_request *req)
{
  cleanup_free char *text =
      xasprintf ("{\"annotations\":{\"numa-runtime.io/topology-view\":\"%s\"}}", value);
  cleanup_json yajl_val spec = spec_of (text);
  nr_error_t err = NULL;
  int ret;

  memset (req, 0, sizeof (*req));
  req->id = "c1";
  ret = nr_annotations_read (spec, c, NR_POLICY_RESTRICTED, req, &err);
  nr_error_release (&err);
  return ret;
}

static void
the_annotation_asks_host_only_where_weakening_is_allowed (void **state)
{
  struct nr_config c;
  struct nr_request req;

  memset (&c, 0, sizeof (c));
  c.annotations_enabled = true;
  assert_int_equal (read_annotation (&c, "container", &req), 0);
  assert_true (nr_view_wanted (&req, &c));
  c.topology_view_container = true;
  assert_int_equal (read_annotation (&c, "host", &req), -1);
  c.annotations_may_weaken = true;
  assert_int_equal (read_annotation (&c, "host", &req), 0);
  assert_false (nr_view_wanted (&req, &c));
  assert_int_equal (read_annotation (&c, "both", &req), -1);
  memset (&req, 0, sizeof (req));
  assert_true (nr_view_wanted (&req, &c));
}

static void
the_config_key_takes_host_or_container (void **state)
{
  char path[] = "/tmp/nr-view-conf-XXXXXX";
  int fd = mkstemp (path);
  struct nr_config c;
  nr_error_t err = NULL;
  static const char good[] = "[placement]\ntopology_view = container\n";
  static const char bad[] = "[placement]\ntopology_view = guest\n";

  assert_true (fd >= 0);
  assert_int_equal (write_all (fd, good, sizeof (good) - 1), 0);
  assert_int_equal (nr_config_load_file (&c, path, true, &err), 0);
  assert_true (c.topology_view_container);
  nr_config_free (&c);
  assert_int_equal (ftruncate (fd, 0), 0);
  assert_int_equal (pwrite (fd, bad, sizeof (bad) - 1, 0), (ssize_t) sizeof (bad) - 1);
  close (fd);
  assert_int_equal (nr_config_load_file (&c, path, true, &err), -1);
  assert_non_null (strstr (err->msg, "must be host or container"));
  nr_error_release (&err);
  nr_config_free (&c);
  unlink (path);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (cpumaps_are_printed_as_the_kernel_does),
    cmocka_unit_test (one_node_of_two_sockets_lists_only_it_cut_to_the_cpuset),
    cmocka_unit_test (a_cpu_node_and_its_tier_keep_their_distances),
    cmocka_unit_test (nodes_the_machine_lacks_are_an_error),
    cmocka_unit_test (add_writes_the_tree_and_its_mounts_remove_takes_it_back),
    cmocka_unit_test (refresh_rewrites_the_tree_for_the_new_place_and_needs_one),
    cmocka_unit_test (no_sys_mount_no_view_and_bad_mounts_leave_nothing),
    cmocka_unit_test (the_annotation_asks_host_only_where_weakening_is_allowed),
    cmocka_unit_test (the_config_key_takes_host_or_container),
  };
  return cmocka_run_group_tests_name ("topology-view", tests, generate_machines, remove_machines);
}
