/* Placement of a pod by its devices (placement_pod.c): a pod whose
   container brings a device on another node moves there with it, and a
   container whose devices sit on several nodes spans exactly those.  Each
   test reads as one rule; the policies are tested where they differ.  */
#include <config.h>

#include "placement-fixtures.h"

#include "counters.h"

/* Two nodes of four CPUs (0-3, 4-7) and 16 GiB each.  */
static void
two_nodes (struct host *h)
{
  host_alloc (h, 2);
  for (int i = 0; i < 2; i++)
    {
      h->topo.nodes[i].memory_total = (uint64_t) 16 * GiB;
      for (int c = 0; c < 4; c++)
        nr_set_add (&h->topo.nodes[i].cpus, i * 4 + c);
      for (int j = 0; j < 2; j++)
        h->topo.distance[i * 2 + j] = i == j ? 10 : 21;
    }
}

/* An entry of pod "pod" on NODES with CPUS, charged in the host's usage.  */
static void
pod_entry (struct host *h, struct nr_ledger_entry *e, const char *id, const char *nodes,
           const char *cpus, int64_t millicpus, bool sandbox)
{
  memset (e, 0, sizeof (*e));
  e->id = (char *) id;
  e->pod = (char *) "pod";
  e->root = (char *) "/run/runc";
  /* Every owned string set: a moved entry must copy each (it is freed on
     its own, with the placement).  */
  e->cgroup = (char *) "kubepods.slice:cri-containerd:x";
  e->pinned_by = (char *) "env NUMA_NODE";
  e->sandbox = sandbox;
  e->nodes = set_of (nodes);
  e->mems = e->nodes;
  e->cpus = set_of (cpus);
  e->millicpus = millicpus;
  e->load = millicpus > 0 ? millicpus : 100;
  e->memory = GiB;
  e->memory_local = GiB;
  nr_usage_account (h->usage, (size_t) h->topo.n_nodes, e, +1);
}

static int
place_pod (struct host *h, const struct nr_ledger_entry *entries, size_t n,
           struct nr_placement *out, nr_error_t *err)
{
  struct nr_placement_input in = { .topo = &h->topo,
                                   .usage = h->usage,
                                   .req = &h->req,
                                   .config = &h->config,
                                   .pod_nodes = h->pod_nodes,
                                   .pod_reserved = h->pod_reserved,
                                   .pod_entries = entries,
                                   .n_pod_entries = n };
  return nr_place (&in, out, err);
}

/* A sandbox on node 0 and a container of its pod given a device on node
   1, under POLICY.  */
static void
sandbox_on_0_device_on_1 (struct host *h, struct nr_ledger_entry *sandbox, enum nr_policy policy)
{
  two_nodes (h);
  h->config.policy = policy;
  pod_entry (h, sandbox, "sb", "0", "0-3", 0, true);
  h->pod_nodes = set_of ("0");
  h->req.pod = xstrdup ("pod");
  h->req.millicpus = 1000;
  nr_request_add_hint (&h->req, 1, "device /dev/nvme1n1");
}

static void
a_pod_moves_to_its_container_s_device_node_under_every_policy (void **state)
{
  static const enum nr_policy policies[] = { NR_POLICY_BEST_EFFORT, NR_POLICY_RESTRICTED,
                                             NR_POLICY_SINGLE_NUMA_NODE };

  for (size_t k = 0; k < sizeof (policies) / sizeof (policies[0]); k++)
    {
      struct host h;
      struct nr_ledger_entry sandbox;
      struct nr_placement p;
      nr_error_t err = NULL;

      sandbox_on_0_device_on_1 (&h, &sandbox, policies[k]);
      assert_int_equal (place_pod (&h, &sandbox, 1, &p, &err), 0);
      assert_set_equal (p.nodes, "1");
      assert_set_equal (p.cpus, "4-7");
      assert_null (p.warning);
      /* The sandbox is re-placed on node 1: the rest of the pod follows.  */
      assert_int_equal (p.n_moved, 1);
      assert_string_equal (p.moved[0].id, "sb");
      assert_string_equal (p.moved[0].root, "/run/runc");
      assert_string_equal (p.moved[0].cgroup, sandbox.cgroup);
      assert_ptr_not_equal (p.moved[0].cgroup, sandbox.cgroup);
      assert_string_equal (p.moved[0].pinned_by, sandbox.pinned_by);
      assert_ptr_not_equal (p.moved[0].pinned_by, sandbox.pinned_by);
      assert_true (p.moved[0].sandbox);
      assert_set_equal (p.moved[0].nodes, "1");
      assert_set_equal (p.moved[0].mems, "1");
      assert_set_equal (p.moved[0].cpus, "4-7");
      assert_int_equal (p.moved[0].memory, GiB);
      assert_int_equal (nr_outcome_of (&h.topo, &h.req, policies[k], &p), NR_OUTCOME_POD_MOVED);
      nr_placement_free (&p);
      host_free (&h);
    }
}

