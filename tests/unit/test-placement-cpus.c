/* Placement: the CPUs a container gets inside its node, whole cores to an
   exclusive container and the node's shared pool to the rest.  Each test
   reads as one rule of the product.  */
#include <config.h>

#include "placement-smt-host.h"

/* ---- exclusive CPUs ---------------------------------------------------- */

static void
an_integer_request_gets_whole_cores_to_itself (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 8, 16);
  h.config.cpu_exclusive = true;
  h.req.millicpus = 4000;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_set_equal (p.exclusive, "0-3");
  assert_set_equal (p.cpus, "0-3");
  assert_int_equal (p.load, 4000);
  charge (&h, &p);
  nr_placement_free (&p);

  /* The next one never gets those CPUs, wherever it lands.  */
  h.req.millicpus = 3000;
  h.usage[1].load = 7000;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_set_equal (p.exclusive, "4-6"); /* core 4-5 whole, then a thread */
  charge (&h, &p);
  nr_placement_free (&p);

  /* A shared container gets the node's CPUs minus the exclusive ones.  */
  h.req.millicpus = 0;
  h.usage[1].load = 100000;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_set_equal (p.cpus, "7");
  assert_set_equal (p.exclusive, "");
  nr_placement_free (&p);
  host_free (&h);
}

static void
a_partly_used_core_is_filled_before_a_whole_one_is_broken (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 1, 8, 16);
  h.config.cpu_exclusive = true;
  h.config.reserved_cpus = set_of ("0");
  h.req.millicpus = 3000;
  place (&h, &p);
  assert_set_equal (p.exclusive, "1-3"); /* core 2-3 whole, then 1 from core 0-1 */
  nr_placement_free (&p);
  host_free (&h);
}

static void
a_core_is_never_shared_by_two_exclusive_containers (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 1, 8, 16);
  h.config.cpu_exclusive = true;
  h.usage[0].exclusive = set_of ("0");
  h.usage[0].load = 1000;
  h.req.millicpus = 3000;
  place (&h, &p);
  /* CPU 1 is free but its core's other thread is held: core 2-3, then a
     thread of core 4-5.  */
  assert_set_equal (p.exclusive, "2-4");
  nr_placement_free (&p);
  host_free (&h);
}

static void
fractional_requests_and_sandboxes_share_the_pool (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 1, 4, 16);
  h.config.cpu_exclusive = true;
  h.req.millicpus = 1500;
  place (&h, &p);
  assert_set_equal (p.exclusive, "");
  assert_set_equal (p.cpus, "0-3");
  nr_placement_free (&p);
  h.req.millicpus = 2000;
  h.req.sandbox = true;
  place (&h, &p);
  assert_set_equal (p.exclusive, "");
  nr_placement_free (&p);
  host_free (&h);
}

static void
one_cpu_stays_shared_while_a_container_shares_the_pool (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 1, 4, 16);
  h.req.millicpus = 500;
  place (&h, &p);
  charge (&h, &p);
  nr_placement_free (&p);
  assert_int_equal (h.usage[0].sharing, 1);

  h.config.cpu_exclusive = true;
  h.config.policy = NR_POLICY_RESTRICTED;
  h.usage[0].load = 0; /* room enough by load: the pool decides */
  h.req.millicpus = 4000;
  REFUSED (&h, "3 exclusive CPUs free");
  host_free (&h);
}

static void
a_node_nobody_shares_gives_all_its_cpus (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 1, 4, 16);
  h.config.cpu_exclusive = true;
  h.config.policy = NR_POLICY_RESTRICTED;
  h.req.millicpus = 4000;
  place (&h, &p);
  assert_set_equal (p.exclusive, "0-3");
  charge (&h, &p);
  nr_placement_free (&p);
  assert_int_equal (h.usage[0].sharing, 0);

  /* A container sharing the pool comes later: it fits nowhere, and rather
     than fail it runs on the exclusive CPUs, saying so.  */
  h.config.cpu_exclusive = false;
  h.config.policy = NR_POLICY_BEST_EFFORT;
  h.req.millicpus = 0;
  place (&h, &p);
  assert_set_equal (p.cpus, "0-3");
  assert_non_null (strstr (p.warning, "no shared CPU left"));
  nr_placement_free (&p);
  host_free (&h);
}

static void
exclusive_cpus_that_cannot_be_held_fall_back_to_the_shared_pool (void **state)
{
  struct host h;
  struct nr_placement p;

  /* Two nodes of one core each: a core never goes to two exclusive
     containers, so the third one-CPU container fits nowhere and must
     still get CPUs.  */
  host_init (&h, 2, 2, 16);
  h.config.cpu_exclusive = true;
  h.req.millicpus = 1000;
  for (int i = 0; i < 2; i++)
    {
      place (&h, &p);
      assert_int_equal (nr_set_count (&p.exclusive), 1);
      charge (&h, &p);
      nr_placement_free (&p);
    }
  place (&h, &p);
  assert_false (nr_set_is_empty (&p.cpus));
  assert_set_equal (p.exclusive, "");
  assert_int_equal (p.load, 1000);
  assert_non_null (strstr (p.warning, "sharing the pool"));
  nr_placement_free (&p);
  host_free (&h);
}

static void
an_annotation_can_ask_for_exclusive_cpus (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 1, 4, 16);
  h.req.has_exclusive = true;
  h.req.exclusive = true;
  h.req.millicpus = 2000;
  place (&h, &p);
  assert_set_equal (p.exclusive, "0-1");
  nr_placement_free (&p);
  host_free (&h);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (an_integer_request_gets_whole_cores_to_itself),
    cmocka_unit_test (a_partly_used_core_is_filled_before_a_whole_one_is_broken),
    cmocka_unit_test (a_core_is_never_shared_by_two_exclusive_containers),
    cmocka_unit_test (fractional_requests_and_sandboxes_share_the_pool),
    cmocka_unit_test (one_cpu_stays_shared_while_a_container_shares_the_pool),
    cmocka_unit_test (a_node_nobody_shares_gives_all_its_cpus),
    cmocka_unit_test (exclusive_cpus_that_cannot_be_held_fall_back_to_the_shared_pool),
    cmocka_unit_test (an_annotation_can_ask_for_exclusive_cpus),
  };
  return cmocka_run_group_tests_name ("placement-cpus", tests, NULL, NULL);
}
