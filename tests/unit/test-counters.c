/* The counters kept in the ledger's index: which outcome a placement
   counts as, the index member's round trip, and that a commit keeps them
   and a new boot clears them.  */
#include <config.h>

#include "unit.h"

#include "ledger-fixtures.h"

#include "counters.h"
#include "placement.h"
#include "json.h"
#include "ledger.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Nodes 0 (CPUs 0-3), 1 (CPUs 4-7) and 2 (memory only: a lower tier).  */
static struct nr_topology
three_nodes (struct nr_node *nodes)
{
  struct nr_topology topo = { .n_nodes = 3, .nodes = nodes };

  memset (nodes, 0, 3 * sizeof (*nodes));
  for (int i = 0; i < 3; i++)
    nodes[i].id = i;
  nodes[0].cpus = set_of ("0-3");
  nodes[1].cpus = set_of ("4-7");
  nodes[0].has_cpu = nodes[1].has_cpu = true;
  return topo;
}

/* The outcome of CPUs on NODES and memory on MEMS (NULL: NODES), of which
   LOCAL of 100 bytes on NODES.  */
static enum nr_outcome
outcome_mems (const char *nodes, const char *mems, int64_t local, const char *hint_nodes,
              enum nr_policy policy, const char *warning)
{
  struct nr_node node_store[3];
  struct nr_topology topo = three_nodes (node_store);
  struct nr_hint hints[4];
  struct nr_request req = { .hints = hints };
  struct nr_placement p = { .nodes = set_of (nodes),
                            .mems = set_of (mems ? mems : nodes),
                            .memory = 100,
                            .memory_local = local,
                            .warning = (char *) warning };
  nr_set_t hinted = set_of (hint_nodes);

  for (int n = nr_set_next (&hinted, 0); n >= 0; n = nr_set_next (&hinted, n + 1))
    hints[req.n_hints++] = (struct nr_hint){ .node = n, .source = (char *) "device" };
  return nr_outcome_of (&topo, &req, policy, &p);
}

static enum nr_outcome
outcome (const char *nodes, const char *hint_nodes, enum nr_policy policy, const char *warning)
{
  return outcome_mems (nodes, NULL, 100, hint_nodes, policy, warning);
}

static void
outcome_of_each_kind_of_placement (void **state)
{
  assert_int_equal (outcome ("0", "", NR_POLICY_RESTRICTED, NULL), NR_OUTCOME_PLACED);
  assert_int_equal (outcome ("1", "1", NR_POLICY_SINGLE_NUMA_NODE, NULL),
                    NR_OUTCOME_DEVICE_ALIGNED);
  /* Away from its device: placed, not aligned.  */
  assert_int_equal (outcome ("0", "1", NR_POLICY_BEST_EFFORT, NULL), NR_OUTCOME_PLACED);
  assert_int_equal (outcome ("0-1", "", NR_POLICY_BEST_EFFORT, "too big"), NR_OUTCOME_SPANNED);
  assert_int_equal (outcome ("0-1", "0", NR_POLICY_RESTRICTED, NULL), NR_OUTCOME_SPANNED);
  /* Memory charged on the CPU-less node comes first, spanning or not.  */
  assert_int_equal (outcome_mems ("0", "0,2", 40, "", NR_POLICY_BEST_EFFORT, NULL),
                    NR_OUTCOME_TIER_SPILL);
  assert_int_equal (outcome_mems ("0-1", "0-2", 90, "", NR_POLICY_RESTRICTED, NULL),
                    NR_OUTCOME_TIER_SPILL);
  /* A tier node kept for demotion, nothing charged there: placed.  */
  assert_int_equal (outcome_mems ("0", "0,2", 100, "", NR_POLICY_RESTRICTED, NULL),
                    NR_OUTCOME_PLACED);
  /* A compromise is a fallback under best-effort only.  */
  assert_int_equal (outcome ("1", "", NR_POLICY_BEST_EFFORT, "fits nowhere"), NR_OUTCOME_FALLBACK);
  assert_int_equal (outcome ("1", "", NR_POLICY_RESTRICTED, "sharing the pool"), NR_OUTCOME_PLACED);
  assert_string_equal (nr_outcome_name (NR_OUTCOME_TIER_SPILL), "tier_spill");
  assert_string_equal (nr_outcome_name (NR_OUTCOMES), "unknown");
}

