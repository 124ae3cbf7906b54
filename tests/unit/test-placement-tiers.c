/* Placement with memory-only nodes (CXL, HBM, device memory): the
   memory-tiers modes spill, off, tiered and interleave, domains for
   admission, and nodes never used.  The host of issue 11: two 64 GiB CPU
   nodes (0, 1) and two 256 GiB CPU-less nodes (2 near 0, 3 near 1); SLIT
   14 from a CPU node to its expander, 21 between the CPU nodes.  */
#include <config.h>

#include "unit.h"

#include "placement.h"

#include <string.h>

#define GiB (INT64_C (1) << 30)
#define MAX_NODES 64

struct host
{
  struct nr_topology topo;
  struct nr_node_usage usage[MAX_NODES];
  struct nr_config config;
  struct nr_request req;
};

/* CPU_NODES nodes of 8 CPUs and CPU_GIB each, then MEM_NODES CPU-less
   nodes of MEM_GIB; tier 4 for CPU nodes, 22 for the others; memory-only
   node k belongs near CPU node k % CPU_NODES (SLIT 14, else 24).  */
static void
host_init (struct host *h, int cpu_nodes, int cpu_gib, int mem_nodes, int mem_gib)
{
  int n = cpu_nodes + mem_nodes;

  memset (h, 0, sizeof (*h));
  h->topo.n_nodes = n;
  h->topo.nodes = xmalloc0 ((size_t) n * sizeof (struct nr_node));
  h->topo.distance = xmalloc0 ((size_t) (n * n) * sizeof (int));
  h->topo.has_tiers = true;
  for (int i = 0; i < n; i++)
    {
      struct nr_node *node = &h->topo.nodes[i];
      node->id = i;
      node->has_cpu = i < cpu_nodes;
      node->kind = i < cpu_nodes ? NR_MEM_CPU : NR_MEM_TIER;
      node->tier = i < cpu_nodes ? 4 : 22;
      node->memory_total = (uint64_t) (i < cpu_nodes ? cpu_gib : mem_gib) * GiB;
      h->usage[i].node = i;
      if (i < cpu_nodes)
        for (int c = 0; c < 8; c++)
          {
            nr_set_add (&node->cpus, i * 8 + c);
            nr_set_add (&h->topo.online_cpus, i * 8 + c);
          }
      for (int j = 0; j < n; j++)
        {
          int d;
          if (i == j)
            d = 10;
          else if (i < cpu_nodes && j < cpu_nodes)
            d = 21;
          else if (i >= cpu_nodes && j >= cpu_nodes)
            d = 26;
          else
            d = (i % cpu_nodes) == (j % cpu_nodes) ? 14 : 24;
          h->topo.distance[i * n + j] = d;
        }
    }
  h->config.policy = NR_POLICY_BEST_EFFORT;
  h->config.best_effort_millicpus = 100;
  h->config.memory_tiers = NR_TIERS_SPILL;
  h->req.id = "c1";
  h->req.millicpus = 2000;
}

static void
host_free (struct host *h)
{
  nr_topology_free (&h->topo);
  nr_request_free (&h->req);
}

static int
try_place (struct host *h, struct nr_placement *out, nr_error_t *err)
{
  struct nr_placement_input in = {
    .topo = &h->topo, .usage = h->usage, .req = &h->req, .config = &h->config
  };
  return nr_place (&in, out, err);
}

static void
place (struct host *h, struct nr_placement *out)
{
  nr_error_t err = NULL;
  if (try_place (h, out, &err) < 0)
    fail_msg ("placement failed: %s", err->msg);
}

static void
a_container_that_fits_its_cpu_node_stays_there_under_spill (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 64, 2, 256);
  h.req.memory = 8 * GiB;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_set_equal (p.mems, "0");
  assert_int_equal (p.memory_local, 8 * GiB);
  assert_null (p.warning);
  nr_placement_free (&p);
  host_free (&h);
}

static void
spill_adds_the_nearest_tier_node_for_what_the_cpu_node_lacks (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 64, 2, 256);
  h.req.memory = 300 * GiB;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_set_equal (p.cpus, "0-7");
  assert_set_equal (p.mems, "0,2");
  assert_int_equal (p.memory, 300 * GiB);
  assert_int_equal (p.memory_local, 64 * GiB); /* node 0 is filled first */
  assert_null (p.warning);
  nr_placement_free (&p);
  host_free (&h);
}

static void
spill_prefers_the_close_tier_node_to_a_second_cpu_node (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 64, 2, 256);
  h.req.memory = 100 * GiB;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_set_equal (p.mems, "0,2");
  assert_int_equal (p.memory_local, 64 * GiB);
  nr_placement_free (&p);
  host_free (&h);
}

