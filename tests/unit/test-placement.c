/* Placement: a pure function of topology, ledger usage, the request, its
   pod and the configuration.  Each test reads as one rule of the product.  */
#include <config.h>

#include "placement-fixtures.h"

/* A host: NODES nodes of CPUS CPUs each (consecutive numbers, SMT pairs
   2k/2k+1 as siblings), MEM_GIB each, 21 between nodes (10 local).  */
static void
host_init (struct host *h, int nodes, int cpus, int mem_gib)
{
  int n_cpus = nodes * cpus;

  host_alloc (h, nodes);
  h->topo.n_siblings = n_cpus;
  h->topo.thread_siblings = xmalloc0 ((size_t) n_cpus * sizeof (nr_set_t));
  for (int i = 0; i < nodes; i++)
    {
      h->topo.nodes[i].memory_total = (uint64_t) mem_gib * GiB;
      for (int c = 0; c < cpus; c++)
        nr_set_add (&h->topo.nodes[i].cpus, i * cpus + c);
      for (int j = 0; j < nodes; j++)
        h->topo.distance[i * nodes + j] = i == j ? 10 : 21;
    }
  for (int c = 0; c < n_cpus; c++)
    {
      nr_set_add (&h->topo.online_cpus, c);
      nr_set_add (&h->topo.thread_siblings[c], c);
      nr_set_add (&h->topo.thread_siblings[c], c ^ 1);
    }
}

/* Record placement P in the host's usage as the ledger does.  */
static void
charge (struct host *h, const struct nr_placement *p)
{
  struct nr_ledger_entry e = { .nodes = p->nodes,
                               .exclusive = p->exclusive,
                               .load = p->load,
                               .millicpus = p->millicpus,
                               .memory = p->memory,
                               .hugepages = p->hugepages };
  nr_usage_account (h->usage, (size_t) h->topo.n_nodes, &e, +1);
}

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

/* Node index I of H holds the CPUs of HELD exclusively (a ledger entry
   charged a CPU's load for each).  */
static void
hold (struct host *h, int i, const char *held)
{
  h->usage[i].exclusive = set_of (held);
  h->usage[i].load = (int64_t) nr_set_count (&h->usage[i].exclusive) * 1000;
}

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
    cmocka_unit_test (too_big_for_one_node_spans_the_closest_nodes_under_best_effort),
    cmocka_unit_test (fitting_nowhere_takes_the_least_loaded_node_with_a_warning),
    cmocka_unit_test (restricted_refuses_what_fits_nowhere_naming_each_node),
    cmocka_unit_test (single_numa_node_refuses_what_needs_two_nodes),
    cmocka_unit_test (an_integer_request_gets_whole_cores_to_itself),
    cmocka_unit_test (a_partly_used_core_is_filled_before_a_whole_one_is_broken),
    cmocka_unit_test (a_core_is_never_shared_by_two_exclusive_containers),
    cmocka_unit_test (fractional_requests_and_sandboxes_share_the_pool),
    cmocka_unit_test (one_cpu_stays_shared_while_a_container_shares_the_pool),
    cmocka_unit_test (a_node_nobody_shares_gives_all_its_cpus),
    cmocka_unit_test (exclusive_cpus_that_cannot_be_held_fall_back_to_the_shared_pool),
    cmocka_unit_test (an_annotation_can_ask_for_exclusive_cpus),
    cmocka_unit_test (a_pod_s_containers_follow_its_sandbox),
    cmocka_unit_test (a_pod_node_without_room_is_refused_when_restricted),
    cmocka_unit_test (a_device_pulls_its_container_to_its_node),
    cmocka_unit_test (devices_on_several_nodes_span_exactly_those_nodes),
    cmocka_unit_test (spanning_devices_leaves_out_nodes_without_devices),
    cmocka_unit_test (single_numa_node_refuses_devices_on_several_nodes),
    cmocka_unit_test (a_full_device_node_is_refused_when_strict),
    cmocka_unit_test (hints_on_unknown_nodes_are_ignored),
    cmocka_unit_test (a_spanning_set_takes_a_farther_node_with_room_before_a_closer_full_one),
    cmocka_unit_test (a_spanning_set_takes_the_roomiest_nodes_at_equal_distance),
    cmocka_unit_test (where_every_closest_set_falls_short_the_roomiest_set_still_fits),
    cmocka_unit_test (exclusive_cpus_on_several_nodes_come_from_the_roomiest_first),
    cmocka_unit_test (asked_to_span_two_nodes_takes_the_closest_pair),
    cmocka_unit_test (spanning_prefers_the_nodes_holding_the_devices),
    cmocka_unit_test (distribute_spreads_exclusive_cpus_evenly_and_interleaves),
    cmocka_unit_test (distribute_gives_a_shared_container_the_same_count_per_node),
    cmocka_unit_test (kubelet_s_cpuset_is_kept_and_its_node_derived),
    cmocka_unit_test (kubelet_s_mems_alone_name_the_node),
    cmocka_unit_test (an_annotation_pins_nodes),
  };
  return cmocka_run_group_tests_name ("placement", tests, NULL, NULL);
}
