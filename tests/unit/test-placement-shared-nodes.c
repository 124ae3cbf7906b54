/* Placement: which node a shared container goes to.  By default the one
   with the most headroom (shared work spreads over the sockets); with
   [placement] shared_nodes = gather, while exclusive containers hold
   CPUs, the roomiest node whose pool already has sharers, else the node
   with the fewest CPUs left to hold exclusively, so that as few nodes as
   possible keep a core shared and whole nodes and cache groups stay free
   for exclusive containers.  Each test reads as one rule.  */
#include <config.h>

#include "placement-smt-host.h"

/* Two nodes of 8 CPUs (SMT pairs): node 0 holds 0-3 exclusively and
   runs one container of 500 millicpus in its pool (4-7); node 1 is
   empty.  */
static void
busy_node_zero (struct host *h, bool gather)
{
  host_init (h, 2, 8, 16);
  h->config.cpu_exclusive = true;
  h->config.shared_gather = gather;
  hold (h, 0, "0-3");
  h->usage[0].load += 500;
  h->usage[0].containers = 2;
  h->usage[0].sharing = 1;
}

static void
by_default_a_shared_container_goes_where_there_is_most_headroom (void **state)
{
  struct host h;
  struct nr_placement p;

  busy_node_zero (&h, false);
  h.req.millicpus = 500;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  charge (&h, &p);
  nr_placement_free (&p);

  /* Node 1 now keeps a CPU (and so a core) for it: eight exclusive CPUs
     fit on no node.  */
  h.config.policy = NR_POLICY_SINGLE_NUMA_NODE;
  h.req.millicpus = 8000;
  REFUSED (&h, "it fits on no single node");
  host_free (&h);
}

static void
gathered_shared_containers_join_a_pool_that_has_sharers (void **state)
{
  struct host h;
  struct nr_placement p;

  busy_node_zero (&h, true);
  h.req.millicpus = 500;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_set_equal (p.cpus, "4-7");
  charge (&h, &p);
  nr_placement_free (&p);
  assert_int_equal (h.usage[1].sharing, 0);

  /* Node 1 is still whole: a container of eight exclusive CPUs gets it.  */
  h.config.policy = NR_POLICY_SINGLE_NUMA_NODE;
  h.req.millicpus = 8000;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  assert_set_equal (p.exclusive, "8-15");
  nr_placement_free (&p);
  host_free (&h);
}

static void
among_pools_with_sharers_the_roomiest_is_joined (void **state)
{
  struct host h;
  struct nr_placement p;

  /* Three nodes: 0 and 1 have sharers, 1 the more room; 2 is empty.  */
  host_init (&h, 3, 8, 16);
  h.config.cpu_exclusive = true;
  h.config.shared_gather = true;
  hold (&h, 0, "0-5");
  h.usage[0].load += 500;
  h.usage[0].sharing = 1;
  hold (&h, 1, "8-9");
  h.usage[1].load += 500;
  h.usage[1].sharing = 1;
  h.req.millicpus = 500;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  nr_placement_free (&p);
  host_free (&h);
}

static void
a_new_pool_opens_where_the_fewest_cpus_are_left_to_hold (void **state)
{
  struct host h;
  struct nr_placement p;

  /* Nobody shares yet: node 0 can still give 4 CPUs exclusively, node 1
     two, node 2 all eight.  Spread takes node 2, the roomiest; gather
     keeps a core of node 1, where the fewest exclusive CPUs are left.  */
  host_init (&h, 3, 8, 16);
  h.config.cpu_exclusive = true;
  hold (&h, 0, "0-3");
  hold (&h, 1, "8-13");
  h.req.millicpus = 500;
  place (&h, &p);
  assert_set_equal (p.nodes, "2");
  nr_placement_free (&p);

  h.config.shared_gather = true;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  assert_set_equal (p.cpus, "14-15");
  nr_placement_free (&p);
  host_free (&h);
}

static void
gather_applies_only_while_exclusive_containers_hold_cpus (void **state)
{
  struct host h;
  struct nr_placement p;

  /* Nothing held exclusively anywhere: shared work spreads as by default,
     whatever the setting.  */
  host_init (&h, 2, 8, 16);
  h.config.shared_gather = true;
  h.usage[0].load = 500;
  h.usage[0].containers = 1;
  h.usage[0].sharing = 1;
  h.req.millicpus = 500;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  nr_placement_free (&p);
  host_free (&h);
}

static void
a_pool_with_sharers_is_taken_only_when_the_container_fits_there (void **state)
{
  struct host h;
  struct nr_placement p;

  busy_node_zero (&h, true);
  h.req.millicpus = 4000; /* node 0's pool has 3.5 CPUs left */
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  nr_placement_free (&p);

  /* Where it fits nowhere, the least-loaded node, sharers or not.  */
  h.usage[1].load = 7000;
  h.usage[1].containers = 1;
  h.req.millicpus = 6000;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_non_null (strstr (p.warning, "fits nowhere"));
  nr_placement_free (&p);
  host_free (&h);
}

static void
devices_come_before_gathering (void **state)
{
  struct host h;
  struct nr_placement p;

  busy_node_zero (&h, true);
  h.req.millicpus = 500;
  nr_request_add_hint (&h.req, 1, "nic ens1f0");
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  nr_placement_free (&p);
  host_free (&h);
}

static void
a_sandbox_gathers_unless_its_pod_asks_for_whole_cpus (void **state)
{
  struct host h;
  struct nr_placement p;

  /* A pod of 1.5 CPUs will share its node's pool: its sandbox gathers.  */
  busy_node_zero (&h, true);
  h.req.sandbox = true;
  h.req.millicpus = 1500;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  nr_placement_free (&p);

  /* A pod of 2 whole CPUs will hold them exclusively, on the node its
     sandbox takes: the roomiest, as by default.  */
  h.req.millicpus = 2000;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  nr_placement_free (&p);

  /* The same pod where whole CPUs are not held exclusively gathers.  */
  h.config.cpu_exclusive = false;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  nr_placement_free (&p);
  host_free (&h);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (by_default_a_shared_container_goes_where_there_is_most_headroom),
    cmocka_unit_test (gathered_shared_containers_join_a_pool_that_has_sharers),
    cmocka_unit_test (among_pools_with_sharers_the_roomiest_is_joined),
    cmocka_unit_test (a_new_pool_opens_where_the_fewest_cpus_are_left_to_hold),
    cmocka_unit_test (gather_applies_only_while_exclusive_containers_hold_cpus),
    cmocka_unit_test (a_pool_with_sharers_is_taken_only_when_the_container_fits_there),
    cmocka_unit_test (devices_come_before_gathering),
    cmocka_unit_test (a_sandbox_gathers_unless_its_pod_asks_for_whole_cpus),
  };
  return cmocka_run_group_tests_name ("placement-shared-nodes", tests, NULL, NULL);
}
