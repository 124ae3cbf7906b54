/* Placement: a pure function of topology, ledger usage and the request.  */
#include <config.h>

#include "unit.h"

#include "placement.h"

#include <string.h>

/* A topology of N nodes with CPUS_PER_NODE consecutive CPUs each.  */
static void
make_topology (struct nr_topology *topo, int n, int cpus_per_node)
{
  memset (topo, 0, sizeof (*topo));
  topo->n_nodes = n;
  topo->nodes = xmalloc0 ((size_t) n * sizeof (struct nr_node));
  topo->distance = xmalloc0 ((size_t) (n * n) * sizeof (int));
  for (int i = 0; i < n; i++)
    {
      topo->nodes[i].id = i;
      for (int c = 0; c < cpus_per_node; c++)
        nr_set_add (&topo->nodes[i].cpus, i * cpus_per_node + c);
      topo->nodes[i].memory_total = UINT64_C (16) << 30;
      for (int j = 0; j < n; j++)
        topo->distance[i * n + j] = i == j ? 10 : 21;
    }
}

static void
place (const struct nr_topology *topo, const struct nr_node_usage *usage,
       const struct nr_request *req, struct nr_placement *out)
{
  struct nr_placement_input in = { topo, usage, req, NR_POLICY_BEST_EFFORT };
  nr_error_t err = NULL;
  if (nr_place (&in, out, &err) < 0)
    fail_msg ("placement failed: %s", err->msg);
}

static void
empty_host_chooses_lowest_node (void **state)
{
  struct nr_topology topo;
  struct nr_node_usage usage[2] = { { 0 } };
  struct nr_request req = { .id = "c" };
  struct nr_placement p;

  make_topology (&topo, 2, 4);
  place (&topo, usage, &req, &p);
  assert_set_equal (p.nodes, "0");
  assert_set_equal (p.cpus, "0-3");
  assert_int_equal (p.load, 4000);
  nr_placement_free (&p);
  nr_topology_free (&topo);
}

static void
chooses_the_node_with_fewest_cpus_allocated (void **state)
{
  struct nr_topology topo;
  struct nr_node_usage usage[4] = { { 0 } };
  struct nr_request req = { .id = "c" };
  struct nr_placement p;

  make_topology (&topo, 4, 2);
  usage[0].load = 4000;
  usage[1].load = 2000;
  usage[2].load = 2000;
  usage[3].load = 6000;
  place (&topo, usage, &req, &p);
  assert_set_equal (p.nodes, "1");
  assert_set_equal (p.cpus, "2-3");
  nr_placement_free (&p);
  nr_topology_free (&topo);
}

static void
skips_memory_only_nodes (void **state)
{
  struct nr_topology topo;
  struct nr_node_usage usage[2] = { { 0 } };
  struct nr_request req = { .id = "c" };
  struct nr_placement p;

  make_topology (&topo, 2, 2);
  nr_set_clear (&topo.nodes[0].cpus);
  place (&topo, usage, &req, &p);
  assert_set_equal (p.nodes, "1");
  nr_placement_free (&p);
  nr_topology_free (&topo);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (empty_host_chooses_lowest_node),
    cmocka_unit_test (chooses_the_node_with_fewest_cpus_allocated),
    cmocka_unit_test (skips_memory_only_nodes),
  };
  return cmocka_run_group_tests_name ("placement", tests, NULL, NULL);
}
