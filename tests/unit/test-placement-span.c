/* Placement: a container too big for one node, or whose devices are on
   several, gets a set of nodes; which nodes join it, and how its CPUs are
   spread over them.  Each test reads as one rule of the product.  */
#include <config.h>

#include "placement-smt-host.h"

static void
too_big_for_one_node_spans_the_closest_nodes_under_best_effort (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 4, 4, 16);
  set_distance (&h, 0, 1, 32);
  set_distance (&h, 0, 2, 12);
  set_distance (&h, 0, 3, 32);
  set_distance (&h, 1, 2, 32);
  set_distance (&h, 1, 3, 12);
  set_distance (&h, 2, 3, 32);
  h.req.millicpus = 6000;
  place (&h, &p);
  assert_set_equal (p.nodes, "0,2");
  assert_set_equal (p.cpus, "0-3,8-11");
  assert_non_null (strstr (p.warning, "spanning 2 nodes"));
  nr_placement_free (&p);
  host_free (&h);
}

/* ---- spanning, distribute ---------------------------------------------- */

static void
asked_to_span_two_nodes_takes_the_closest_pair (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 8, 4, 16);
  for (int a = 0; a < 8; a++)
    for (int b = a + 1; b < 8; b++)
      set_distance (&h, a, b, (a / 4 == b / 4) ? 16 : 32);
  set_distance (&h, 5, 6, 12);
  h.req.span = 2;
  place (&h, &p);
  assert_set_equal (p.nodes, "5-6");
  assert_set_equal (p.cpus, "20-27");
  nr_placement_free (&p);
  host_free (&h);
}

static void
spanning_prefers_the_nodes_holding_the_devices (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 4, 4, 16);
  h.req.span = 2;
  nr_request_add_hint (&h.req, 2, "nvme");
  nr_request_add_hint (&h.req, 3, "nic");
  place (&h, &p);
  assert_set_equal (p.nodes, "2-3");
  nr_placement_free (&p);
  host_free (&h);
}

static void
distribute_spreads_exclusive_cpus_evenly_and_interleaves (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 8, 16);
  h.config.cpu_exclusive = true;
  h.config.spread = NR_SPREAD_DISTRIBUTE;
  h.req.span = 2;
  h.req.millicpus = 6000;
  place (&h, &p);
  assert_set_equal (p.nodes, "0-1");
  assert_set_equal (p.exclusive, "0-2,8-10");
  assert_true (p.interleave);
  nr_placement_free (&p);

  h.config.spread = NR_SPREAD_PACK;
  place (&h, &p);
  assert_set_equal (p.exclusive, "0-5");
  assert_false (p.interleave);
  nr_placement_free (&p);
  host_free (&h);
}

static void
distribute_gives_a_shared_container_the_same_count_per_node (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  h.req.has_spread = true;
  h.req.spread = NR_SPREAD_DISTRIBUTE;
  h.req.span = 2;
  h.usage[0].exclusive = set_of ("0-1");
  place (&h, &p);
  assert_set_equal (p.cpus, "2-5");
  nr_placement_free (&p);
  host_free (&h);
}

/* ---- too big for one node: which nodes ---------------------------------- */

/* Four nodes of 4 CPUs in two pairs: 0 and 1 close (12), 2 and 3 close,
   the pairs far apart (32).  */
static void
two_close_pairs (struct host *h)
{
  host_init (h, 4, 4, 16);
  for (int a = 0; a < 4; a++)
    for (int b = a + 1; b < 4; b++)
      set_distance (h, a, b, a / 2 == b / 2 ? 12 : 32);
}

static void
a_spanning_set_takes_a_farther_node_with_room_before_a_closer_full_one (void **state)
{
  struct host h;
  struct nr_placement p;

  /* Two pairs of close nodes; one node of each pair is full.  */
  two_close_pairs (&h);
  hold (&h, 1, "4-7");
  hold (&h, 3, "12-15");
  h.config.cpu_exclusive = true;
  h.req.millicpus = 6000;
  place (&h, &p);
  /* Three CPUs each can spare: two nodes, not a full neighbour as third.  */
  assert_set_equal (p.nodes, "0,2");
  assert_int_equal (nr_set_count (&p.exclusive), 6);
  assert_non_null (strstr (p.warning, "spanning 2 nodes"));
  nr_placement_free (&p);
  host_free (&h);
}

