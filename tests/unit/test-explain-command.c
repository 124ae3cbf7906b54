/* `explain` in-process on the two-socket fixture machine: the decision
   create would make (nodes, CPUs, memory policy, NUMA_* environment),
   the reasons in order, the refusal a create would give, and that a dry
   run writes nothing.  The expectations are 24-topology-explain.bats'.  */
#include <config.h>

#include "command-fixtures.h"
#include "ledger-fixtures.h"

#include "json.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/nr-test-explain-command.XXXXXX";
static char *bundle, *spec_path, *ledger_dir;

/* Two CPUs and 1 GiB, and the same with GPU 1 (/dev/nvidia1, on node 1).  */
#define SPEC_HEAD                                                                                  \
  "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"env\":[\"PATH=/bin\"]},"             \
  "\"root\":{\"path\":\"rootfs\"},"
#define SMALL_RESOURCES                                                                            \
  "\"resources\":{\"cpu\":{\"quota\":200000,\"period\":100000},"                                   \
  "\"memory\":{\"limit\":1073741824}}"
#define GPU1 "\"devices\":[{\"path\":\"/dev/nvidia1\",\"type\":\"c\",\"major\":195,\"minor\":1}]"

static const char small_spec[] = SPEC_HEAD "\"linux\":{" SMALL_RESOURCES "}}";
static const char gpu_spec[] = SPEC_HEAD "\"linux\":{" SMALL_RESOURCES "," GPU1 "}}";
/* GPU 1 and 100 GiB: more memory than node 1 has.  */
static const char huge_gpu_spec[] =
    SPEC_HEAD "\"linux\":{\"resources\":{\"memory\":{\"limit\":107374182400}}," GPU1 "}}";
static const char opted_out_spec[] =
    SPEC_HEAD "\"annotations\":{\"numa-runtime.io/disable\":\"true\"},"
              "\"linux\":{" SMALL_RESOURCES "}}";

static int
setup (void **state)
{
  (void) state;
  if (make_fixture_machine (dir) < 0)
    return -1;
  bundle = xasprintf ("%s/bundle", dir);
  spec_path = xasprintf ("%s/config.json", bundle);
  ledger_dir = xasprintf ("%s/ledger", dir);
  return mkdir (bundle, 0700);
}

static int
teardown (void **state)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", dir);

  (void) state;
  free_parsed_args ();
  free (bundle);
  free (spec_path);
  free (ledger_dir);
  return system (cmd) == 0 ? 0 : -1;
}

/* The fixture machine (its proc too, for the NVIDIA driver's files) with
   [placement] PLACEMENT, no ledger yet.  */
static void
load_config (struct nr_config *config, const char *placement)
{
  cleanup_free char *sysfs = xasprintf ("%s/machine/sys", dir);
  cleanup_free char *ledger = xasprintf ("%s/ledger.json", ledger_dir);
  cleanup_free char *extra =
      xasprintf ("%s\n[topology]\nproc_root = %s/machine/proc\n", placement, dir);

  load_fixture_config (config, dir, "/bin/false", ledger, sysfs, extra);
}

/* Run explain with ARGS under a config whose [placement] is PLACEMENT.  */
static char *
explain (const struct nr_args *args, const char *placement, int *ret, char **message)
{
  struct nr_config config;
  char *out;

  load_config (&config, placement);
  out = run_command (dir, nr_cmd_explain, args, &config, ret, message);
  nr_config_free (&config);
  return out;
}

#define assert_has_line(text, line)                                                                \
  do                                                                                               \
    {                                                                                              \
      cleanup_free char *_l = xasprintf ("\n%s\n", (line));                                        \
      cleanup_free char *_t = xasprintf ("\n%s", (text));                                          \
      if (strstr (_t, _l) == NULL)                                                                 \
        fail_msg ("no line `%s` in:\n%s", (line), (text));                                         \
    }                                                                                              \
  while (0)

/* The first line of the fixture's sysfs file PATH.  */
static char *
sysfs_line (const char *path)
{
  cleanup_free char *file = xasprintf ("%s/machine/sys/%s", dir, path);
  char *text = read_text (file);

  assert_non_null (text);
  text[strcspn (text, "\n")] = '\0';
  return text;
}