static char *
generated (const struct nr_counters *c)
{
  yajl_gen g = yajl_gen_alloc (NULL);

  yajl_gen_map_open (g);
  nr_counters_gen (g, c);
  yajl_gen_map_close (g);
  return nr_json_gen_finish (g, NULL);
}

static void
index_member_round_trip (void **state)
{
  struct nr_counters c = { 0 }, back;
  cleanup_free char *text = NULL;
  cleanup_json yajl_val doc = NULL;

  c.creates[NR_OUTCOME_REFUSED][NR_POLICY_RESTRICTED] = 7;
  c.creates[NR_OUTCOME_PLACED][NR_POLICY_RESTRICTED] = 1;
  c.creates[NR_OUTCOME_SPANNED][NR_POLICY_BEST_EFFORT] = 12345678901LL;
  c.deletes = 3;
  c.reclaims = 2;
  c.set_asides = 1;
  c.rebuilds = 1;
  c.migrated_bytes = 5368709120ULL;
  text = generated (&c);
  /* Only what happened is written.  */
  assert_string_equal (
      text, "{\"counters\":{\"creates\":{\"best-effort\":{\"spanned\":12345678901},"
            "\"restricted\":{\"placed\":1,\"refused\":7}},\"deletes\":3,"
            "\"reclaims\":2,\"set_asides\":1,\"rebuilds\":1,\"migrated_bytes\":5368709120}}");
  assert_int_equal (nr_json_parse (text, strlen (text), &doc, NULL), 0);
  nr_counters_read (doc, &back);
  assert_memory_equal (&c, &back, sizeof (c));
}

static void
read_ignores_what_it_does_not_know (void **state)
{
  static const char text[] =
      "{\"counters\":{\"creates\":{\"strict\":{\"placed\":5},\"restricted\":{\"placed\":-4,"
      "\"refused\":\"9\",\"spanned\":2,\"teleported\":1},\"none\":3},\"deletes\":1.5,"
      "\"reclaims\":4}}";
  cleanup_json yajl_val doc = NULL;
  struct nr_counters c;

  assert_int_equal (nr_json_parse (text, strlen (text), &doc, NULL), 0);
  nr_counters_read (doc, &c);
  assert_int_equal (c.creates[NR_OUTCOME_PLACED][NR_POLICY_RESTRICTED], 0);
  assert_int_equal (c.creates[NR_OUTCOME_REFUSED][NR_POLICY_RESTRICTED], 0);
  assert_int_equal (c.creates[NR_OUTCOME_SPANNED][NR_POLICY_RESTRICTED], 2);
  assert_int_equal (c.deletes, 0);
  assert_int_equal (c.reclaims, 4);
  /* No member at all: zeroes.  */
  cleanup_json yajl_val empty = NULL;
  assert_int_equal (nr_json_parse ("{}", 2, &empty, NULL), 0);
  nr_counters_read (empty, &c);
  assert_int_equal (c.reclaims, 0);
}

static void
commit_keeps_them_a_new_boot_clears_them (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = NULL;
  struct nr_ledger *l = NULL;

  path = xasprintf ("%s/ledger.json", dir);
  assert_int_equal (nr_ledger_open (path, "boot-a", NULL, &l, NULL), 0);
  nr_ledger_counters_for_update (l)->creates[NR_OUTCOME_REFUSED][NR_POLICY_SINGLE_NUMA_NODE]++;
  nr_ledger_counters_for_update (l)->deletes += 2;
  /* Counting is a change: the commit writes the index though no entry
     changed.  */
  assert_int_equal (nr_ledger_commit (l, NULL), 0);
  nr_ledger_close (l);

  assert_int_equal (nr_ledger_open (path, "boot-a", NULL, &l, NULL), 0);
  assert_int_equal (nr_ledger_counters (l)->creates[NR_OUTCOME_REFUSED][NR_POLICY_SINGLE_NUMA_NODE],
                    1);
  assert_int_equal (nr_ledger_counters (l)->deletes, 2);
  nr_ledger_close (l);

  assert_int_equal (nr_ledger_open (path, "boot-b", NULL, &l, NULL), 0);
  assert_int_equal (nr_ledger_counters (l)->deletes, 0);
  nr_ledger_close (l);

  remove_tree (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (outcome_of_each_kind_of_placement),
    cmocka_unit_test (index_member_round_trip),
    cmocka_unit_test (read_ignores_what_it_does_not_know),
    cmocka_unit_test (commit_keeps_them_a_new_boot_clears_them),
  };
  return cmocka_run_group_tests (tests, NULL, remove_temp_dirs);
}