static void
spill_takes_as_many_tier_nodes_as_the_limit_needs (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 64, 2, 256);
  h.req.memory = 500 * GiB; /* more than node 0's domain (320 GiB) */
  place (&h, &p);
  assert_set_equal (p.nodes, "0-1");
  assert_set_equal (p.mems, "0-3");
  assert_int_equal (p.memory_local, 128 * GiB);
  nr_placement_free (&p);
  host_free (&h);
}

static void
off_keeps_memory_on_cpu_nodes_as_before (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 64, 2, 256);
  h.config.memory_tiers = NR_TIERS_OFF;
  h.req.memory = 100 * GiB;
  place (&h, &p);
  assert_set_equal (p.nodes, "0-1"); /* spans the CPU nodes, as before */
  assert_set_equal (p.mems, "0-1");
  assert_int_equal (p.memory_local, 100 * GiB);
  nr_placement_free (&p);

  h.req.memory = 300 * GiB;
  place (&h, &p);
  assert_set_equal (p.mems, "0");
  assert_non_null (p.warning); /* fits nowhere */
  nr_placement_free (&p);
  host_free (&h);
}

static void
the_annotation_overrides_the_config (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 64, 2, 256);
  h.req.has_tiers = true;
  h.req.tiers = NR_TIERS_OFF;
  h.req.memory = 100 * GiB;
  place (&h, &p);
  assert_set_equal (p.mems, "0-1");
  nr_placement_free (&p);
  host_free (&h);
}

static void
tiered_always_adds_the_nearest_tier_node_charging_it_nothing (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 64, 2, 256);
  h.config.memory_tiers = NR_TIERS_TIERED;
  h.req.memory = 8 * GiB;
  h.usage[0].load = 1000; /* node 1 is emptier */
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  assert_set_equal (p.mems, "1,3");
  assert_int_equal (p.memory_local, 8 * GiB);
  nr_placement_free (&p);
  host_free (&h);
}

static void
interleave_spreads_by_the_kernel_s_weights (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 64, 2, 256);
  h.config.memory_tiers = NR_TIERS_INTERLEAVE;
  h.topo.has_weights = true;
  h.topo.nodes[0].weight = h.topo.nodes[1].weight = 3;
  h.topo.nodes[2].weight = h.topo.nodes[3].weight = 1;
  h.req.memory = 8 * GiB;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_set_equal (p.mems, "0,2");
  assert_true (p.tier_interleave);
  assert_true (p.weighted);
  assert_int_equal (p.weights[0], 3);
  assert_int_equal (p.weights[2], 1);
  assert_int_equal (p.memory_local, 6 * GiB); /* 3 of 4 pages */
  nr_placement_free (&p);
  host_free (&h);
}

static void
interleave_uses_the_config_s_weights_over_the_kernel_s (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 64, 2, 256);
  h.config.memory_tiers = NR_TIERS_INTERLEAVE;
  h.topo.has_weights = true;
  h.topo.nodes[0].weight = h.topo.nodes[2].weight = 1;
  h.config.memory_weights = xmalloc0 (NR_SET_MAX);
  h.config.memory_weights[0] = 1;
  h.config.memory_weights[2] = 3;
  h.req.memory = 8 * GiB;
  place (&h, &p);
  assert_set_equal (p.mems, "0,2");
  assert_int_equal (p.memory_local, 2 * GiB);
  nr_placement_free (&p);
  free (h.config.memory_weights);
  host_free (&h);
}

static void
interleave_without_kernel_weights_is_plain_interleave (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 64, 2, 256);
  h.config.memory_tiers = NR_TIERS_INTERLEAVE;
  h.req.memory = 8 * GiB;
  place (&h, &p);
  assert_set_equal (p.mems, "0,2");
  assert_true (p.tier_interleave);
  assert_false (p.weighted);
  assert_int_equal (p.memory_local, 4 * GiB); /* even */
  nr_placement_free (&p);
  host_free (&h);
}

static void
device_memory_is_never_used (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 64, 2, 256);
  h.topo.nodes[2].kind = NR_MEM_DEVICE; /* GPU memory near node 0 */
  h.req.memory = 100 * GiB;
  place (&h, &p);
  /* Node 1 and its expander: the only domain that holds it.  */
  assert_set_equal (p.nodes, "1");
  assert_set_equal (p.mems, "1,3");
  nr_placement_free (&p);

  h.topo.nodes[3].kind = NR_MEM_DEVICE;
  h.config.memory_tiers = NR_TIERS_TIERED;
  h.req.memory = 8 * GiB;
  place (&h, &p);
  assert_set_equal (p.mems, "0");
  nr_placement_free (&p);
  host_free (&h);
}

