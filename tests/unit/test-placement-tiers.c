/* Placement with memory-only nodes (CXL, HBM, device memory): the
   memory-tiers modes spill, off, tiered and interleave, domains for
   admission, and nodes never used.  The host of issue 11: two 64 GiB CPU
   nodes (0, 1) and two 256 GiB CPU-less nodes (2 near 0, 3 near 1); SLIT
   14 from a CPU node to its expander, 21 between the CPU nodes.  */
#include <config.h>

#include "placement-fixtures.h"

#include <inttypes.h>

/* CPU_NODES nodes of 8 CPUs and CPU_GIB each, then MEM_NODES CPU-less
   nodes of MEM_GIB; tier 4 for CPU nodes, 22 for the others; memory-only
   node k belongs near CPU node k % CPU_NODES (SLIT 14, else 24).  A
   container asks 2 CPUs; memory tiers are spilled onto.  */
static void
host_init (struct host *h, int cpu_nodes, int cpu_gib, int mem_nodes, int mem_gib)
{
  int n = cpu_nodes + mem_nodes;

  host_alloc (h, n);
  h->topo.has_tiers = true;
  for (int i = 0; i < n; i++)
    {
      struct nr_node *node = &h->topo.nodes[i];
      node->has_cpu = i < cpu_nodes;
      node->kind = i < cpu_nodes ? NR_MEM_CPU : NR_MEM_TIER;
      node->tier = i < cpu_nodes ? 4 : 22;
      node->memory_total = (uint64_t) (i < cpu_nodes ? cpu_gib : mem_gib) * GiB;
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
  h->config.memory_tiers = NR_TIERS_SPILL;
  h->req.millicpus = 2000;
}

/* ---- spill and off: one container on the empty host of issue 11 ------- */

struct tier_case
{
  const char *rule;
  enum nr_tiers config_mode;
  bool annotated; /* the annotation asks annotation_mode */
  enum nr_tiers annotation_mode;
  int memory_gib;
  const char *nodes, *cpus, *mems;
  int local_gib;
  const char *warning; /* a part of the warning; NULL: none */
};

/* rule; mode in the config; annotated, its mode; GiB asked; nodes, cpus,
   mems; GiB on the CPU nodes; part of the warning.  */
static const struct tier_case tier_cases[] = {
  { "a container that fits its CPU node stays there under spill", NR_TIERS_SPILL, false, 0, 8, "0",
    "0-7", "0", 8, NULL },
  { "spill adds the nearest tier node for what the CPU node lacks (node 0 filled first)",
    NR_TIERS_SPILL, false, 0, 300, "0", "0-7", "0,2", 64, NULL },
  { "spill prefers the close tier node to a second CPU node", NR_TIERS_SPILL, false, 0, 100, "0",
    "0-7", "0,2", 64, NULL },
  { "spill takes as many tier nodes as the limit needs (more than node 0's 320 GiB)",
    NR_TIERS_SPILL, false, 0, 500, "0-1", "0-15", "0-3", 128, "spanning 2 nodes" },
  { "off keeps memory on CPU nodes as before, spanning them", NR_TIERS_OFF, false, 0, 100, "0-1",
    "0-15", "0-1", 100, "spanning 2 nodes" },
  { "off: what fits no CPU node goes to one with a warning", NR_TIERS_OFF, false, 0, 300, "0",
    "0-7", "0", 300, "fits nowhere" },
  { "the annotation overrides the config", NR_TIERS_SPILL, true, NR_TIERS_OFF, 100, "0-1", "0-15",
    "0-1", 100, "spanning 2 nodes" },
};

static void
expect_set (const char *rule, const char *what, const nr_set_t *got, const char *want)
{
  cleanup_free char *text = nr_set_format (got);
  if (strcmp (text, want) != 0)
    fail_msg ("%s: %s %s, expected %s", rule, what, text, want);
}

static void
spill_and_off_place_as_the_table_says (void **state)
{
  for (size_t i = 0; i < sizeof (tier_cases) / sizeof (tier_cases[0]); i++)
    {
      const struct tier_case *c = &tier_cases[i];
      struct host h;
      struct nr_placement p;

      host_init (&h, 2, 64, 2, 256);
      h.config.memory_tiers = c->config_mode;
      h.req.has_tiers = c->annotated;
      h.req.tiers = c->annotation_mode;
      h.req.memory = c->memory_gib * GiB;
      place (&h, &p);
      expect_set (c->rule, "nodes", &p.nodes, c->nodes);
      expect_set (c->rule, "cpus", &p.cpus, c->cpus);
      expect_set (c->rule, "mems", &p.mems, c->mems);
      if (p.memory != c->memory_gib * GiB || p.memory_local != c->local_gib * GiB)
        fail_msg ("%s: memory %" PRId64 " (%" PRId64 " local), expected %d GiB (%d GiB local)",
                  c->rule, p.memory, p.memory_local, c->memory_gib, c->local_gib);
      if (c->warning == NULL ? p.warning != NULL
                             : p.warning == NULL || strstr (p.warning, c->warning) == NULL)
        fail_msg ("%s: warning `%s`", c->rule, p.warning ? p.warning : "(none)");
      nr_placement_free (&p);
      host_free (&h);
    }
}

/* ---- tiered, interleave ----------------------------------------------- */

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

/* Interleave on the empty host, 8 GiB asked: node 0 and its expander,
   pages spread by the weights that apply.  */
struct interleave_case
{
  const char *rule;
  int kernel_weights[4]; /* all 0: the kernel has none */
  int config_weights[4]; /* all 0: the config names none */
  bool weighted;
  int weight_0, weight_2; /* the weights applied to nodes 0 and 2 */
  int local_gib;          /* 8 GiB times node 0's share */
};

static const struct interleave_case interleave_cases[] = {
  { "interleave spreads by the kernel's weights", { 3, 3, 1, 1 }, { 0 }, true, 3, 1, 6 },
  { "interleave uses the config's weights over the kernel's",
    { 1, 0, 1, 0 },
    { 1, 0, 3, 0 },
    true,
    1,
    3,
    2 },
  { "interleave without kernel weights is plain interleave", { 0 }, { 0 }, false, 0, 0, 4 },
};

static void
interleave_places_as_the_table_says (void **state)
{
  for (size_t i = 0; i < sizeof (interleave_cases) / sizeof (interleave_cases[0]); i++)
    {
      const struct interleave_case *c = &interleave_cases[i];
      struct host h;
      struct nr_placement p;

      host_init (&h, 2, 64, 2, 256);
      h.config.memory_tiers = NR_TIERS_INTERLEAVE;
      for (int n = 0; n < 4; n++)
        {
          h.topo.nodes[n].weight = c->kernel_weights[n];
          h.topo.has_weights |= c->kernel_weights[n] != 0;
          if (c->config_weights[n] == 0)
            continue;
          if (h.config.memory_weights == NULL)
            h.config.memory_weights = xmalloc0 (NR_SET_MAX);
          h.config.memory_weights[n] = c->config_weights[n];
        }
      h.req.memory = 8 * GiB;
      place (&h, &p);
      expect_set (c->rule, "nodes", &p.nodes, "0");
      expect_set (c->rule, "mems", &p.mems, "0,2");
      if (! p.tier_interleave || p.weighted != c->weighted)
        fail_msg ("%s: tier_interleave %d, weighted %d", c->rule, p.tier_interleave, p.weighted);
      if (c->weighted && (p.weights[0] != c->weight_0 || p.weights[2] != c->weight_2))
        fail_msg ("%s: weights %d:%d, expected %d:%d", c->rule, p.weights[0], p.weights[2],
                  c->weight_0, c->weight_2);
      if (p.memory_local != c->local_gib * GiB)
        fail_msg ("%s: %" PRId64 " local, expected %d GiB", c->rule, p.memory_local, c->local_gib);
      nr_placement_free (&p);
      free (h.config.memory_weights);
      host_free (&h);
    }
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
    cmocka_unit_test (spill_and_off_place_as_the_table_says),
    cmocka_unit_test (tiered_always_adds_the_nearest_tier_node_charging_it_nothing),
    cmocka_unit_test (interleave_places_as_the_table_says),
    cmocka_unit_test (device_memory_is_never_used),
    cmocka_unit_test (unsure_memory_is_not_spilled_onto),
    cmocka_unit_test (a_faster_tier_is_used_only_when_the_admin_lists_it),
    cmocka_unit_test (restricted_admits_a_cpu_node_with_its_tier_as_one_domain),
    cmocka_unit_test (the_ledger_s_tier_usage_counts_against_the_domain),
    cmocka_unit_test (gb200_like_device_nodes_leave_a_big_container_on_its_cpu_node),
  };
  return cmocka_run_group_tests_name ("placement-tiers", tests, NULL, NULL);
}
