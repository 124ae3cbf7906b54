/* Exclusive CPUs inside a node by its cache groups (cpualloc.c): whole
   groups, fewest groups best fit, whole cores, no core shared by two
   exclusive containers, isolated CPUs in no pool, and the llc alignment.
   The groups as read from sysfs: test-cpu-groups-topology.c.  */
#include <config.h>

#include "placement-fixtures.h"

#include <stdlib.h>

/* ---- a node of GROUPS cache groups of CORES cores of 2 threads --------- */

/* CPU 2k and 2k+1 are core k; group g holds cores g*CORES .. g*CORES+CORES-1.  */
static void
llc_host (struct host *h, int groups, int cores)
{
  int n_cpus = groups * cores * 2;

  host_alloc (h, 1);
  h->config.cpu_exclusive = true;
  h->topo.nodes[0].memory_total = 64 * GiB;
  h->topo.distance[0] = 10;
  h->topo.n_siblings = n_cpus;
  h->topo.thread_siblings = xmalloc0 ((size_t) n_cpus * sizeof (nr_set_t));
  h->topo.n_llc = groups;
  h->topo.llc = xmalloc0 ((size_t) groups * sizeof (nr_set_t));
  h->topo.llc_node = xmalloc0 ((size_t) groups * sizeof (int));
  for (int c = 0; c < n_cpus; c++)
    {
      nr_set_add (&h->topo.online_cpus, c);
      nr_set_add (&h->topo.nodes[0].cpus, c);
      nr_set_add (&h->topo.thread_siblings[c], c);
      nr_set_add (&h->topo.thread_siblings[c], c ^ 1);
      nr_set_add (&h->topo.llc[c / (2 * cores)], c);
    }
}

/* Two nodes of GROUPS groups each, cut from llc_host's numbering: node 0
   holds the first half of the groups.  */
static void
llc_host_two_nodes (struct host *h, int groups, int cores)
{
  struct host one;
  int per_node = groups * cores * 2;

  llc_host (&one, 2 * groups, cores);
  host_alloc (h, 2);
  h->config.cpu_exclusive = true;
  h->topo.online_cpus = one.topo.online_cpus;
  h->topo.n_siblings = one.topo.n_siblings;
  h->topo.thread_siblings = steal_pointer (&one.topo.thread_siblings);
  h->topo.n_llc = one.topo.n_llc;
  h->topo.llc = steal_pointer (&one.topo.llc);
  h->topo.llc_node = steal_pointer (&one.topo.llc_node);
  for (int g = 0; g < h->topo.n_llc; g++)
    h->topo.llc_node[g] = g / groups;
  for (int i = 0; i < 2; i++)
    {
      h->topo.nodes[i].memory_total = 64 * GiB;
      h->topo.nodes[i].has_cpu = true;
      for (int c = i * per_node; c < (i + 1) * per_node; c++)
        nr_set_add (&h->topo.nodes[i].cpus, c);
    }
  set_distance (h, 0, 0, 10);
  set_distance (h, 1, 1, 10);
  set_distance (h, 0, 1, 21);
  host_free (&one);
}

/* Hold the CPUs of LIST on node NODE as another exclusive container would.  */
static void
hold_on (struct host *h, int node, const char *list)
{
  nr_set_t cpus = set_of (list);
  nr_set_union (&h->usage[node].exclusive, &cpus);
  h->usage[node].load += nr_set_count (&cpus) * 1000;
}

/* Hold the CPUs of LIST as another exclusive container would.  */
static void
hold (struct host *h, const char *list)
{
  nr_set_t cpus = set_of (list);
  nr_set_union (&h->usage[0].exclusive, &cpus);
  h->usage[0].load += nr_set_count (&cpus) * 1000;
}

/* Place an exclusive container of N CPUs and return its CPUs.  */
static nr_set_t
place_exclusive (struct host *h, int n)
{
  struct nr_placement p;
  nr_set_t cpus;

  h->req.millicpus = n * 1000;
  place (h, &p);
  cpus = p.exclusive;
  assert_int_equal (nr_set_count (&cpus), n);
  nr_placement_free (&p);
  return cpus;
}

/* How many groups CPUS touches.  */
static int
groups_touched (const struct host *h, const nr_set_t *cpus)
{
  int n = 0;
  for (int g = 0; g < h->topo.n_llc; g++)
    n += nr_set_intersects (&h->topo.llc[g], cpus);
  return n;
}

static void
exclusive_cpus_go_to_the_node_with_the_fewest_groups_then_the_fullest (void **state)
{
  struct host h;
  nr_set_t got;

  llc_host_two_nodes (&h, 2, 4); /* node 0: 0-7 | 8-15, node 1: 16-23 | 24-31 */
  hold_on (&h, 0, "0-1");
  got = place_exclusive (&h, 6);
  /* Both nodes hold 6 in one group: the fuller node 0, its partly used
     group (best fit), so node 1 stays whole.  */
  assert_set_equal (got, "2-7");
  hold_on (&h, 0, "2-7,8-11");
  got = place_exclusive (&h, 6);
  /* Node 0 has 4 free in one group: node 1, in one group.  */
  assert_set_equal (got, "16-21");
  host_free (&h);
}

