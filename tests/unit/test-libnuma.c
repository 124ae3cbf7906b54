/* libnuma's reading of this host and of CPU/node lists, against ours.
 *
 * numa-runtime reads sysfs itself (a fixture tree can stand in for /sys)
 * and does not link libnuma (its constructor would cost every call, see
 * docs/ARCHITECTURE.md).  This test links it: on the real /sys both must
 * see the same nodes, CPUs, distances and memory, and both list parsers
 * must read the same lists.  */
/* unit-ldadd: $(NUMA_LIBS) */
#include <config.h>

#include "unit.h"

#include "topology.h"

#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct nr_topology topo;

static int
setup (void **state)
{
  nr_error_t err = NULL;

  if (nr_topology_load ("/sys", &topo, &err) < 0)
    {
      print_error ("nr_topology_load (/sys): %s\n", err->msg);
      return -1;
    }
  return 0;
}

static int
teardown (void **state)
{
  nr_topology_free (&topo);
  return 0;
}

static void
skip_without_numa_api (void)
{
  if (numa_available () < 0)
    {
      print_message ("skipped: numa_available () < 0, this kernel has no NUMA API "
                     "(get_mempolicy fails), so libnuma has no view of its own\n");
      skip ();
    }
}

/* Libnuma's bitmask as one of our sets.  */
static nr_set_t
set_of_bitmask (const struct bitmask *mask)
{
  nr_set_t s;

  nr_set_clear (&s);
  for (unsigned int i = 0; i < mask->size && i < NR_SET_MAX; i++)
    if (numa_bitmask_isbitset (mask, i))
      nr_set_add (&s, (int) i);
  return s;
}

static void
assert_same_set (const nr_set_t *ours, const nr_set_t *theirs, const char *what)
{
  if (! nr_set_equal (ours, theirs))
    {
      cleanup_free char *a = nr_set_format (ours);
      cleanup_free char *b = nr_set_format (theirs);
      fail_msg ("%s: \"%s\" for numa-runtime, \"%s\" for libnuma", what, a, b);
    }
}

/* ---- the host ----------------------------------------------------------- */

static void
same_nodes (void **state)
{
  nr_set_t ours, theirs;

  skip_without_numa_api ();
  nr_set_clear (&ours);
  for (int i = 0; i < topo.n_nodes; i++)
    nr_set_add (&ours, topo.nodes[i].id);
  theirs = set_of_bitmask (numa_nodes_ptr);
  assert_same_set (&ours, &theirs, "node ids");
  assert_int_equal (numa_num_configured_nodes (), topo.n_nodes);
  assert_int_equal (numa_max_node (), topo.nodes[topo.n_nodes - 1].id);
}

static void
same_cpus_per_node (void **state)
{
  struct bitmask *mask;

  skip_without_numa_api ();
  mask = numa_allocate_cpumask ();
  for (int i = 0; i < topo.n_nodes; i++)
    {
      nr_set_t theirs;
      char what[64];

      assert_int_equal (numa_node_to_cpus (topo.nodes[i].id, mask), 0);
      theirs = set_of_bitmask (mask);
      /* node/cpumap lists a node's CPUs, ours keeps the online ones.  */
      nr_set_intersect (&theirs, &topo.online_cpus);
      snprintf (what, sizeof what, "CPUs of node %d", topo.nodes[i].id);
      assert_same_set (&topo.nodes[i].cpus, &theirs, what);
    }
  numa_bitmask_free (mask);
}

static void
same_distances (void **state)
{
  skip_without_numa_api ();
  for (int i = 0; i < topo.n_nodes; i++)
    for (int j = 0; j < topo.n_nodes; j++)
      {
        int a = topo.nodes[i].id, b = topo.nodes[j].id;
        int ours = nr_topology_distance (&topo, i, j);
        int theirs = numa_distance (a, b);

        /* 0: libnuma found no distance files; ours are then the
           defaults.  */
        if (theirs == 0)
          theirs = a == b ? 10 : 20;
        if (ours != theirs)
          fail_msg ("distance from node %d to node %d: %d for numa-runtime, %d for libnuma", a, b,
                    ours, theirs);
      }
}

static void
same_memory_per_node (void **state)
{
  skip_without_numa_api ();
  for (int i = 0; i < topo.n_nodes; i++)
    {
      long long theirs = numa_node_size64 (topo.nodes[i].id, NULL);
      long long ours = (long long) topo.nodes[i].memory_total;
      /* Both read node N's meminfo MemTotal, at different moments:
         memory hot(un)plug or a balloon may move it between the two.  */
      long long slack = ours / 100;

      assert_true (theirs >= 0);
      if (llabs (ours - theirs) > slack)
        fail_msg ("memory of node %d: %lld bytes for numa-runtime, %lld for libnuma",
                  topo.nodes[i].id, ours, theirs);
    }
}