static void
a_device_on_the_pod_s_node_moves_nothing (void **state)
{
  struct host h;
  struct nr_ledger_entry sandbox;
  struct nr_placement p;
  nr_error_t err = NULL;

  sandbox_on_0_device_on_1 (&h, &sandbox, NR_POLICY_SINGLE_NUMA_NODE);
  h.req.hints[0].node = 0;
  assert_int_equal (place_pod (&h, &sandbox, 1, &p, &err), 0);
  assert_set_equal (p.nodes, "0");
  assert_int_equal (p.n_moved, 0);
  assert_int_equal (nr_outcome_of (&h.topo, &h.req, NR_POLICY_SINGLE_NUMA_NODE, &p),
                    NR_OUTCOME_DEVICE_ALIGNED);
  nr_placement_free (&p);
  host_free (&h);
}

/* Node 1 busy with 3.5 CPUs of other containers: the 1-CPU container
   alone would not fit there.  */
static void
busy_device_node (struct host *h)
{
  struct nr_ledger_entry other = { .nodes = set_of ("1"), .load = 3500, .millicpus = 3500 };
  nr_usage_account (h->usage, 2, &other, +1);
}

static void
a_pod_that_does_not_fit_on_the_device_node_stays_only_under_best_effort (void **state)
{
  struct host h;
  struct nr_ledger_entry sandbox;
  struct nr_placement p;
  nr_error_t err = NULL;

  sandbox_on_0_device_on_1 (&h, &sandbox, NR_POLICY_BEST_EFFORT);
  busy_device_node (&h);
  assert_int_equal (place_pod (&h, &sandbox, 1, &p, &err), 0);
  assert_set_equal (p.nodes, "0");
  assert_int_equal (p.n_moved, 0);
  assert_non_null (strstr (p.warning, "its pod does not fit on its devices' node(s) 1"));
  nr_placement_free (&p);

  /* Never a device container off its node with only a warning.  */
  h.config.policy = NR_POLICY_RESTRICTED;
  h.pod_nodes = set_of ("0");
  assert_int_equal (place_pod (&h, &sandbox, 1, &p, &err), -1);
  assert_non_null (strstr (err->msg, "TopologyAffinityError"));
  assert_non_null (strstr (err->msg, "its pod does not fit on its devices' node(s) 1"));
  assert_non_null (strstr (err->msg, "device /dev/nvme1n1 on node 1"));
  nr_error_release (&err);
  h.config.policy = NR_POLICY_SINGLE_NUMA_NODE;
  assert_int_equal (place_pod (&h, &sandbox, 1, &p, &err), -1);
  assert_non_null (strstr (err->msg, "device /dev/nvme1n1 on node 1"));
  nr_error_release (&err);
  host_free (&h);
}

static void
the_whole_pod_must_fit_where_it_moves (void **state)
{
  struct host h;
  struct nr_ledger_entry entries[2];
  struct nr_placement p;
  nr_error_t err = NULL;

  /* A 2-CPU container of the pod on node 0 already: 1 (new) + 2 does not
     fit in the 2.5 CPUs node 1 has left, although the new one would.  */
  sandbox_on_0_device_on_1 (&h, &entries[0], NR_POLICY_SINGLE_NUMA_NODE);
  pod_entry (&h, &entries[1], "app1", "0", "0-3", 2000, false);
  {
    struct nr_ledger_entry other = { .nodes = set_of ("1"), .load = 1500, .millicpus = 1500 };
    nr_usage_account (h.usage, 2, &other, +1);
  }
  assert_int_equal (place_pod (&h, entries, 2, &p, &err), -1);
  assert_non_null (strstr (err->msg, "its pod does not fit"));
  nr_error_release (&err);

  /* With room for all of it, both entries move.  */
  {
    struct nr_ledger_entry other = { .nodes = set_of ("1"), .load = 1500, .millicpus = 1500 };
    nr_usage_account (h.usage, 2, &other, -1);
  }
  assert_int_equal (place_pod (&h, entries, 2, &p, &err), 0);
  assert_int_equal (p.n_moved, 2);
  for (size_t i = 0; i < 2; i++)
    assert_set_equal (p.moved[i].nodes, "1");
  nr_placement_free (&p);
  host_free (&h);
}

