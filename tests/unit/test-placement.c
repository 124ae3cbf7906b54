/* Placement: which node, a pure function of topology, ledger usage, the
   request, its pod and the configuration.  Each test reads as one rule of
   the product.  The CPUs inside the node: test-placement-cpus.c; sets of
   nodes: test-placement-span.c.  */
#include <config.h>

#include "placement-smt-host.h"

/* ---- least loaded ------------------------------------------------------ */

static void
an_empty_host_places_on_the_lowest_node (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_set_equal (p.cpus, "0-3");
  assert_set_equal (p.exclusive, "");
  assert_int_equal (p.load, 100); /* a best-effort share */
  assert_null (p.warning);
  nr_placement_free (&p);
  host_free (&h);
}

static void
containers_without_limits_alternate_between_nodes (void **state)
{
  struct host h;
  struct nr_placement p;
  const char *expected[] = { "0", "1", "0", "1" };

  host_init (&h, 2, 4, 16);
  for (int i = 0; i < 4; i++)
    {
      place (&h, &p);
      assert_set_equal (p.nodes, expected[i]);
      charge (&h, &p);
      nr_placement_free (&p);
    }
  host_free (&h);
}

static void
the_least_loaded_node_wins (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 4, 2, 16);
  h.usage[0].load = 1500;
  h.usage[1].load = 500;
  h.usage[2].load = 500;
  h.usage[3].load = 1900;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  assert_set_equal (p.cpus, "2-3");
  nr_placement_free (&p);
  host_free (&h);
}

static void
memory_only_nodes_are_never_chosen (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 2, 16);
  nr_set_clear (&h.topo.nodes[0].cpus);
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  nr_placement_free (&p);
  host_free (&h);
}

/* ---- capacity ---------------------------------------------------------- */

static void
a_cpu_request_goes_where_it_fits_with_most_headroom (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 8, 16);
  h.req.millicpus = 4000;
  h.usage[0].load = 5000; /* 3 CPUs left: does not fit */
  h.usage[1].load = 2000;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  assert_int_equal (p.load, 4000);
  assert_int_equal (p.millicpus, 4000);
  nr_placement_free (&p);
  host_free (&h);
}

static void
memory_decides_when_cpus_are_equal (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 8, 64);
  h.req.memory = 40 * GiB;
  h.usage[0].memory = 30 * GiB;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  assert_int_equal (p.memory, 40 * GiB);
  nr_placement_free (&p);
  host_free (&h);
}

static void
reserved_cpus_and_memory_are_never_handed_out (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  h.config.reserved_cpus = set_of ("0-1");
  h.config.reserved_memory = 15 * GiB;
  h.req.memory = 2 * GiB;
  h.req.millicpus = 1000;
  /* node 0 has 1 GiB left after the reservation: node 1 is too (1 GiB),
     so nothing fits; node 1 is the one with more CPU room.  */
  h.config.policy = NR_POLICY_RESTRICTED;
  REFUSED (&h, "TopologyAffinityError", "container c1", "policy restricted", "fits on no node",
           "node 0:", "node 1:", "2.0 GiB memory");
  h.config.reserved_memory = 1 * GiB;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  nr_placement_free (&p);
  h.req.millicpus = 0;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_set_equal (p.cpus, "2-3"); /* reserved CPUs left out */
  nr_placement_free (&p);
  host_free (&h);
}

static void
hugepages_must_fit (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  h.topo.nodes[0].hugepages_total = 1 * GiB;
  h.topo.nodes[1].hugepages_total = 4 * GiB;
  h.req.hugepages = 2 * GiB;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  assert_int_equal (p.hugepages, 2 * GiB);
  nr_placement_free (&p);
  host_free (&h);
}

static void
fitting_nowhere_takes_the_least_loaded_node_with_a_warning (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  h.req.memory = 64 * GiB;
  h.usage[0].load = 3000;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  assert_non_null (strstr (p.warning, "fits nowhere"));
  nr_placement_free (&p);
  host_free (&h);
}

