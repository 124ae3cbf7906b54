/* Annotations: parsed within the admin's bounds; errors when strict,
   warnings otherwise.  */
#include <config.h>

#include "unit.h"

#include "annotations.h"

#include <stdio.h>
#include <string.h>

static char log_path[] = "/tmp/nr-test-annotations.XXXXXX";

static void
default_config (struct nr_config *c)
{
  memset (c, 0, sizeof (*c));
  c->policy = NR_POLICY_BEST_EFFORT;
  c->annotations_enabled = true;
}

/* Read the annotations object ANNOTATIONS (JSON text) under POLICY.
   Returns what nr_annotations_read returned; *MSG gets the error text.  */
static int
read_with (const struct nr_config *c, enum nr_policy policy, const char *annotations,
           struct nr_request *req, char **msg)
{
  cleanup_free char *text =
      xasprintf ("{\"ociVersion\":\"1.0.2\",\"annotations\":%s}", annotations);
  cleanup_json yajl_val spec = NULL;
  nr_error_t err = NULL;
  int ret;

  if (nr_json_parse (text, strlen (text), &spec, &err) < 0)
    fail_msg ("bad JSON in test: %s", err->msg);
  memset (req, 0, sizeof (*req));
  req->id = "c1";
  ret = nr_annotations_read (spec, c, policy, req, &err);
  if (msg)
    *msg = ret < 0 ? xstrdup (err->msg) : NULL;
  nr_error_release (&err);
  return ret;
}

static char *
log_contents (void)
{
  char *text = NULL;
  size_t len;
  if (read_file (log_path, 1 << 20, &text, &len, NULL) < 0)
    return xstrdup ("");
  return text;
}

static int
setup (void **state)
{
  int fd = mkstemp (log_path);
  assert_true (fd >= 0);
  close (fd);
  nr_log_init (log_path, "json", false);
  return 0;
}

static int
teardown (void **state)
{
  unlink (log_path);
  return 0;
}

static void
reset_log (void)
{
  assert_int_equal (truncate (log_path, 0), 0);
}

static void
reads_every_key (void **state)
{
  struct nr_config c;
  struct nr_request req;

  default_config (&c);
  assert_int_equal (read_with (&c, NR_POLICY_BEST_EFFORT,
                               "{\"numa-runtime.io/policy\":\"single-numa-node\","
                               "\"numa-runtime.io/nodes\":\"1,3\","
                               "\"numa-runtime.io/numa-nodes\":\"2\","
                               "\"numa-runtime.io/spread\":\"distribute\","
                               "\"numa-runtime.io/cpu-allocation\":\"exclusive\","
                               "\"numa-runtime.io/memory-policy\":\"interleave\","
                               "\"other.io/x\":\"y\"}",
                               &req, NULL),
                    0);
  assert_true (req.has_policy);
  assert_int_equal (req.policy, NR_POLICY_SINGLE_NUMA_NODE);
  assert_set_equal (req.nodes_wanted, "1,3");
  assert_int_equal (req.span, 2);
  assert_true (req.has_spread);
  assert_int_equal (req.spread, NR_SPREAD_DISTRIBUTE);
  assert_true (req.has_exclusive);
  assert_true (req.exclusive);
  assert_true (req.has_mpol);
  assert_int_equal (req.mpol, NR_MPOL_INTERLEAVE);
  assert_false (req.opt_out);
}

static void
no_annotations_change_nothing (void **state)
{
  struct nr_config c;
  struct nr_request req;

  default_config (&c);
  assert_int_equal (read_with (&c, NR_POLICY_RESTRICTED, "{}", &req, NULL), 0);
  assert_false (req.has_policy || req.has_spread || req.has_exclusive || req.has_mpol
                || req.opt_out);
  assert_int_equal (req.span, 0);
  assert_true (nr_set_is_empty (&req.nodes_wanted));
  assert_int_equal (read_with (&c, NR_POLICY_RESTRICTED, "null", &req, NULL), 0);
}

static void
isolated_cpus_only_when_the_admin_allows_them (void **state)
{
  struct nr_config c;
  struct nr_request req;
  cleanup_free char *msg = NULL;

  default_config (&c);
  assert_int_equal (read_with (&c, NR_POLICY_RESTRICTED,
                               "{\"numa-runtime.io/isolated-cpus\":\"true\"}", &req, &msg),
                    -1);
  assert_non_null (strstr (msg, "isolated_cpus is never"));
  assert_false (req.isolated);
  c.isolated_annotated = true;
  assert_int_equal (read_with (&c, NR_POLICY_RESTRICTED,
                               "{\"numa-runtime.io/isolated-cpus\":\"true\"}", &req, NULL),
                    0);
  assert_true (req.isolated);
  assert_int_equal (read_with (&c, NR_POLICY_RESTRICTED,
                               "{\"numa-runtime.io/isolated-cpus\":\"yes\"}", &req, NULL),
                    -1);
}