static void
a_sandbox_charging_the_whole_pod_must_fit_where_it_moves (void **state)
{
  struct host h;
  struct nr_ledger_entry sandbox;
  struct nr_placement p;
  nr_error_t err = NULL;

  /* The sandbox charges 3 CPUs for the pod, so its containers charge
     nothing more; node 1 has 2.5 left.  */
  two_nodes (&h);
  h.config.policy = NR_POLICY_RESTRICTED;
  pod_entry (&h, &sandbox, "sb", "0", "0-3", 3000, true);
  h.pod_nodes = set_of ("0");
  h.pod_reserved = true;
  h.req.pod = xstrdup ("pod");
  h.req.millicpus = 1000;
  nr_request_add_hint (&h.req, 1, "device /dev/nvme1n1");
  {
    struct nr_ledger_entry other = { .nodes = set_of ("1"), .load = 1500, .millicpus = 1500 };
    nr_usage_account (h.usage, 2, &other, +1);
  }
  assert_int_equal (place_pod (&h, &sandbox, 1, &p, &err), -1);
  assert_non_null (strstr (err->msg, "its pod does not fit"));
  nr_error_release (&err);
  host_free (&h);
}

static void
a_pod_entry_holding_cpus_exclusively_gets_as_many_on_the_new_node (void **state)
{
  struct host h;
  struct nr_ledger_entry entries[2];
  struct nr_placement p;
  nr_error_t err = NULL;

  sandbox_on_0_device_on_1 (&h, &entries[0], NR_POLICY_RESTRICTED);
  pod_entry (&h, &entries[1], "pinned", "0", "1-2", 2000, false);
  entries[1].exclusive = set_of ("1-2");
  entries[1].load = 2000;
  h.usage[0].exclusive = set_of ("1-2");
  assert_int_equal (place_pod (&h, entries, 2, &p, &err), 0);
  /* Exclusive entries first: "pinned" takes 2 of node 1's CPUs, which the
     sandbox and the new container then do not share.  */
  assert_string_equal (p.moved[0].id, "pinned");
  assert_int_equal (nr_set_count (&p.moved[0].exclusive), 2);
  assert_true (nr_set_is_subset (&p.moved[0].exclusive, &h.topo.nodes[1].cpus));
  assert_false (nr_set_intersects (&p.moved[1].cpus, &p.moved[0].exclusive));
  assert_false (nr_set_intersects (&p.cpus, &p.moved[0].exclusive));
  nr_placement_free (&p);
  host_free (&h);
}

static void
a_pod_with_kubelet_s_cpuset_does_not_move (void **state)
{
  struct host h;
  struct nr_ledger_entry entries[2];
  struct nr_placement p;
  nr_error_t err = NULL;

  sandbox_on_0_device_on_1 (&h, &entries[0], NR_POLICY_BEST_EFFORT);
  pod_entry (&h, &entries[1], "kubelets", "0", "2-3", 2000, false);
  entries[1].kubelet_cpus = true;
  assert_int_equal (place_pod (&h, entries, 2, &p, &err), 0);
  assert_set_equal (p.nodes, "0");
  assert_int_equal (p.n_moved, 0);
  assert_non_null (strstr (p.warning, "kubelets keeps the cpuset kubelet gave it"));
  nr_placement_free (&p);
  h.config.policy = NR_POLICY_RESTRICTED;
  assert_int_equal (place_pod (&h, entries, 2, &p, &err), -1);
  assert_non_null (strstr (err->msg, "kubelets keeps the cpuset kubelet gave it"));
  nr_error_release (&err);
  host_free (&h);
}

static void
without_its_entries_the_pod_cannot_move_and_strict_policies_say_so (void **state)
{
  struct host h;
  struct nr_ledger_entry sandbox;
  struct nr_placement p;
  nr_error_t err = NULL;

  /* The caller found no entry (an unreadable ledger): the container
     follows its pod, as before, with the old warning.  */
  sandbox_on_0_device_on_1 (&h, &sandbox, NR_POLICY_BEST_EFFORT);
  assert_int_equal (place_pod (&h, NULL, 0, &p, &err), 0);
  assert_set_equal (p.nodes, "0");
  assert_non_null (strstr (p.warning, "away from its devices' node(s)"));
  nr_placement_free (&p);
  h.config.policy = NR_POLICY_RESTRICTED;
  assert_int_equal (place_pod (&h, NULL, 0, &p, &err), -1);
  assert_non_null (strstr (err->msg, "cannot be moved"));
  nr_error_release (&err);
  host_free (&h);
}