static void
restricted_refuses_what_fits_nowhere_naming_each_node (void **state)
{
  struct host h;

  host_init (&h, 2, 4, 16);
  h.config.policy = NR_POLICY_RESTRICTED;
  h.req.millicpus = 6000;
  h.req.memory = 8 * GiB;
  REFUSED (&h, "TopologyAffinityError: container c1 cannot be placed under policy restricted",
           "asked 6 CPUs, 8.0 GiB memory", "node 0: 4 CPUs, 16.0 GiB free", "node 1: 4 CPUs");
  host_free (&h);
}

static void
single_numa_node_refuses_what_needs_two_nodes (void **state)
{
  struct host h;

  host_init (&h, 2, 4, 16);
  h.config.policy = NR_POLICY_SINGLE_NUMA_NODE;
  h.req.millicpus = 6000;
  REFUSED (&h, "policy single-numa-node", "fits on no single node");
  h.req.millicpus = 1000;
  h.req.span = 2;
  REFUSED (&h, "span several nodes");
  host_free (&h);
}

/* ---- pods -------------------------------------------------------------- */

static void
a_pod_s_containers_follow_its_sandbox (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  h.usage[1].load = 3000;
  h.pod_nodes = set_of ("1");
  h.req.millicpus = 500;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  assert_int_equal (p.load, 500);
  nr_placement_free (&p);

  /* When the sandbox charged the whole pod, its containers charge nothing
     more.  */
  h.pod_reserved = true;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  assert_int_equal (p.load, 0);
  assert_int_equal (p.memory, 0);
  nr_placement_free (&p);
  host_free (&h);
}

static void
a_pod_node_without_room_is_refused_when_restricted (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  h.usage[1].load = 4000;
  h.pod_nodes = set_of ("1");
  h.req.millicpus = 1000;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  assert_non_null (strstr (p.warning, "does not fit on its pod's node(s) 1"));
  nr_placement_free (&p);
  h.config.policy = NR_POLICY_RESTRICTED;
  REFUSED (&h, "does not fit on its pod's node(s) 1");
  host_free (&h);
}

/* ---- device hints ------------------------------------------------------ */

static void
a_device_pulls_its_container_to_its_node (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  h.usage[1].load = 2000;
  nr_request_add_hint (&h.req, 1, "device /dev/nvme1n1 (259:2)");
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  assert_set_equal (p.cpus, "4-7");
  assert_null (p.warning);
  nr_placement_free (&p);
  host_free (&h);
}

static void
devices_on_several_nodes_span_exactly_those_nodes (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  nr_request_add_hint (&h.req, 0, "gpu /dev/nvidia0");
  nr_request_add_hint (&h.req, 1, "gpu /dev/nvidia1");
  nr_request_add_hint (&h.req, 1, "nic ens1f0");
  place (&h, &p);
  assert_set_equal (p.nodes, "0-1");
  assert_set_equal (p.mems, "0-1");
  /* CPUs in proportion: node 1 (two devices) all, node 0 (one) half.  */
  assert_set_equal (p.cpus, "0-1,4-7");
  assert_null (p.warning);
  nr_placement_free (&p);
  host_free (&h);
}

static void
spanning_devices_leaves_out_nodes_without_devices (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 3, 4, 16);
  h.usage[0].load = 1000;
  nr_request_add_hint (&h.req, 0, "gpu /dev/nvidia0");
  nr_request_add_hint (&h.req, 1, "gpu /dev/nvidia1");
  place (&h, &p);
  assert_set_equal (p.nodes, "0-1"); /* node 2 is emptier but has no device */
  nr_placement_free (&p);
  host_free (&h);
}

static void
single_numa_node_refuses_devices_on_several_nodes (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  h.config.policy = NR_POLICY_SINGLE_NUMA_NODE;
  nr_request_add_hint (&h.req, 0, "volume /data (md0)");
  nr_request_add_hint (&h.req, 1, "volume /data (md0)");
  REFUSED (&h, "devices sit on nodes 0-1 and no node holds all of them",
           "volume /data (md0) on node 0", "volume /data (md0) on node 1");
  h.config.policy = NR_POLICY_RESTRICTED;
  place (&h, &p);
  assert_set_equal (p.nodes, "0-1");
  nr_placement_free (&p);
  host_free (&h);
}

