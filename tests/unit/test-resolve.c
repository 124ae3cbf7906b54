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

static void
the_config_holds_where_the_request_is_silent (void **state)
{
  struct nr_config c;
  struct nr_request req;
  struct nr_resolved r;

  (void) state;
  defaults (&c, &req);
  c.policy = NR_POLICY_RESTRICTED;
  c.spread = NR_SPREAD_DISTRIBUTE;
  c.memory_tiers = NR_TIERS_INTERLEAVE;
  c.llc_strict = true;
  nr_request_resolve (&req, &c, &r);
  assert_int_equal (r.policy, NR_POLICY_RESTRICTED);
  assert_true (r.strict);
  assert_int_equal (r.spread, NR_SPREAD_DISTRIBUTE);
  assert_int_equal (r.tiers, NR_TIERS_INTERLEAVE);
  assert_true (r.llc_strict);
  assert_int_equal (r.exclusive_cpus, 0);
  assert_int_equal (nr_effective_policy (&req, &c), NR_POLICY_RESTRICTED);
}

static void
annotations_override_the_config (void **state)
{
  struct nr_config c;
  struct nr_request req;
  struct nr_resolved r;

  (void) state;
  defaults (&c, &req);
  c.llc_strict = true;
  req.has_policy = true;
  req.policy = NR_POLICY_SINGLE_NUMA_NODE;
  req.has_spread = true;
  req.spread = NR_SPREAD_DISTRIBUTE;
  req.has_tiers = true;
  req.tiers = NR_TIERS_OFF;
  req.has_alignment = true;
  req.llc_strict = false;
  nr_request_resolve (&req, &c, &r);
  assert_int_equal (r.policy, NR_POLICY_SINGLE_NUMA_NODE);
  assert_true (r.strict);
  assert_int_equal (r.spread, NR_SPREAD_DISTRIBUTE);
  assert_int_equal (r.tiers, NR_TIERS_OFF);
  assert_false (r.llc_strict);

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