static yajl_val
parse_json (const char *text)
{
  yajl_val root = NULL;
  nr_error_t err = NULL;

  if (nr_json_parse (text, strlen (text), &root, &err) < 0)
    fail_msg ("%s in:\n%s", err->msg, text);
  return root;
}

static void
explain_places_a_gpu_container_on_the_gpu_node_and_says_why (void **state)
{
  struct nr_args args;
  struct stat st;
  int ret;
  cleanup_free char *out = NULL, *after = NULL;
  cleanup_free char *cpus1 = sysfs_line ("devices/system/node/node1/cpulist");
  cleanup_free char *cpus_line = xasprintf ("  cpus: %s", cpus1);
  cleanup_free char *policy_line =
      xasprintf ("  2. policy best-effort, from [placement] policy of %s/numa-runtime.conf", dir);

  (void) state;
  write_text (spec_path, gpu_spec);
  ARGS (&args, "explain", "--bundle", bundle);
  out = explain (&args, "policy = best-effort\n", &ret, NULL);
  assert_int_equal (ret, 0);
  assert_true (strncmp (out, "decision: placed\n", 17) == 0);
  assert_has_line (out, "  nodes: 1");
  assert_has_line (out, cpus_line);
  assert_has_line (out, "  mems: 1");
  assert_has_line (out, "  memory policy: MPOL_BIND over node(s) 1");
  assert_has_line (out, "  env: NUMA_NODE=1");
  assert_has_line (out, "  env: NUMA_MEMORY_NODES=1");
  assert_has_line (out, "  1. locality hint: node 1 from gpu /dev/nvidia1 (0000:86:00.0)");
  assert_has_line (out, policy_line);
  assert_has_line (out, "  3. offered:");
  assert_non_null (strstr (out, "\n       node 0: 16 of 16 CPUs free, "));
  assert_non_null (strstr (out, "\n       node 1: 16 of 16 CPUs free, "));
  assert_non_null (strstr (out, ", 1 device hint\n"));
  assert_has_line (out, "  4. chosen: node(s) 1 hold its devices and volumes, and it fits there");
  /* A dry run: no ledger made, config.json as it was.  */
  assert_int_equal (stat (ledger_dir, &st), -1);
  after = read_text (spec_path);
  assert_string_equal (after, gpu_spec);
}

static void
explain_json_from_stdin_gives_the_same_decision (void **state)
{
  struct nr_args args;
  cleanup_free char *stdin_path = xasprintf ("%s/stdin.json", dir);
  cleanup_free char *out = NULL;
  yajl_val root, env, hints, offers;
  int saved = dup (0), fd, ret;

  (void) state;
  write_text (stdin_path, gpu_spec);
  fd = open (stdin_path, O_RDONLY | O_CLOEXEC);
  assert_true (saved >= 0 && fd >= 0);
  dup2 (fd, 0);
  close (fd);
  ARGS (&args, "explain", "--json");
  out = explain (&args, "policy = best-effort\n", &ret, NULL);
  dup2 (saved, 0);
  close (saved);
  assert_int_equal (ret, 0);
  root = parse_json (out);
  assert_true (YAJL_IS_TRUE (nr_json_get (root, "placed")));
  assert_string_equal (nr_json_get_string (root, "nodes"), "1");
  assert_string_equal (nr_json_get_string (root, "memory_policy"), "MPOL_BIND");
  env = nr_json_get (root, "env");
  assert_true (YAJL_IS_ARRAY (env) && env->u.array.len == 2);
  assert_string_equal (YAJL_GET_STRING (env->u.array.values[0]), "NUMA_NODE=1");
  assert_string_equal (YAJL_GET_STRING (env->u.array.values[1]), "NUMA_MEMORY_NODES=1");
  hints = nr_json_get (root, "hints");
  assert_true (YAJL_IS_ARRAY (hints) && hints->u.array.len == 1);
  assert_int_equal (YAJL_GET_INTEGER (nr_json_get (hints->u.array.values[0], "node")), 1);
  assert_string_equal (nr_json_get_string (hints->u.array.values[0], "source"),
                       "gpu /dev/nvidia1 (0000:86:00.0)");
  offers = nr_json_get (root, "offers");
  assert_true (YAJL_IS_ARRAY (offers) && offers->u.array.len == 2);
  assert_int_equal (YAJL_GET_INTEGER (nr_json_get (offers->u.array.values[1], "hints")), 1);
  assert_int_equal (YAJL_GET_INTEGER (nr_json_get (offers->u.array.values[0], "hints")), 0);
  assert_int_equal (
      YAJL_GET_INTEGER (nr_json_get (offers->u.array.values[0], "millicpus_capacity")), 16000);
  assert_string_equal (nr_json_get_string (root, "policy"), "best-effort");
  assert_true (YAJL_IS_NULL (nr_json_get (root, "error")));
  assert_non_null (strstr (nr_json_get_string (root, "reason"), "hold its devices"));
  yajl_tree_free (root);
}