static void
a_full_device_node_is_refused_when_strict (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  h.usage[1].load = 4000;
  h.req.millicpus = 1000;
  nr_request_add_hint (&h.req, 1, "nic ens1f0");
  h.config.policy = NR_POLICY_SINGLE_NUMA_NODE;
  REFUSED (&h, "does not fit on its devices' node", "has devices");
  h.config.policy = NR_POLICY_BEST_EFFORT;
  place (&h, &p);
  assert_non_null (p.warning);
  nr_placement_free (&p);
  host_free (&h);
}

static void
hints_on_unknown_nodes_are_ignored (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  h.usage[0].load = 500;
  nr_request_add_hint (&h.req, 7, "device on a node that is offline");
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  nr_placement_free (&p);
  host_free (&h);
}

/* ---- kubelet, annotations ---------------------------------------------- */

static void
kubelet_s_cpuset_is_kept_and_its_node_derived (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  h.req.has_cpus = true;
  h.req.cpus = set_of ("5-6");
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  assert_true (p.keep_cpus);
  assert_false (p.keep_mems);
  nr_placement_free (&p);

  h.config.kubelet_override = true;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_false (p.keep_cpus);
  nr_placement_free (&p);
  host_free (&h);
}

static void
kubelet_s_mems_alone_name_the_node (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  h.req.has_mems = true;
  h.req.mems = set_of ("1");
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  assert_set_equal (p.cpus, "4-7");
  assert_true (p.keep_mems);
  nr_placement_free (&p);
  host_free (&h);
}

static void
an_annotation_pins_nodes (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 4, 16);
  h.usage[1].load = 3000;
  h.req.nodes_wanted = set_of ("1");
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  nr_placement_free (&p);
  h.req.nodes_wanted = set_of ("5");
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_non_null (strstr (p.warning, "no such node"));
  nr_placement_free (&p);
  h.req.has_policy = true;
  h.req.policy = NR_POLICY_RESTRICTED;
  REFUSED (&h, "requested nodes do not exist");
  host_free (&h);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (an_empty_host_places_on_the_lowest_node),
    cmocka_unit_test (containers_without_limits_alternate_between_nodes),
    cmocka_unit_test (the_least_loaded_node_wins),
    cmocka_unit_test (memory_only_nodes_are_never_chosen),
    cmocka_unit_test (a_cpu_request_goes_where_it_fits_with_most_headroom),
    cmocka_unit_test (memory_decides_when_cpus_are_equal),
    cmocka_unit_test (reserved_cpus_and_memory_are_never_handed_out),
    cmocka_unit_test (hugepages_must_fit),
    cmocka_unit_test (fitting_nowhere_takes_the_least_loaded_node_with_a_warning),
    cmocka_unit_test (restricted_refuses_what_fits_nowhere_naming_each_node),
    cmocka_unit_test (single_numa_node_refuses_what_needs_two_nodes),
    cmocka_unit_test (a_pod_s_containers_follow_its_sandbox),
    cmocka_unit_test (a_pod_node_without_room_is_refused_when_restricted),
    cmocka_unit_test (a_device_pulls_its_container_to_its_node),
    cmocka_unit_test (devices_on_several_nodes_span_exactly_those_nodes),
    cmocka_unit_test (spanning_devices_leaves_out_nodes_without_devices),
    cmocka_unit_test (single_numa_node_refuses_devices_on_several_nodes),
    cmocka_unit_test (a_full_device_node_is_refused_when_strict),
    cmocka_unit_test (hints_on_unknown_nodes_are_ignored),
    cmocka_unit_test (kubelet_s_cpuset_is_kept_and_its_node_derived),
    cmocka_unit_test (kubelet_s_mems_alone_name_the_node),
    cmocka_unit_test (an_annotation_pins_nodes),
  };
  return cmocka_run_group_tests_name ("placement", tests, NULL, NULL);
}
