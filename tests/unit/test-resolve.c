/* The request over the config, resolved once (resolve.c): each setting
   falls back to the config, an annotation overrides it, and the
   whole-CPU exclusive rule.  */
#include <config.h>

#include "unit.h"

#include "resolve.h"

#include <limits.h>
#include <string.h>

static void
defaults (struct nr_config *c, struct nr_request *req)
{
  memset (c, 0, sizeof (*c));
  memset (req, 0, sizeof (*req));
  c->policy = NR_POLICY_BEST_EFFORT;
  c->spread = NR_SPREAD_PACK;
  c->memory_tiers = NR_TIERS_SPILL;
  req->id = "c1";
}

/* Resolve with POLICY, SPREAD, TIERS and LLC set in the config (or, with
   ANNOTATED, in the request, the config holding other values), and check
   that they are what is in force.  */
static void
check_in_force (bool annotated, enum nr_policy policy, enum nr_spread spread, enum nr_tiers tiers,
                bool llc)
{
  struct nr_config c;
  struct nr_request req;
  struct nr_resolved r;

  defaults (&c, &req);
  c.policy = annotated ? NR_POLICY_BEST_EFFORT : policy;
  c.spread = annotated ? NR_SPREAD_PACK : spread;
  c.memory_tiers = annotated ? NR_TIERS_SPILL : tiers;
  c.llc_strict = annotated ? ! llc : llc;
  c.topology_view_container = annotated ? ! llc : llc;
  req = (struct nr_request){ .has_policy = annotated,
                             .policy = policy,
                             .has_spread = annotated,
                             .spread = spread,
                             .has_tiers = annotated,
                             .tiers = tiers,
                             .has_alignment = annotated,
                             .llc_strict = llc,
                             .has_topology_view = annotated,
                             .topology_view_container = llc };
  nr_request_resolve (&req, &c, &r);
  assert_int_equal (r.policy, policy);
  assert_int_equal (r.strict, nr_policy_strict (policy));
  assert_int_equal (r.spread, spread);
  assert_int_equal (r.tiers, tiers);
  assert_int_equal (r.llc_strict, llc);
  assert_int_equal (r.topology_view, llc);
  assert_int_equal (r.exclusive_cpus, 0);
  assert_int_equal (nr_effective_policy (&req, &c), policy);
}

static void
the_config_holds_where_the_request_is_silent (void **state)
{
  (void) state;
  check_in_force (false, NR_POLICY_RESTRICTED, NR_SPREAD_DISTRIBUTE, NR_TIERS_INTERLEAVE, true);
  check_in_force (false, NR_POLICY_NONE, NR_SPREAD_PACK, NR_TIERS_OFF, false);
}

static void
annotations_override_the_config (void **state)
{
  struct nr_config c;
  struct nr_request req;
  struct nr_resolved r;

  (void) state;
  check_in_force (true, NR_POLICY_SINGLE_NUMA_NODE, NR_SPREAD_DISTRIBUTE, NR_TIERS_OFF, false);
  check_in_force (true, NR_POLICY_RESTRICTED, NR_SPREAD_DISTRIBUTE, NR_TIERS_TIERED, true);

  defaults (&c, &req);
  req.has_policy = true;
  /* A weaker annotation (the admin allowing) is the policy too.  */
  c.policy = NR_POLICY_RESTRICTED;
  req.policy = NR_POLICY_BEST_EFFORT;
  nr_request_resolve (&req, &c, &r);
  assert_int_equal (r.policy, NR_POLICY_BEST_EFFORT);
  assert_false (r.strict);
}

static void
only_restricted_and_single_numa_node_are_strict (void **state)
{
  (void) state;
  assert_false (nr_policy_strict (NR_POLICY_NONE));
  assert_false (nr_policy_strict (NR_POLICY_BEST_EFFORT));
  assert_true (nr_policy_strict (NR_POLICY_RESTRICTED));
  assert_true (nr_policy_strict (NR_POLICY_SINGLE_NUMA_NODE));
}

/* Exclusive CPUs for REQ's MILLICPUS under C.  */
static int
exclusive_for (const struct nr_config *c, struct nr_request *req, int64_t millicpus)
{
  struct nr_resolved r;

  req->millicpus = millicpus;
  nr_request_resolve (req, c, &r);
  return r.exclusive_cpus;
}

static void
exclusive_cpus_only_for_whole_cpus (void **state)
{
  struct nr_config c;
  struct nr_request req;

  (void) state;
  defaults (&c, &req);
  assert_int_equal (exclusive_for (&c, &req, 2000), 0); /* not asked */
  c.cpu_exclusive = true;
  assert_int_equal (exclusive_for (&c, &req, 2000), 2);
  assert_int_equal (exclusive_for (&c, &req, 1000), 1);
  assert_int_equal (exclusive_for (&c, &req, 1500), 0); /* a fraction shares the pool */
  assert_int_equal (exclusive_for (&c, &req, 500), 0);
  assert_int_equal (exclusive_for (&c, &req, 0), 0); /* no limit */
  assert_int_equal (exclusive_for (&c, &req, -1000), 0);
  assert_int_equal (exclusive_for (&c, &req, INT64_MAX - INT64_MAX % 1000), INT_MAX);
  req.sandbox = true;
  assert_int_equal (exclusive_for (&c, &req, 2000), 0);
}

static void
the_exclusive_annotation_overrides_the_config (void **state)
{
  struct nr_config c;
  struct nr_request req;

  (void) state;
  defaults (&c, &req);
  c.cpu_exclusive = true;
  req.has_exclusive = true;
  req.exclusive = false;
  assert_int_equal (exclusive_for (&c, &req, 4000), 0);
  c.cpu_exclusive = false;
  req.exclusive = true;
  assert_int_equal (exclusive_for (&c, &req, 4000), 4);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (the_config_holds_where_the_request_is_silent),
    cmocka_unit_test (annotations_override_the_config),
    cmocka_unit_test (only_restricted_and_single_numa_node_are_strict),
    cmocka_unit_test (exclusive_cpus_only_for_whole_cpus),
    cmocka_unit_test (the_exclusive_annotation_overrides_the_config),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