static void
cpu_alignment_llc_is_always_allowed_prefer_only_when_weakening_is (void **state)
{
  struct nr_config c;
  struct nr_request req;
  cleanup_free char *msg = NULL;

  default_config (&c);
  assert_int_equal (read_with (&c, NR_POLICY_RESTRICTED,
                               "{\"numa-runtime.io/cpu-alignment\":\"llc\"}", &req, NULL),
                    0);
  assert_true (req.has_alignment && req.llc_strict);
  c.llc_strict = true;
  assert_int_equal (read_with (&c, NR_POLICY_RESTRICTED,
                               "{\"numa-runtime.io/cpu-alignment\":\"prefer\"}", &req, &msg),
                    -1);
  assert_non_null (strstr (msg, "weaker than the configured cpu_alignment"));
  c.annotations_may_weaken = true;
  assert_int_equal (read_with (&c, NR_POLICY_RESTRICTED,
                               "{\"numa-runtime.io/cpu-alignment\":\"prefer\"}", &req, NULL),
                    0);
  assert_true (req.has_alignment && ! req.llc_strict);
  assert_int_equal (read_with (&c, NR_POLICY_RESTRICTED,
                               "{\"numa-runtime.io/cpu-alignment\":\"l3\"}", &req, NULL),
                    -1);
}

static void
malformed_values_are_errors_when_strict (void **state)
{
  static const char *const bad[] = {
    "{\"numa-runtime.io/policy\":\"strict\"}",
    "{\"numa-runtime.io/nodes\":\"one\"}",
    "{\"numa-runtime.io/nodes\":\"\"}",
    "{\"numa-runtime.io/nodes\":\"1;reboot\"}",
    "{\"numa-runtime.io/numa-nodes\":\"0\"}",
    "{\"numa-runtime.io/numa-nodes\":\"65\"}",
    "{\"numa-runtime.io/numa-nodes\":\"-1\"}",
    "{\"numa-runtime.io/numa-nodes\":\" 2\"}",
    "{\"numa-runtime.io/numa-nodes\":\"99999999999999999999\"}",
    "{\"numa-runtime.io/numa-nodes\":2}",
    "{\"numa-runtime.io/spread\":\"even\"}",
    "{\"numa-runtime.io/cpu-allocation\":\"dedicated\"}",
    "{\"numa-runtime.io/memory-policy\":\"local\"}",
    "{\"numa-runtime.io/disable\":\"yes\"}",
    "{\"numa-runtime.io/polcy\":\"restricted\"}",
  };
  struct nr_config c;
  struct nr_request req;

  default_config (&c);
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      cleanup_free char *msg = NULL;
      assert_int_equal (read_with (&c, NR_POLICY_RESTRICTED, bad[i], &req, &msg), -1);
      assert_non_null (strstr (msg, "annotation numa-runtime.io/"));
      assert_null (strchr (msg, '\n'));
      free (msg);
      msg = NULL;
      assert_int_equal (read_with (&c, NR_POLICY_SINGLE_NUMA_NODE, bad[i], &req, &msg), -1);
    }
}

static void
malformed_values_are_warnings_otherwise (void **state)
{
  struct nr_config c;
  struct nr_request req;
  cleanup_free char *log = NULL;

  default_config (&c);
  reset_log ();
  assert_int_equal (read_with (&c, NR_POLICY_BEST_EFFORT,
                               "{\"numa-runtime.io/nodes\":\"one\","
                               "\"numa-runtime.io/memory-policy\":\"preferred\"}",
                               &req, NULL),
                    0);
  /* The bad one is ignored, the good one still applies.  */
  assert_true (nr_set_is_empty (&req.nodes_wanted));
  assert_true (req.has_mpol);
  assert_int_equal (req.mpol, NR_MPOL_PREFERRED);
  log = log_contents ();
  assert_non_null (strstr (log, "\"level\":\"warning\""));
  assert_non_null (strstr (log, "container c1: ignoring annotation numa-runtime.io/nodes = `one`"));
}