/* ---- devices on several nodes ------------------------------------------ */

/* A container (no pod) with devices: two on node 0, one on node 1.  */
static void
devices_on_both_nodes (struct host *h, enum nr_policy policy)
{
  two_nodes (h);
  h->config.policy = policy;
  nr_request_add_hint (&h->req, 0, "gpu /dev/nvidia0");
  nr_request_add_hint (&h->req, 0, "gpu /dev/nvidia2");
  nr_request_add_hint (&h->req, 1, "gpu /dev/nvidia1");
}

static void
devices_on_two_nodes_span_both_with_cpus_in_proportion (void **state)
{
  static const enum nr_policy policies[] = { NR_POLICY_BEST_EFFORT, NR_POLICY_RESTRICTED };

  for (size_t k = 0; k < 2; k++)
    {
      struct host h;
      struct nr_placement p;

      devices_on_both_nodes (&h, policies[k]);
      place (&h, &p);
      assert_set_equal (p.nodes, "0-1");
      assert_set_equal (p.mems, "0-1");
      /* Node 0 (two devices) gives its 4 CPUs, node 1 (one) half of its.  */
      assert_set_equal (p.cpus, "0-5");
      assert_null (p.warning);
      nr_placement_free (&p);
      host_free (&h);
    }
}

static void
exclusive_cpus_are_split_in_proportion_to_the_devices (void **state)
{
  struct host h;
  struct nr_placement p;

  devices_on_both_nodes (&h, NR_POLICY_RESTRICTED);
  h.config.cpu_exclusive = true;
  h.req.millicpus = 3000;
  place (&h, &p);
  assert_set_equal (p.nodes, "0-1");
  assert_int_equal (nr_set_count (&p.exclusive), 3);
  {
    nr_set_t on0 = p.exclusive;
    nr_set_intersect (&on0, &h.topo.nodes[0].cpus);
    assert_int_equal (nr_set_count (&on0), 2);
  }
  nr_placement_free (&p);
  host_free (&h);
}

static void
devices_on_two_nodes_are_refused_under_single_numa_node (void **state)
{
  struct host h;

  devices_on_both_nodes (&h, NR_POLICY_SINGLE_NUMA_NODE);
  REFUSED (&h, "TopologyAffinityError", "its devices sit on nodes 0-1",
           "gpu /dev/nvidia0 on node 0", "gpu /dev/nvidia1 on node 1");
  host_free (&h);
}

static void
devices_on_two_nodes_without_room_there (void **state)
{
  struct host h;
  struct nr_placement p;

  devices_on_both_nodes (&h, NR_POLICY_BEST_EFFORT);
  h.req.memory = 40 * GiB; /* more than both nodes hold */
  place (&h, &p);
  /* best-effort: the node holding most of them, with a warning */
  assert_set_equal (p.nodes, "0");
  assert_non_null (strstr (p.warning, "does not fit on its devices' nodes 0-1"));
  nr_placement_free (&p);
  h.config.policy = NR_POLICY_RESTRICTED;
  REFUSED (&h, "it does not fit on its devices' nodes 0-1");
  host_free (&h);
}

static void
a_pod_moves_to_span_its_container_s_devices_except_under_single_numa_node (void **state)
{
  struct host h;
  struct nr_ledger_entry sandbox;
  struct nr_placement p;
  nr_error_t err = NULL;

  sandbox_on_0_device_on_1 (&h, &sandbox, NR_POLICY_RESTRICTED);
  nr_request_add_hint (&h.req, 0, "device /dev/nvme0n1");
  /* node 0 is the pod's already; node 1 is new: the pod spans both.  */
  assert_int_equal (place_pod (&h, &sandbox, 1, &p, &err), 0);
  assert_set_equal (p.nodes, "0-1");
  assert_set_equal (p.moved[0].nodes, "0-1");
  nr_placement_free (&p);
  h.config.policy = NR_POLICY_SINGLE_NUMA_NODE;
  assert_int_equal (place_pod (&h, &sandbox, 1, &p, &err), -1);
  assert_non_null (strstr (err->msg, "its devices sit on nodes 0-1"));
  nr_error_release (&err);
  host_free (&h);
}

/* The pod's sandbox and a container holding a device on node 0, all on
   node 0; then a container of the pod given a device on node 1.  */
