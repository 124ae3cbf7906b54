/* Cache groups read from fixture machines (tests/fixtures/gen-sysfs.sh):
   an L3 per CCX, an L3 cut per node, caches private to a core; cores
   picked by their leader, dies and clusters, and the topology cache
   keeping it all.  The rules exclusive CPUs follow in those groups:
   test-cpu-groups.c.  */
#include <config.h>

#include "placement-fixtures.h"
#include "machine-fixtures.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NR_TOP_SRCDIR
#define NR_TOP_SRCDIR "."
#endif

static char *fixtures_dir;
static const char *const machines[] = { "epyc-ccx4", "hbm-snc", "altra", "eight-node" };

static int
generate_machines (void **state)
{
  (void) state;
  return machines_generate ("nr-cpu-groups", machines, NR_N_ELEMENTS (machines), &fixtures_dir);
}

static int
remove_machines (void **state)
{
  (void) state;
  return machines_remove (&fixtures_dir);
}

static void
load_machine (const char *machine, struct nr_topology *topo)
{
  cleanup_free char *root = xasprintf ("%s/%s/sys", fixtures_dir, machine);
  nr_error_t err = NULL;

  if (nr_topology_load (root, topo, &err) < 0)
    fail_msg ("%s: %s", machine, err->msg);
}

static void
an_epyc_with_4_core_ccxs_has_16_groups_and_isolated_cpus (void **state)
{
  struct nr_topology topo;

  load_machine ("epyc-ccx4", &topo);
  assert_int_equal (topo.n_llc, 16);
  assert_set_equal (topo.llc[0], "0-3,64-67");
  assert_set_equal (topo.llc[15], "60-63,124-127");
  assert_set_equal (topo.isolated, "60-63,124-127");
  assert_int_equal (topo.core_leader[64], 0);
  assert_int_equal (topo.core_leader[127], 63);
  nr_topology_free (&topo);
}

static void
an_l3_spanning_nodes_is_cut_per_node (void **state)
{
  struct nr_topology topo;

  load_machine ("hbm-snc", &topo); /* one L3 over 4 SNC nodes, 4 HBM nodes */
  assert_int_equal (topo.n_llc, 4);
  for (int g = 0; g < 4; g++)
    {
      assert_int_equal (topo.llc_node[g], g);
      assert_true (nr_set_equal (&topo.llc[g], &topo.nodes[g].cpus));
    }
  assert_set_equal (topo.isolated, "");
  nr_topology_free (&topo);
}

static void
a_cache_private_to_a_core_groups_nothing (void **state)
{
  struct nr_topology topo;

  load_machine ("altra", &topo); /* L2 per core is the last level shown */
  assert_int_equal (topo.n_llc, 0);
  assert_int_equal (topo.core_leader[5], 5);
  nr_topology_free (&topo);
  load_machine ("eight-node", &topo);
  assert_int_equal (topo.n_llc, 8);
  assert_set_equal (topo.llc[7], "28-31");
  nr_topology_free (&topo);
}

/* create picks cores from core_leader alone (it builds no sibling sets
   when the groups were read): the same CPUs as from sysfs's sibling
   lists, whole cores, none of a core another container holds part of.  */
static void
cores_from_core_leader_pick_what_sibling_lists_pick (void **state)
{
  cleanup_free char *root = xasprintf ("%s/epyc-ccx4/sys", fixtures_dir);
  struct nr_topology leaders, siblings;
  nr_set_t held = set_of ("1,66,9");
  static const int counts[] = { 1, 2, 4, 6, 8, 12, 16, 40 };

  load_machine ("epyc-ccx4", &leaders);
  load_machine ("epyc-ccx4", &siblings);
  free (siblings.core_leader);
  siblings.core_leader = NULL;
  nr_topology_load_siblings (root, &siblings);
  assert_null (leaders.thread_siblings);
  for (size_t k = 0; k < sizeof (counts) / sizeof (counts[0]); k++)
    {
      nr_set_t available = leaders.nodes[0].cpus, by_leader, by_siblings;
      int got;

      nr_set_subtract (&available, &leaders.isolated);
      nr_set_subtract (&available, &held);
      got = nr_pick_cpus (&leaders, &available, &held, counts[k], &by_leader);
      assert_int_equal (got, counts[k]);
      assert_int_equal (nr_pick_cpus (&siblings, &available, &held, counts[k], &by_siblings), got);
      assert_true (nr_set_equal (&by_leader, &by_siblings));
      for (int c = nr_set_next (&by_leader, 0); c >= 0; c = nr_set_next (&by_leader, c + 1))
        for (int h = nr_set_next (&held, 0); h >= 0; h = nr_set_next (&held, h + 1))
          assert_int_not_equal (leaders.core_leader[c], leaders.core_leader[h]);
    }
  nr_topology_free (&leaders);
  nr_topology_free (&siblings);
}

/* Write LIST as cpuCPU/topology/NAME of the epyc-ccx4 fixture.  */
static void
put_topology_file (int cpu, const char *name, const char *list)
{
  cleanup_free char *path =
      xasprintf ("%s/epyc-ccx4/sys/devices/system/cpu/cpu%d/topology/%s", fixtures_dir, cpu, name);
  FILE *f = fopen (path, "w");

  assert_non_null (f);
  fprintf (f, "%s\n", list);
  assert_int_equal (fclose (f), 0);
}