static void
unsure_memory_is_not_spilled_onto (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 64, 2, 256);
  h.topo.nodes[2].kind = h.topo.nodes[3].kind = NR_MEM_UNSURE;
  h.req.memory = 300 * GiB;
  place (&h, &p);
  assert_set_equal (p.mems, "0");
  assert_non_null (p.warning);
  nr_placement_free (&p);
  host_free (&h);
}

static void
a_faster_tier_is_used_only_when_the_admin_lists_it (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 64, 2, 256);
  h.topo.nodes[2].tier = h.topo.nodes[3].tier = 2; /* above DRAM's 4 */
  h.req.memory = 100 * GiB;
  place (&h, &p);
  assert_set_equal (p.mems, "0-1");
  nr_placement_free (&p);

  h.config.tier_nodes_set = true;
  h.config.tier_nodes = set_of ("2-3");
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_set_equal (p.mems, "0,2");
  nr_placement_free (&p);
  host_free (&h);
}

static void
restricted_admits_a_cpu_node_with_its_tier_as_one_domain (void **state)
{
  struct host h;
  struct nr_placement p;
  nr_error_t err = NULL;

  host_init (&h, 2, 64, 2, 256);
  h.config.policy = NR_POLICY_SINGLE_NUMA_NODE;
  h.req.memory = 300 * GiB;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_set_equal (p.mems, "0,2");
  nr_placement_free (&p);

  h.config.policy = NR_POLICY_RESTRICTED;
  h.req.memory = 400 * GiB;
  assert_int_equal (try_place (&h, &p, &err), -1);
  assert_non_null (strstr (err->msg, "node 0: 8 CPUs, 64.0 GiB free + 256.0 GiB tier memory"));
  assert_non_null (strstr (err->msg, "+ 256.0 GiB tier memory (node 2)"));
  assert_non_null (strstr (err->msg, "+ 256.0 GiB tier memory (node 3)"));
  assert_null (strstr (err->msg, "node 2:")); /* listed with its domain */
  nr_error_release (&err);
  host_free (&h);
}

static void
the_ledger_s_tier_usage_counts_against_the_domain (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 2, 64, 2, 256);
  h.config.policy = NR_POLICY_RESTRICTED;
  h.usage[2].memory = 250 * GiB; /* node 0's expander is nearly full */
  h.req.memory = 100 * GiB;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  assert_set_equal (p.mems, "1,3");
  nr_placement_free (&p);
  host_free (&h);
}

static void
gb200_like_device_nodes_leave_a_big_container_on_its_cpu_node (void **state)
{
  struct host h;
  struct nr_placement p;

  /* 2 Grace nodes, 32 CPU-less GPU nodes, all device memory.  */
  host_init (&h, 2, 480, 32, 186);
  for (int i = 2; i < 34; i++)
    h.topo.nodes[i].kind = NR_MEM_DEVICE;
  h.req.memory = 500 * GiB;
  place (&h, &p);
  assert_set_equal (p.nodes, "0-1");
  assert_set_equal (p.mems, "0-1");
  nr_placement_free (&p);
  host_free (&h);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (a_container_that_fits_its_cpu_node_stays_there_under_spill),
    cmocka_unit_test (spill_adds_the_nearest_tier_node_for_what_the_cpu_node_lacks),
    cmocka_unit_test (spill_prefers_the_close_tier_node_to_a_second_cpu_node),
    cmocka_unit_test (spill_takes_as_many_tier_nodes_as_the_limit_needs),
    cmocka_unit_test (off_keeps_memory_on_cpu_nodes_as_before),
    cmocka_unit_test (the_annotation_overrides_the_config),
    cmocka_unit_test (tiered_always_adds_the_nearest_tier_node_charging_it_nothing),
    cmocka_unit_test (interleave_spreads_by_the_kernel_s_weights),
    cmocka_unit_test (interleave_uses_the_config_s_weights_over_the_kernel_s),
    cmocka_unit_test (interleave_without_kernel_weights_is_plain_interleave),
    cmocka_unit_test (device_memory_is_never_used),
    cmocka_unit_test (unsure_memory_is_not_spilled_onto),
    cmocka_unit_test (a_faster_tier_is_used_only_when_the_admin_lists_it),
    cmocka_unit_test (restricted_admits_a_cpu_node_with_its_tier_as_one_domain),
    cmocka_unit_test (the_ledger_s_tier_usage_counts_against_the_domain),
    cmocka_unit_test (gb200_like_device_nodes_leave_a_big_container_on_its_cpu_node),
  };
  return cmocka_run_group_tests_name ("placement-tiers", tests, NULL, NULL);
}