static void
a_container_one_group_large_gets_a_whole_group (void **state)
{
  struct host h;
  nr_set_t got;

  llc_host (&h, 4, 4);
  hold (&h, "0-1"); /* group 0 is partly used: a whole group is another one */
  got = place_exclusive (&h, 8);
  assert_set_equal (got, "8-15");
  got = place_exclusive (&h, 16);
  assert_set_equal (got, "8-23"); /* two whole groups */
  host_free (&h);
}

static void
a_smaller_container_fills_the_best_fitting_partly_used_group (void **state)
{
  struct host h;
  nr_set_t got;

  llc_host (&h, 4, 4);
  hold (&h, "0-3");   /* group 0: 4 free */
  hold (&h, "8-9");   /* group 1: 6 free */
  hold (&h, "16-17"); /* group 2: 6 free; group 3 empty */
  got = place_exclusive (&h, 4);
  assert_set_equal (got, "4-7");
  got = place_exclusive (&h, 6);
  assert_set_equal (got, "10-15"); /* 6 free in group 1, not the empty 8 */
  host_free (&h);
}

static void
a_tie_leaves_the_largest_free_groups_intact (void **state)
{
  struct host h;
  nr_set_t got;

  llc_host (&h, 3, 4);
  hold (&h, "0-1"); /* groups 0 and 1: 6 free each; group 2 empty */
  hold (&h, "8-9");
  got = place_exclusive (&h, 2);
  assert_set_equal (got, "2-3"); /* the lower of the two partly used */
  hold (&h, "2-3");
  got = place_exclusive (&h, 6);
  assert_set_equal (got, "10-15"); /* group 1 holds 6 exactly; 2 stays whole */
  host_free (&h);
}

static void
a_container_no_group_holds_takes_the_fewest_groups (void **state)
{
  struct host h;
  nr_set_t got;

  llc_host (&h, 4, 4);
  hold (&h, "0-3");   /* 4 free */
  hold (&h, "8-9");   /* 6 free */
  hold (&h, "16-21"); /* 2 free */
  hold (&h, "24-27"); /* 4 free */
  got = place_exclusive (&h, 10);
  /* 6 + 4: two groups, where lowest-first would take three.  */
  assert_int_equal (groups_touched (&h, &got), 2);
  assert_set_equal (got, "4-7,10-15");
  host_free (&h);
}

static void
an_odd_count_takes_whole_cores_then_one_thread (void **state)
{
  struct host h;
  nr_set_t first, second, core;

  llc_host (&h, 2, 4);
  first = place_exclusive (&h, 3);
  assert_set_equal (first, "0-2");
  hold (&h, "0-2");
  second = place_exclusive (&h, 3);
  /* CPU 3's core is partly held: never handed to a second container.  */
  assert_false (nr_set_has (&second, 3));
  for (int c = nr_set_next (&second, 0); c >= 0; c = nr_set_next (&second, c + 1))
    {
      core = h.topo.thread_siblings[c];
      assert_false (nr_set_intersects (&core, &first));
    }
  host_free (&h);
}

static void
isolated_cpus_are_in_no_pool (void **state)
{
  struct host h;
  struct nr_placement p;
  nr_set_t got;

  llc_host (&h, 2, 4);
  h.topo.isolated = set_of ("12-15");
  h.config.cpu_exclusive = false;
  place (&h, &p);
  assert_set_equal (p.cpus, "0-11");
  nr_placement_free (&p);
  h.config.cpu_exclusive = true;
  got = place_exclusive (&h, 8);
  assert_set_equal (got, "0-7");
  /* 3 left in the pool beside the one kept shared (a container shares
     it): 4 cannot be held, and the isolated ones are not taken instead.  */
  hold (&h, "0-7");
  h.usage[0].sharing = 1;
  h.req.millicpus = 4000;
  place (&h, &p);
  assert_set_equal (p.exclusive, "");
  assert_false (nr_set_intersects (&p.cpus, &h.topo.isolated));
  nr_placement_free (&p);
  host_free (&h);
}

static void
isolated_cpus_go_to_an_exclusive_container_that_asks (void **state)
{
  struct host h;
  struct nr_placement p;

  llc_host (&h, 2, 4);
  h.topo.isolated = set_of ("12-15");
  h.req.isolated = true; /* the annotation, [placement] isolated_cpus allowing */
  h.req.millicpus = 4000;
  place (&h, &p);
  assert_set_equal (p.exclusive, "12-15");
  assert_int_equal (p.load, 0); /* takes no room of the pool */
  nr_placement_free (&p);
  /* More than are isolated: the pool, shared, with a warning.  */
  h.req.millicpus = 6000;
  place (&h, &p);
  assert_set_equal (p.exclusive, "");
  assert_non_null (p.warning);
  nr_placement_free (&p);
  host_free (&h);
}