static void
a_pod_asking_for_restricted_is_checked_strictly (void **state)
{
  struct nr_config c;
  struct nr_request req;
  cleanup_free char *msg = NULL;

  default_config (&c);
  assert_int_equal (read_with (&c, NR_POLICY_BEST_EFFORT,
                               "{\"numa-runtime.io/nodes\":\"x\","
                               "\"numa-runtime.io/policy\":\"restricted\"}",
                               &req, &msg),
                    -1);
  assert_non_null (strstr (msg, "numa-runtime.io/nodes"));
}

/* A pod's policy or disable annotation against the configured policy:
   weaker needs annotations_may_weaken (refused under a strict policy, a
   warning and not applied under best-effort), stronger is always fine.  */
struct weakening_case
{
  bool may_weaken;
  enum nr_policy configured;
  const char *annotations;
  int ret;
  const char *refusal; /* part of the error, when refused */
  bool has_policy;     /* what the request then holds */
  enum nr_policy policy;
  bool opt_out;
};

#define POLICY_IS(p) "{\"numa-runtime.io/policy\":\"" p "\"}"
#define DISABLE_IS(v) "{\"numa-runtime.io/disable\":\"" v "\"}"

static const struct weakening_case weakening_cases[] = {
  { false, NR_POLICY_RESTRICTED, POLICY_IS ("best-effort"), -1,
    "weaker than the configured policy restricted", false, 0, false },
  { false, NR_POLICY_RESTRICTED, DISABLE_IS ("true"), -1, "numa-runtime.io/disable", false, 0,
    false },
  { false, NR_POLICY_RESTRICTED, POLICY_IS ("single-numa-node"), 0, NULL, true,
    NR_POLICY_SINGLE_NUMA_NODE, false },
  { false, NR_POLICY_BEST_EFFORT, POLICY_IS ("none"), 0, NULL, false, 0, false },
  { false, NR_POLICY_BEST_EFFORT, DISABLE_IS ("true"), 0, NULL, false, 0, false },
  { true, NR_POLICY_RESTRICTED, POLICY_IS ("none"), 0, NULL, true, NR_POLICY_NONE, false },
  { true, NR_POLICY_RESTRICTED, DISABLE_IS ("true"), 0, NULL, false, 0, true },
  { true, NR_POLICY_RESTRICTED, DISABLE_IS ("false"), 0, NULL, false, 0, false },
};

static void
weakening_needs_permission (void **state)
{
  for (size_t i = 0; i < NR_N_ELEMENTS (weakening_cases); i++)
    {
      const struct weakening_case *w = &weakening_cases[i];
      struct nr_config c;
      struct nr_request req;
      cleanup_free char *msg = NULL;
      int ret;

      default_config (&c);
      c.annotations_may_weaken = w->may_weaken;
      ret = read_with (&c, w->configured, w->annotations, &req, &msg);
      if (ret != w->ret || (w->refusal && strstr (msg, w->refusal) == NULL))
        fail_msg ("case %zu (%s): returned %d (%s)", i, w->annotations, ret, msg ? msg : "");
      if (req.opt_out != w->opt_out)
        fail_msg ("case %zu (%s): opt_out %d", i, w->annotations, req.opt_out);
      if (ret == 0
          && (req.has_policy != w->has_policy || (w->has_policy && req.policy != w->policy)))
        fail_msg ("case %zu (%s): has_policy %d, policy %d", i, w->annotations, req.has_policy,
                  (int) req.policy);
    }
}

static void
nodes_are_bounded_by_the_config (void **state)
{
  struct nr_config c;
  struct nr_request req;
  cleanup_free char *msg = NULL;

  default_config (&c);
  c.annotation_nodes = set_of ("1-2");
  c.annotation_nodes_set = true;
  assert_int_equal (
      read_with (&c, NR_POLICY_RESTRICTED, "{\"numa-runtime.io/nodes\":\"2\"}", &req, NULL), 0);
  assert_set_equal (req.nodes_wanted, "2");
  assert_int_equal (
      read_with (&c, NR_POLICY_RESTRICTED, "{\"numa-runtime.io/nodes\":\"0-1\"}", &req, &msg), -1);
  assert_non_null (strstr (msg, "allowed_nodes = 1-2"));
}

static void
only_honoured_keys_are_read (void **state)
{
  struct nr_config c;
  struct nr_request req;
  cleanup_free char *msg = NULL;

  default_config (&c);
  c.annotation_keys = (char *) "memory-policy, disable";
  assert_int_equal (read_with (&c, NR_POLICY_BEST_EFFORT,
                               "{\"numa-runtime.io/memory-policy\":\"bind\","
                               "\"numa-runtime.io/nodes\":\"1\"}",
                               &req, NULL),
                    0);
  assert_true (req.has_mpol);
  assert_true (nr_set_is_empty (&req.nodes_wanted));
  assert_int_equal (
      read_with (&c, NR_POLICY_RESTRICTED, "{\"numa-runtime.io/nodes\":\"1\"}", &req, &msg), -1);
  assert_non_null (strstr (msg, "not honoured"));
}