static void
explain_without_devices_says_there_are_no_hints (void **state)
{
  struct nr_args args;
  int ret;
  cleanup_free char *out = NULL;

  (void) state;
  write_text (spec_path, small_spec);
  ARGS (&args, "explain", "-b", bundle);
  out = explain (&args, "policy = best-effort\n", &ret, NULL);
  assert_int_equal (ret, 0);
  assert_has_line (out, "decision: placed");
  assert_has_line (out, "  1. locality hints: none (no device, volume or NIC of it is on a node)");
  assert_non_null (strstr (out, "\n  4. chosen: "));
  assert_non_null (strstr (out, "most free room"));
  assert_non_null (strstr (out, ", 0 device hints\n"));
}

static void
explain_refuses_as_create_would_with_exit_status_1 (void **state)
{
  static const char policy[] = "policy = single-numa-node\n";
  static const char want[] =
      "TopologyAffinityError: container c9 cannot be placed under policy single-numa-node";
  struct nr_args args;
  int ret;
  cleanup_free char *out = NULL, *json = NULL;
  const char *refusal;
  yajl_val root;
  struct stat st;

  (void) state;
  write_text (spec_path, huge_gpu_spec);
  ARGS (&args, "explain", "--id", "c9", "--bundle", bundle);
  out = explain (&args, policy, &ret, NULL);
  assert_int_equal (ret, 1);
  assert_true (strncmp (out, "decision: refused\nreasons:\n", 27) == 0);
  assert_null (strstr (out, "  nodes: "));
  assert_has_line (out, "  1. locality hint: node 1 from gpu /dev/nvidia1 (0000:86:00.0)");
  refusal = strstr (out, "\n  4. refused: ");
  assert_non_null (refusal);
  refusal += strlen ("\n  4. refused: ");
  assert_true (strncmp (refusal, want, strlen (want)) == 0);

  ARGS (&args, "explain", "--id=c9", "--json", "--bundle", bundle);
  json = explain (&args, policy, &ret, NULL);
  assert_int_equal (ret, 1);
  root = parse_json (json);
  assert_true (YAJL_IS_FALSE (nr_json_get (root, "placed")));
  assert_null (nr_json_get (root, "nodes"));
  assert_string_equal (nr_json_get_string (root, "policy"), "single-numa-node");
  /* The same words as the text, to its end of line.  */
  assert_true (strncmp (nr_json_get_string (root, "error"), refusal, strcspn (refusal, "\n")) == 0);
  assert_int_equal (strlen (nr_json_get_string (root, "error")), strcspn (refusal, "\n"));
  yajl_tree_free (root);
  assert_int_equal (stat (ledger_dir, &st), -1);
}

/* A ledger holding sandbox podA on node 1 (CPUs 8-11, 4 CPUs' load).  */
static void
write_pod_ledger (void)
{
  cleanup_free char *path = xasprintf ("%s/ledger.json", ledger_dir);
  struct nr_ledger_entry sandbox = entry ("podA", "1", "8-11", 4000);
  struct nr_ledger *l;

  assert_int_equal (mkdir (ledger_dir, 0700), 0);
  l = open_ledger (path, NULL);
  sandbox.pod = (char *) "podA";
  sandbox.sandbox = true;
  sandbox.millicpus = 4000;
  nr_ledger_add (l, &sandbox);
  commit (l);
  nr_ledger_close (l);
}