static void
a_pod_keeps_its_other_containers_devices_when_it_moves (void **state)
{
  static const enum nr_policy spanning[] = { NR_POLICY_BEST_EFFORT, NR_POLICY_RESTRICTED };

  for (size_t k = 0; k < sizeof (spanning) / sizeof (spanning[0]); k++)
    {
      struct host h;
      struct nr_ledger_entry entries[2];
      struct nr_placement p;
      nr_error_t err = NULL;

      sandbox_on_0_device_on_1 (&h, &entries[0], spanning[k]);
      pod_entry (&h, &entries[1], "gpu0", "0", "0-3", 500, false);
      entries[1].device_nodes = set_of ("0");
      /* Not to node 1 alone, which would leave gpu0 away from its
         device: the pod spans both devices' nodes.  */
      assert_int_equal (place_pod (&h, entries, 2, &p, &err), 0);
      assert_set_equal (p.nodes, "0-1");
      assert_int_equal (p.n_moved, 2);
      for (size_t m = 0; m < p.n_moved; m++)
        {
          assert_set_equal (p.moved[m].nodes, "0-1");
          /* It still says where its device is, for the next move.  */
          if (strcmp (p.moved[m].id, "gpu0") == 0)
            assert_set_equal (p.moved[m].device_nodes, "0");
        }
      nr_placement_free (&p);
      host_free (&h);
    }
}

static void
devices_of_one_pod_on_two_nodes_are_refused_under_single_numa_node (void **state)
{
  struct host h;
  struct nr_ledger_entry entries[2];
  struct nr_placement p;
  nr_error_t err = NULL;

  sandbox_on_0_device_on_1 (&h, &entries[0], NR_POLICY_SINGLE_NUMA_NODE);
  pod_entry (&h, &entries[1], "gpu0", "0", "0-3", 500, false);
  entries[1].device_nodes = set_of ("0");
  assert_int_equal (place_pod (&h, entries, 2, &p, &err), -1);
  assert_non_null (strstr (err->msg, "its devices sit on node(s) 1 and its pod's other "
                                     "containers' on node(s) 0: no node holds all of them"));
  nr_error_release (&err);
  host_free (&h);
}

/* A device the pod already holds on the new container's node: the pod
   moves nowhere new, the container joins it.  */
static void
devices_the_pod_already_covers_move_nothing (void **state)
{
  struct host h;
  struct nr_ledger_entry entries[2];
  struct nr_placement p;
  nr_error_t err = NULL;

  sandbox_on_0_device_on_1 (&h, &entries[0], NR_POLICY_SINGLE_NUMA_NODE);
  entries[0].nodes = set_of ("1");
  h.pod_nodes = set_of ("1");
  pod_entry (&h, &entries[1], "nic", "1", "4-7", 500, false);
  entries[1].device_nodes = set_of ("1");
  assert_int_equal (place_pod (&h, entries, 2, &p, &err), 0);
  assert_set_equal (p.nodes, "1");
  assert_int_equal (p.n_moved, 0);
  nr_placement_free (&p);
  host_free (&h);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (a_pod_moves_to_its_container_s_device_node_under_every_policy),
    cmocka_unit_test (a_device_on_the_pod_s_node_moves_nothing),
    cmocka_unit_test (a_pod_that_does_not_fit_on_the_device_node_stays_only_under_best_effort),
    cmocka_unit_test (the_whole_pod_must_fit_where_it_moves),
    cmocka_unit_test (a_sandbox_charging_the_whole_pod_must_fit_where_it_moves),
    cmocka_unit_test (a_pod_entry_holding_cpus_exclusively_gets_as_many_on_the_new_node),
    cmocka_unit_test (a_pod_with_kubelet_s_cpuset_does_not_move),
    cmocka_unit_test (without_its_entries_the_pod_cannot_move_and_strict_policies_say_so),
    cmocka_unit_test (devices_on_two_nodes_span_both_with_cpus_in_proportion),
    cmocka_unit_test (exclusive_cpus_are_split_in_proportion_to_the_devices),
    cmocka_unit_test (devices_on_two_nodes_are_refused_under_single_numa_node),
    cmocka_unit_test (devices_on_two_nodes_without_room_there),
    cmocka_unit_test (a_pod_moves_to_span_its_container_s_devices_except_under_single_numa_node),
    cmocka_unit_test (a_pod_keeps_its_other_containers_devices_when_it_moves),
    cmocka_unit_test (devices_of_one_pod_on_two_nodes_are_refused_under_single_numa_node),
    cmocka_unit_test (devices_the_pod_already_covers_move_nothing),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