static void
cpu_alignment_llc_refuses_what_the_preference_would_split (void **state)
{
  static const char *const needles[] = { "TopologyAffinityError", "cache group", NULL };
  struct host h;
  nr_set_t got;

  llc_host (&h, 3, 4);
  hold (&h, "0-3,8-11,16-19"); /* 4 free in each group */
  got = place_exclusive (&h, 6);
  assert_int_equal (groups_touched (&h, &got), 2); /* a preference: split */
  h.req.has_alignment = true;
  h.req.llc_strict = true;
  h.req.millicpus = 6000;
  assert_refused (&h, needles);
  h.req.millicpus = 4000; /* fits one group: placed */
  got = place_exclusive (&h, 4);
  assert_int_equal (groups_touched (&h, &got), 1);
  /* The config's llc, the annotation's prefer winning.  */
  h.config.llc_strict = true;
  h.req.has_alignment = false;
  h.req.millicpus = 6000;
  assert_refused (&h, needles);
  h.req.has_alignment = true;
  h.req.llc_strict = false;
  got = place_exclusive (&h, 6);
  host_free (&h);
}

/* The fewest groups any choice could use for N CPUs given FREE[] per
   group: the largest first.  */
static int
fewest_possible (int *free_cpus, int n_groups, int n)
{
  int used = 0;
  while (n > 0)
    {
      int best = 0;
      for (int g = 1; g < n_groups; g++)
        if (free_cpus[g] > free_cpus[best])
          best = g;
      if (free_cpus[best] == 0)
        return INT32_MAX;
      n -= free_cpus[best];
      free_cpus[best] = 0;
      used++;
    }
  return used;
}

static void
churn_keeps_every_rule (void **state)
{
  static const int sizes[] = { 1, 2, 4, 6, 8, 12, 16 };
  struct host h;
  nr_set_t held[64];
  int n_held = 0;
  unsigned seed = 19;

  llc_host (&h, 6, 8); /* 96 CPUs, 16 a group */
  for (int step = 0; step < 400; step++)
    {
      int size = sizes[rand_r (&seed) % 7];
      int free_cpus[6];
      struct nr_placement p;
      nr_error_t err = NULL;

      if (n_held > 0 && (n_held == 64 || rand_r (&seed) % 3 == 0))
        {
          int k = (int) (rand_r (&seed) % (unsigned) n_held);
          nr_set_subtract (&h.usage[0].exclusive, &held[k]);
          h.usage[0].load -= nr_set_count (&held[k]) * 1000;
          held[k] = held[--n_held];
          continue;
        }
      for (int g = 0; g < 6; g++)
        {
          nr_set_t free_here = h.topo.llc[g];
          for (int k = 0; k < n_held; k++)
            for (int c = nr_set_next (&held[k], 0); c >= 0; c = nr_set_next (&held[k], c + 1))
              {
                nr_set_remove (&free_here, c);
                nr_set_remove (&free_here, c ^ 1);
              }
          free_cpus[g] = nr_set_count (&free_here);
        }
      h.req.millicpus = size * 1000;
      if (try_place (&h, &p, &err) < 0)
        fail_msg ("%s", err->msg);
      if (nr_set_count (&p.exclusive) == size)
        {
          for (int k = 0; k < n_held; k++)
            for (int c = nr_set_next (&held[k], 0); c >= 0; c = nr_set_next (&held[k], c + 1))
              assert_false (nr_set_has (&p.exclusive, c) || nr_set_has (&p.exclusive, c ^ 1));
          assert_int_equal (groups_touched (&h, &p.exclusive),
                            fewest_possible (free_cpus, 6, size));
          held[n_held++] = p.exclusive;
          nr_set_union (&h.usage[0].exclusive, &p.exclusive);
          h.usage[0].load += size * 1000;
        }
      nr_placement_free (&p);
    }
  host_free (&h);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (a_container_one_group_large_gets_a_whole_group),
    cmocka_unit_test (a_smaller_container_fills_the_best_fitting_partly_used_group),
    cmocka_unit_test (a_tie_leaves_the_largest_free_groups_intact),
    cmocka_unit_test (a_container_no_group_holds_takes_the_fewest_groups),
    cmocka_unit_test (an_odd_count_takes_whole_cores_then_one_thread),
    cmocka_unit_test (isolated_cpus_are_in_no_pool),
    cmocka_unit_test (isolated_cpus_go_to_an_exclusive_container_that_asks),
    cmocka_unit_test (exclusive_cpus_go_to_the_node_with_the_fewest_groups_then_the_fullest),
    cmocka_unit_test (cpu_alignment_llc_refuses_what_the_preference_would_split),
    cmocka_unit_test (churn_keeps_every_rule),
  };
  return cmocka_run_group_tests_name ("cpu-groups", tests, NULL, NULL);
}