static void
explain_pod_places_a_member_on_the_node_its_sandbox_holds (void **state)
{
  struct nr_args args;
  int ret;
  cleanup_free char *member = NULL, *alone = NULL, *before = NULL, *after = NULL;
  cleanup_free char *index = xasprintf ("%s/ledger.json", ledger_dir);

  (void) state;
  write_pod_ledger ();
  before = read_text (index);
  write_text (spec_path, small_spec);
  ARGS (&args, "explain", "--pod", "podA", "--bundle", bundle);
  member = explain (&args, "policy = best-effort\n", &ret, NULL);
  assert_int_equal (ret, 0);
  assert_has_line (member, "  nodes: 1");
  assert_has_line (member, "  4. chosen: its pod podA already holds node(s) 1");
  assert_non_null (strstr (member, "\n       node 1: 12 of 16 CPUs free, "));
  /* Without --pod the same bundle goes to node 0, the less busy.  */
  ARGS (&args, "explain", "--bundle", bundle);
  alone = explain (&args, "policy = best-effort\n", &ret, NULL);
  assert_int_equal (ret, 0);
  assert_has_line (alone, "  nodes: 0");
  after = read_text (index);
  assert_string_equal (after, before);
  remove_tree (ledger_dir);
}

static void
explain_leaves_an_opted_out_container_and_policy_none_alone (void **state)
{
  struct nr_args args;
  int ret;
  cleanup_free char *out = NULL, *json = NULL, *none = NULL;
  yajl_val root;

  (void) state;
  write_text (spec_path, opted_out_spec);
  ARGS (&args, "explain", "--bundle", bundle);
  out = explain (&args, "policy = best-effort\n[annotations]\nallow_weaker_policy = true\n", &ret,
                 NULL);
  assert_int_equal (ret, 0);
  assert_string_equal (out, "decision: left alone (annotation numa-runtime.io/disable): the "
                            "runtime gets config.json untouched\n");

  write_text (spec_path, small_spec);
  ARGS (&args, "explain", "--json", "--bundle", bundle);
  json = explain (&args, "policy = none\n", &ret, NULL);
  assert_int_equal (ret, 0);
  root = parse_json (json);
  assert_true (YAJL_IS_FALSE (nr_json_get (root, "placed")));
  assert_true (YAJL_IS_TRUE (nr_json_get (root, "left_alone")));
  assert_string_equal (nr_json_get_string (root, "reason"), "policy none");
  yajl_tree_free (root);

  ARGS (&args, "explain", "--bundle", bundle);
  none = explain (&args, "policy = none\n", &ret, NULL);
  assert_int_equal (ret, 0);
  assert_non_null (strstr (none, "decision: left alone (policy none)"));
}

static void
explain_rejects_unknown_arguments_and_empty_ids (void **state)
{
  struct nr_args args;
  int ret;
  cleanup_free char *out = NULL, *message = NULL, *pod_out = NULL, *pod_message = NULL;
  cleanup_free char *id_out = NULL, *id_message = NULL, *missing = NULL, *missing_message = NULL;
  cleanup_free char *nowhere = xasprintf ("%s/no-such-bundle", dir);

  (void) state;
  ARGS (&args, "explain", "--bogus");
  out = explain (&args, "policy = best-effort\n", &ret, &message);
  assert_int_equal (ret, -1);
  assert_string_equal (out, "");
  assert_true (strncmp (message, "explain: unknown argument `--bogus`", 35) == 0);

  ARGS (&args, "explain", "--pod=");
  pod_out = explain (&args, "policy = best-effort\n", &ret, &pod_message);
  assert_int_equal (ret, -1);
  assert_non_null (strstr (pod_message, "--pod needs a sandbox id"));

  ARGS (&args, "explain", "--id=");
  id_out = explain (&args, "policy = best-effort\n", &ret, &id_message);
  assert_int_equal (ret, -1);
  assert_non_null (strstr (id_message, "--id needs an id"));

  ARGS (&args, "explain", "--bundle", nowhere);
  missing = explain (&args, "policy = best-effort\n", &ret, &missing_message);
  assert_int_equal (ret, -1);
  assert_string_equal (missing, "");
  assert_true (strncmp (missing_message, "explain: ", 9) == 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (explain_places_a_gpu_container_on_the_gpu_node_and_says_why),
    cmocka_unit_test (explain_json_from_stdin_gives_the_same_decision),
    cmocka_unit_test (explain_without_devices_says_there_are_no_hints),
    cmocka_unit_test (explain_refuses_as_create_would_with_exit_status_1),
    cmocka_unit_test (explain_pod_places_a_member_on_the_node_its_sandbox_holds),
    cmocka_unit_test (explain_leaves_an_opted_out_container_and_policy_none_alone),
    cmocka_unit_test (explain_rejects_unknown_arguments_and_empty_ids),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