/* ---- lists --------------------------------------------------------------- */

enum list_kind
{
  CPU_LIST,
  NODE_LIST,
};

/* LIST read by both parsers: the same set, or a failure saying how.  */
static void
assert_parsed_alike (const char *list, enum list_kind kind)
{
  struct bitmask *mask =
      kind == CPU_LIST ? numa_parse_cpustring_all (list) : numa_parse_nodestring_all (list);
  nr_set_t ours, theirs;
  nr_error_t err = NULL;
  char what[128];

  if (mask == NULL)
    fail_msg ("libnuma cannot parse %s list \"%s\"", kind == CPU_LIST ? "CPU" : "node", list);
  if (nr_set_parse (list, &ours, &err) < 0)
    fail_msg ("numa-runtime cannot parse \"%s\": %s", list, err->msg);
  theirs = set_of_bitmask (mask);
  numa_bitmask_free (mask);
  snprintf (what, sizeof what, "list \"%s\"", list);
  assert_same_set (&ours, &theirs, what);
}

/* Highest number of KIND libnuma accepts on this host.  */
static int
list_max (enum list_kind kind)
{
  return kind == CPU_LIST ? numa_num_configured_cpus () - 1 : numa_max_node ();
}

static void
table_of_lists (void **state)
{
  /* Written for numbers up to 7; a list naming more than this host has
     is left out (libnuma refuses it).  No trailing newline: we take the
     kernel's files as they are, libnuma refuses "0\n".  */
  static const struct
  {
    const char *list;
    int max;
  } cases[] = {
    { "0", 0 },       { "0-0", 0 },     { "", -1 },       { "0-0,0", 0 },   { " 0", 0 },
    { "0-1", 1 },     { "1,0", 1 },     { "0,0-1", 1 },   { "0-1,1", 1 },   { "1", 1 },
    { "0-3", 3 },     { "0,2-3", 3 },   { "3,1", 3 },     { "0-1,2-3", 3 }, { "1-2,0", 2 },
    { "0,1,2,3", 3 }, { "0-7", 7 },     { "0-1,4-5", 5 }, { "7,0-2,5", 7 }, { "1,3,5,7", 7 },
    { "0-2,2-4", 4 }, { "6-7,0-1", 7 }, { "4", 4 },       { "2-2,5-6", 6 },
  };
  int used = 0;

  skip_without_numa_api ();
  for (int kind = CPU_LIST; kind <= NODE_LIST; kind++)
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
      if (cases[i].max <= list_max (kind))
        {
          assert_parsed_alike (cases[i].list, kind);
          used++;
        }
  print_message ("%d of %zu lists within this host's CPUs and nodes\n", used,
                 2 * sizeof (cases) / sizeof (cases[0]));
}

/* A random list of numbers 0..MAX into BUF: runs of numbers in random
   order, each as "a", "a-b" or an overlapping range.  */
static void
random_list (char *buf, size_t size, int max)
{
  size_t len = 0;
  int parts = rand () % 6;

  buf[0] = '\0';
  for (int p = 0; p < parts && len + 32 < size; p++)
    {
      int a = rand () % (max + 1);
      int b = a + rand () % (max + 1 - a);

      len += (size_t) snprintf (buf + len, size - len, "%s", p > 0 ? "," : "");
      if (a == b || rand () % 3 == 0)
        len += (size_t) snprintf (buf + len, size - len, "%d", a);
      else
        len += (size_t) snprintf (buf + len, size - len, "%d-%d", a, b);
    }
}

static void
random_lists_round_trip (void **state)
{
  const char *seed_env = getenv ("NR_TEST_SEED");
  unsigned int seed =
      seed_env ? (unsigned int) strtoul (seed_env, NULL, 10) : (unsigned int) time (NULL);
  char list[512];

  skip_without_numa_api ();
  print_message ("seed %u (NR_TEST_SEED=%u repeats this run)\n", seed, seed);
  srand (seed);
  for (int round = 0; round < 2000; round++)
    {
      enum list_kind kind = round % 2 ? NODE_LIST : CPU_LIST;
      cleanup_free char *formatted = NULL;
      nr_set_t set;
      nr_error_t err = NULL;

      random_list (list, sizeof list, list_max (kind));
      assert_parsed_alike (list, kind);
      /* Our own writing of it, read back by both.  */
      if (nr_set_parse (list, &set, &err) < 0)
        fail_msg ("numa-runtime cannot parse \"%s\": %s", list, err->msg);
      formatted = nr_set_format (&set);
      assert_parsed_alike (formatted, kind);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (same_nodes),     cmocka_unit_test (same_cpus_per_node),
    cmocka_unit_test (same_distances), cmocka_unit_test (same_memory_per_node),
    cmocka_unit_test (table_of_lists), cmocka_unit_test (random_lists_round_trip),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