/* Dies and clusters for `topology`: none where the kernel gives no list;
   a cluster of several cores (here: one per CCX) listed; a die that is
   the whole node, or a cluster that is one core, not.  */
static void
dies_and_clusters_smaller_than_the_node_are_listed (void **state)
{
  cleanup_free char *root = xasprintf ("%s/epyc-ccx4/sys", fixtures_dir);
  cleanup_free nr_set_t *domains = NULL;
  struct nr_topology topo;

  load_machine ("epyc-ccx4", &topo);
  assert_int_equal (nr_cpu_domains_read (root, &topo, 0, "cluster_cpus_list", &domains), 0);
  assert_null (domains);
  for (int c = 0; c < 128; c++)
    {
      cleanup_free char *ccx = nr_set_format (&topo.llc[(c % 64) / 4]);
      cleanup_free char *node = nr_set_format (&topo.nodes[0].cpus);
      put_topology_file (c, "cluster_cpus_list", ccx);
      put_topology_file (c, "die_cpus_list", node);
    }
  assert_int_equal (nr_cpu_domains_read (root, &topo, 0, "cluster_cpus_list", &domains), 16);
  assert_set_equal (domains[0], "0-3,64-67");
  assert_set_equal (domains[15], "60-63,124-127");
  free (steal_pointer (&domains));
  assert_int_equal (nr_cpu_domains_read (root, &topo, 0, "die_cpus_list", &domains), 0);
  for (int c = 0; c < 128; c++)
    {
      cleanup_free char *core = xasprintf ("%d,%d", c % 64, c % 64 + 64);
      put_topology_file (c, "cluster_cpus_list", core);
    }
  assert_int_equal (nr_cpu_domains_read (root, &topo, 0, "cluster_cpus_list", &domains), 0);
  for (int c = 0; c < 128; c++)
    {
      cleanup_free char *base =
          xasprintf ("%s/epyc-ccx4/sys/devices/system/cpu/cpu%d/topology/", fixtures_dir, c);
      cleanup_free char *cluster = xasprintf ("%scluster_cpus_list", base);
      cleanup_free char *die = xasprintf ("%sdie_cpus_list", base);
      assert_int_equal (unlink (cluster), 0);
      assert_int_equal (unlink (die), 0);
    }
  nr_topology_free (&topo);
}

static void
the_topology_cache_keeps_groups_cores_and_isolated_cpus (void **state)
{
  cleanup_free char *root = xasprintf ("%s/epyc-ccx4/sys", fixtures_dir);
  cleanup_free char *proc = xasprintf ("%s/epyc-ccx4/proc", fixtures_dir);
  cleanup_free char *cache = xasprintf ("%s/epyc-ccx4/cache", fixtures_dir);
  struct nr_topology read, cached, direct;
  nr_error_t err = NULL;

  assert_int_equal (mkdir (cache, 0700), 0);
  assert_int_equal (nr_topology_load_cached (root, proc, cache, "boot", &read, &err), 0);
  assert_int_equal (nr_topology_load_cached (root, proc, cache, "boot", &cached, &err), 0);
  assert_int_equal (cached.n_llc, read.n_llc);
  for (int g = 0; g < read.n_llc; g++)
    {
      assert_true (nr_set_equal (&cached.llc[g], &read.llc[g]));
      assert_int_equal (cached.llc_node[g], read.llc_node[g]);
    }
  assert_true (nr_set_equal (&cached.isolated, &read.isolated));
  /* Siblings from the cached cores, without I/O, are what sysfs says.  */
  nr_topology_load_siblings ("/nonexistent", &cached);
  load_machine ("epyc-ccx4", &direct);
  free (direct.core_leader);
  direct.core_leader = NULL;
  nr_topology_load_siblings (root, &direct);
  assert_int_equal (cached.n_siblings, direct.n_siblings);
  for (int c = 0; c < direct.n_siblings; c++)
    assert_true (nr_set_equal (&cached.thread_siblings[c], &direct.thread_siblings[c]));
  nr_topology_free (&cached);
  nr_topology_free (&direct);
  /* A cache file cut anywhere in its groups is read again from sysfs.  */
  {
    cleanup_free char *file = xasprintf ("%s/topology-cache", cache);
    struct stat st;
    assert_int_equal (stat (file, &st), 0);
    for (off_t cut = st.st_size - 1; cut > st.st_size - 400 && cut > 0; cut -= 7)
      {
        assert_int_equal (truncate (file, cut), 0);
        assert_int_equal (nr_topology_load_cached (root, proc, cache, "boot", &cached, &err), 0);
        assert_int_equal (cached.n_llc, read.n_llc);
        assert_true (nr_set_equal (&cached.isolated, &read.isolated));
        nr_topology_free (&cached);
      }
  }
  nr_topology_free (&read);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (an_epyc_with_4_core_ccxs_has_16_groups_and_isolated_cpus),
    cmocka_unit_test (an_l3_spanning_nodes_is_cut_per_node),
    cmocka_unit_test (a_cache_private_to_a_core_groups_nothing),
    cmocka_unit_test (cores_from_core_leader_pick_what_sibling_lists_pick),
    cmocka_unit_test (dies_and_clusters_smaller_than_the_node_are_listed),
    cmocka_unit_test (the_topology_cache_keeps_groups_cores_and_isolated_cpus),
  };
  return cmocka_run_group_tests_name ("cpu-groups topology", tests, generate_machines,
                                      remove_machines);
}