static void
a_spanning_set_takes_the_roomiest_nodes_at_equal_distance (void **state)
{
  struct host h;
  struct nr_placement p;

  /* Eight equally distant nodes: six with two CPUs to spare, 6 and 7
     with four.  */
  host_init (&h, 8, 4, 16);
  for (int i = 0; i < 6; i++)
    {
      char held[16];
      snprintf (held, sizeof (held), "%d-%d", i * 4, i * 4 + 1);
      hold (&h, i, held);
    }
  h.config.cpu_exclusive = true;
  h.req.millicpus = 8000;
  place (&h, &p);
  assert_set_equal (p.nodes, "6-7");
  assert_set_equal (p.exclusive, "24-31");
  nr_placement_free (&p);
  host_free (&h);
}

static void
where_every_closest_set_falls_short_the_roomiest_set_still_fits (void **state)
{
  struct host h;
  struct nr_placement p;

  /* Two pairs of close nodes, each pair one roomy node (0, 2) and one
     half full (1, 3): every pair falls short of 8, the two roomy nodes
     across the pairs hold it.  */
  two_close_pairs (&h);
  hold (&h, 1, "4-5");
  hold (&h, 3, "12-13");
  h.config.cpu_exclusive = true;
  h.req.millicpus = 8000;
  place (&h, &p);
  assert_set_equal (p.nodes, "0,2");
  assert_set_equal (p.exclusive, "0-3,8-11");
  nr_placement_free (&p);
  host_free (&h);
}

/* Past the first eight nodes the rest join in one sorted pass: still the
   closest.  Nodes 0 and 1 are far from every node; the ten others hold a
   container of ten nodes' worth together.  */
static void
a_set_of_many_nodes_still_grows_by_the_closest (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 12, 2, 4);
  for (int a = 0; a < 12; a++)
    for (int b = a + 1; b < 12; b++)
      set_distance (&h, a, b, a < 2 ? 40 : 21);
  h.req.millicpus = 19000;
  place (&h, &p);
  assert_set_equal (p.nodes, "2-11");
  assert_non_null (strstr (p.warning, "spanning 10 nodes"));
  nr_placement_free (&p);
  host_free (&h);
}

static void
exclusive_cpus_on_several_nodes_come_from_the_roomiest_first (void **state)
{
  struct host h;
  struct nr_placement p;

  /* Asked for nodes 0 and 1; node 0 can spare two CPUs, node 1 four: all
     four from node 1, not two from each.  */
  host_init (&h, 2, 4, 16);
  hold (&h, 0, "0-1");
  h.req.nodes_wanted = set_of ("0-1");
  h.config.cpu_exclusive = true;
  h.req.millicpus = 4000;
  place (&h, &p);
  assert_set_equal (p.nodes, "0-1");
  assert_set_equal (p.exclusive, "4-7");
  nr_placement_free (&p);
  host_free (&h);
}

/* Then each node is charged for the CPUs it gave: node 0, which gave
   none, still has room for two more exclusive CPUs (charged half of the
   four, as an even share would, it had none).  */
static void
a_spanning_exclusive_container_leaves_room_where_it_took_no_cpu (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  hold (&h, 0, "0-1");
  h.req.nodes_wanted = set_of ("0-1");
  h.config.cpu_exclusive = true;
  h.req.millicpus = 4000;
  place (&h, &p);
  assert_set_equal (p.exclusive, "4-7");
  charge (&h, &p);
  nr_placement_free (&p);

  h.req.id = "c2";
  nr_set_clear (&h.req.nodes_wanted);
  h.req.millicpus = 2000;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_set_equal (p.exclusive, "2-3");
  nr_placement_free (&p);
  host_free (&h);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (too_big_for_one_node_spans_the_closest_nodes_under_best_effort),
    cmocka_unit_test (asked_to_span_two_nodes_takes_the_closest_pair),
    cmocka_unit_test (spanning_prefers_the_nodes_holding_the_devices),
    cmocka_unit_test (distribute_spreads_exclusive_cpus_evenly_and_interleaves),
    cmocka_unit_test (distribute_gives_a_shared_container_the_same_count_per_node),
    cmocka_unit_test (a_spanning_set_takes_a_farther_node_with_room_before_a_closer_full_one),
    cmocka_unit_test (a_spanning_set_takes_the_roomiest_nodes_at_equal_distance),
    cmocka_unit_test (where_every_closest_set_falls_short_the_roomiest_set_still_fits),
    cmocka_unit_test (a_set_of_many_nodes_still_grows_by_the_closest),
    cmocka_unit_test (exclusive_cpus_on_several_nodes_come_from_the_roomiest_first),
    cmocka_unit_test (a_spanning_exclusive_container_leaves_room_where_it_took_no_cpu),
  };
  return cmocka_run_group_tests_name ("placement-span", tests, NULL, NULL);
}