/* One check for every reader (annotations here, volumes and nics in
   locality.c): the suffix or the whole key, never a disabled one.  */
static void
honoured_takes_the_suffix_or_the_whole_key (void **state)
{
  struct nr_config c;

  (void) state;
  default_config (&c);
  assert_true (nr_annotation_honoured (&c, "volumes"));
  c.annotation_keys = (char *) " numa-runtime.io/volumes,\tnics ";
  assert_true (nr_annotation_honoured (&c, "volumes"));
  assert_true (nr_annotation_honoured (&c, "nics"));
  assert_false (nr_annotation_honoured (&c, "nodes"));
  assert_false (nr_annotation_honoured (&c, "vol"));
  c.annotation_keys = (char *) "other.io/nodes";
  assert_false (nr_annotation_honoured (&c, "nodes"));
  c.annotation_keys = NULL;
  c.annotations_enabled = false;
  assert_false (nr_annotation_honoured (&c, "volumes"));
}

/* nr_shown: what a pod wrote, safe in a message and capped.  */
static void
values_are_shown_printable_and_capped (void **state)
{
  cleanup_free char *plain = nr_shown ("restricted", 64);
  cleanup_free char *odd = nr_shown ("a`b\nc\x7f\xc3\xa9", 64);
  cleanup_free char *cut = nr_shown ("0123456789", 4);
  cleanup_free char *exact = nr_shown ("0123", 4);

  (void) state;
  assert_string_equal (plain, "restricted");
  assert_string_equal (odd, "a?b?c???");
  assert_string_equal (cut, "0123...");
  assert_string_equal (exact, "0123");
}

static void
disabled_annotations_are_ignored (void **state)
{
  struct nr_config c;
  struct nr_request req;

  default_config (&c);
  c.annotations_enabled = false;
  assert_int_equal (read_with (&c, NR_POLICY_RESTRICTED,
                               "{\"numa-runtime.io/nodes\":\"junk\","
                               "\"numa-runtime.io/policy\":\"single-numa-node\"}",
                               &req, NULL),
                    0);
  assert_false (req.has_policy);
}

static void
messages_never_carry_raw_values (void **state)
{
  struct nr_config c;
  struct nr_request req;
  cleanup_free char *msg = NULL;

  default_config (&c);
  assert_int_equal (
      read_with (&c, NR_POLICY_RESTRICTED,
                 "{\"numa-runtime.io/nodes\":\"1\\n`$(id)`\\u001b[31m"
                 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
                 &req, &msg),
      -1);
  assert_null (strchr (msg, '\n'));
  assert_null (strchr (msg, '\x1b'));
  assert_non_null (strstr (msg, "`1??$(id)??[31mAAAA"));
  assert_non_null (strstr (msg, "...`"));
}

static void
repeated_keys_count_once_the_last_wins (void **state)
{
  struct nr_config c;
  struct nr_request req;

  default_config (&c);
  assert_int_equal (read_with (&c, NR_POLICY_RESTRICTED,
                               "{\"numa-runtime.io/nodes\":\"bad\","
                               "\"numa-runtime.io/nodes\":\"3\"}",
                               &req, NULL),
                    0);
  assert_set_equal (req.nodes_wanted, "3");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (reads_every_key),
    cmocka_unit_test (no_annotations_change_nothing),
    cmocka_unit_test (isolated_cpus_only_when_the_admin_allows_them),
    cmocka_unit_test (cpu_alignment_llc_is_always_allowed_prefer_only_when_weakening_is),
    cmocka_unit_test (malformed_values_are_errors_when_strict),
    cmocka_unit_test (malformed_values_are_warnings_otherwise),
    cmocka_unit_test (a_pod_asking_for_restricted_is_checked_strictly),
    cmocka_unit_test (weakening_needs_permission),
    cmocka_unit_test (nodes_are_bounded_by_the_config),
    cmocka_unit_test (only_honoured_keys_are_read),
    cmocka_unit_test (honoured_takes_the_suffix_or_the_whole_key),
    cmocka_unit_test (values_are_shown_printable_and_capped),
    cmocka_unit_test (disabled_annotations_are_ignored),
    cmocka_unit_test (messages_never_carry_raw_values),
    cmocka_unit_test (repeated_keys_count_once_the_last_wins),
  };
  return cmocka_run_group_tests_name ("annotations", tests, setup, teardown);
}
