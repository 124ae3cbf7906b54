/* Living beside the tools users already run: the guide's annotation
   aliases, a device plugin's NUMA_NODE in the env, kubelet's CPU and
   Memory Manager checkpoints, and what placement makes of them.  */
#include <config.h>

#include "placement-fixtures.h"

#include "annotations.h"
#include "kubelet_state.h"

#include <stdio.h>
#include <string.h>

/* ---- reading a spec ------------------------------------------------- */

static void
default_config (struct nr_config *c)
{
  memset (c, 0, sizeof (*c));
  c->policy = NR_POLICY_BEST_EFFORT;
  c->annotations_enabled = true;
  c->env_pin_enabled = true;
}

/* Read a spec with ANNOTATIONS (a JSON object) and ENV (a JSON array)
   under POLICY.  Returns what nr_annotations_read returned; *MSG gets the
   error text (owned), or NULL.  */
static int
read_spec (const struct nr_config *c, enum nr_policy policy, const char *annotations,
           const char *env, struct nr_request *req, char **msg)
{
  cleanup_free char *text =
      xasprintf ("{\"process\":{\"env\":%s},\"annotations\":%s}", env, annotations);
  cleanup_json yajl_val spec = NULL;
  nr_error_t err = NULL;
  int ret;

  if (nr_json_parse (text, strlen (text), &spec, &err) < 0)
    fail_msg ("bad JSON in test: %s", err->msg);
  memset (req, 0, sizeof (*req));
  req->id = "c1";
  ret = nr_annotations_read (spec, c, policy, req, &err);
  *msg = ret < 0 ? xstrdup (err->msg) : NULL;
  nr_error_release (&err);
  return ret;
}

static void
guide_annotations_are_aliases (void **state)
{
  struct nr_config c;
  struct nr_request req;
  cleanup_free char *msg = NULL;

  (void) state;
  default_config (&c);
  assert_int_equal (read_spec (&c, NR_POLICY_BEST_EFFORT,
                               "{\"kubernetes.io/topology-policy\":\"restricted\","
                               "\"cpu-set.kubernetes.io/numa-node\":\"1\"}",
                               "[]", &req, &msg),
                    0);
  assert_true (req.has_policy);
  assert_int_equal (req.policy, NR_POLICY_RESTRICTED);
  assert_set_equal (req.nodes_wanted, "1");
  assert_string_equal (req.pinned_by, "cpu-set.kubernetes.io/numa-node");
  assert_false (req.pin_from_env);

  /* The numa-runtime.io/ key wins over its alias.  */
  assert_int_equal (read_spec (&c, NR_POLICY_BEST_EFFORT,
                               "{\"cpu-set.kubernetes.io/numa-node\":\"1\","
                               "\"numa-runtime.io/nodes\":\"0\"}",
                               "[]", &req, &msg),
                    0);
  assert_set_equal (req.nodes_wanted, "0");
  assert_string_equal (req.pinned_by, "numa-runtime.io/nodes");
}

static void
aliases_obey_the_same_bounds (void **state)
{
  struct nr_config c;
  struct nr_request req;
  char *msg = NULL;

  (void) state;
  default_config (&c);
  c.annotation_nodes = set_of ("0");
  c.annotation_nodes_set = true;
  assert_int_equal (read_spec (&c, NR_POLICY_RESTRICTED,
                               "{\"cpu-set.kubernetes.io/numa-node\":\"1\"}", "[]", &req, &msg),
                    -1);
  assert_non_null (strstr (msg, "annotation cpu-set.kubernetes.io/numa-node = `1`"));
  assert_non_null (strstr (msg, "allowed_nodes"));
  free (msg);

  /* Weakening the configured policy needs allow_weaker_policy.  */
  default_config (&c);
  assert_int_equal (read_spec (&c, NR_POLICY_RESTRICTED,
                               "{\"kubernetes.io/topology-policy\":\"best-effort\"}", "[]", &req,
                               &msg),
                    -1);
  assert_non_null (strstr (msg, "kubernetes.io/topology-policy"));
  free (msg);

  /* `honoured` names the suffix; enabled = false turns them off too.  */
  c.annotation_keys = (char *) "policy";
  assert_int_equal (read_spec (&c, NR_POLICY_BEST_EFFORT,
                               "{\"cpu-set.kubernetes.io/numa-node\":\"1\"}", "[]", &req, &msg),
                    0);
  assert_true (nr_set_is_empty (&req.nodes_wanted));
  c.annotation_keys = NULL;
  c.annotations_enabled = false;
  assert_int_equal (read_spec (&c, NR_POLICY_BEST_EFFORT,
                               "{\"kubernetes.io/topology-policy\":\"restricted\"}", "[]", &req,
                               &msg),
                    0);
  assert_false (req.has_policy);
}

static void
env_numa_node_is_a_pin_request (void **state)
{
  struct nr_config c;
  struct nr_request req;
  cleanup_free char *msg = NULL;

  (void) state;
  default_config (&c);
  assert_int_equal (read_spec (&c, NR_POLICY_SINGLE_NUMA_NODE, "{}",
                               "[\"PATH=/bin\",\"NUMA_NODE=0\",\"NUMA_NODE=1\"]", &req, &msg),
                    0);
  /* The last one, as set_env leaves it.  */
  assert_set_equal (req.nodes_wanted, "1");
  assert_true (req.pin_from_env);
  assert_string_equal (req.pinned_by, "env NUMA_NODE");

  /* The admin's switch.  */
  c.env_pin_enabled = false;
  assert_int_equal (
      read_spec (&c, NR_POLICY_SINGLE_NUMA_NODE, "{}", "[\"NUMA_NODE=1\"]", &req, &msg), 0);
  assert_true (nr_set_is_empty (&req.nodes_wanted));
  assert_false (req.pin_from_env);

  /* Next to NUMA_MEMORY_NODES it is numa-runtime's own earlier choice.  */
  assert_int_equal (read_spec (&c, NR_POLICY_SINGLE_NUMA_NODE, "{}",
                               "[\"NUMA_NODE=1\",\"NUMA_MEMORY_NODES=1\"]", &req, &msg),
                    0);
  assert_false (req.pin_from_env);

  /* NUMA_NODEX=1 is another variable.  */
  c.env_pin_enabled = true;
  assert_int_equal (
      read_spec (&c, NR_POLICY_SINGLE_NUMA_NODE, "{}", "[\"NUMA_NODEX=1\"]", &req, &msg), 0);
  assert_false (req.pin_from_env);
}

static void
env_pin_bad_or_conflicting (void **state)
{
  struct nr_config c;
  struct nr_request req;
  char *msg = NULL;

  (void) state;
  default_config (&c);
  /* Garbage: refused when strict, ignored (and so rewritten) otherwise.  */
  assert_int_equal (
      read_spec (&c, NR_POLICY_RESTRICTED, "{}", "[\"NUMA_NODE=x\\u0007\"]", &req, &msg), -1);
  assert_non_null (strstr (msg, "TopologyAffinityError: NUMA_NODE=x? in the spec's env"));
  free (msg);
  assert_int_equal (read_spec (&c, NR_POLICY_BEST_EFFORT, "{}", "[\"NUMA_NODE=x\"]", &req, &msg),
                    0);
  assert_false (req.pin_from_env);

  /* Outside allowed_nodes.  */
  c.annotation_nodes = set_of ("0");
  c.annotation_nodes_set = true;
  assert_int_equal (read_spec (&c, NR_POLICY_RESTRICTED, "{}", "[\"NUMA_NODE=1\"]", &req, &msg),
                    -1);
  assert_non_null (strstr (msg, "allowed_nodes = 0"));
  free (msg);

  /* The nodes annotation wins; a different NUMA_NODE is refused when
     strict, else ignored; the same one keeps the annotation as source.  */
  default_config (&c);
  assert_int_equal (read_spec (&c, NR_POLICY_SINGLE_NUMA_NODE, "{\"numa-runtime.io/nodes\":\"0\"}",
                               "[\"NUMA_NODE=1\"]", &req, &msg),
                    -1);
  assert_non_null (strstr (msg, "disagrees with annotation numa-runtime.io/nodes"));
  free (msg);
  assert_int_equal (read_spec (&c, NR_POLICY_BEST_EFFORT, "{\"numa-runtime.io/nodes\":\"0\"}",
                               "[\"NUMA_NODE=1\"]", &req, &msg),
                    0);
  assert_set_equal (req.nodes_wanted, "0");
  assert_false (req.pin_from_env);
  assert_int_equal (read_spec (&c, NR_POLICY_SINGLE_NUMA_NODE, "{\"numa-runtime.io/nodes\":\"1\"}",
                               "[\"NUMA_NODE=1\"]", &req, &msg),
                    0);
  assert_string_equal (req.pinned_by, "numa-runtime.io/nodes");
}

/* ---- the checkpoints ------------------------------------------------ */

static int
parse_cpu (const char *text, struct nr_kubelet_state *s, char **msg)
{
  nr_error_t err = NULL;
  int ret = nr_kubelet_parse_cpu_state (text, strlen (text), s, &err);

  *msg = ret < 0 ? xstrdup (err->msg) : NULL;
  nr_error_release (&err);
  return ret;
}

static int
parse_memory (const char *text, struct nr_kubelet_state *s, char **msg)
{
  nr_error_t err = NULL;
  int ret = nr_kubelet_parse_memory_state (text, strlen (text), s, &err);

  *msg = ret < 0 ? xstrdup (err->msg) : NULL;
  nr_error_release (&err);
  return ret;
}

static void
cpu_state_v1_and_v2 (void **state)
{
  struct nr_kubelet_state s = { 0 };
  char *msg = NULL;

  (void) state;
  assert_int_equal (parse_cpu ("{\"policyName\":\"static\",\"defaultCpuSet\":\"0,3-7\","
                               "\"entries\":{\"pod-a\":{\"app\":\"1-2\",\"side\":\"6\"},"
                               "\"pod-b\":{}},\"checksum\":3040212486}",
                               &s, &msg),
                    0);
  assert_true (s.cpu_static);
  assert_set_equal (s.exclusive_cpus, "1-2,6");
  /* v1: container id to CPU list.  */
  assert_int_equal (parse_cpu ("{\"policyName\":\"static\",\"defaultCpuSet\":\"2-7\","
                               "\"entries\":{\"4f1e\":\"0-1\"},\"checksum\":1}",
                               &s, &msg),
                    0);
  assert_set_equal (s.exclusive_cpus, "0-1");
  /* policy none: no entries, nothing taken.  */
  assert_int_equal (
      parse_cpu ("{\"policyName\":\"none\",\"defaultCpuSet\":\"\",\"checksum\":1}", &s, &msg), 0);
  assert_false (s.cpu_static);
  assert_true (nr_set_is_empty (&s.exclusive_cpus));
}

static void
cpu_state_garbage (void **state)
{
  static const char *const garbage[] = {
    "",
    "[]",
    "{\"defaultCpuSet\":\"0-1\"}",
    "{\"policyName\":\"static\",\"entries\":[]}",
    "{\"policyName\":\"static\",\"entries\":{\"p\":{\"c\":\"0-\"}}}",
    "{\"policyName\":\"static\",\"entries\":{\"p\":{\"c\":7}}}",
    "{\"policyName\":\"static\",\"entries\":{\"p\":{\"c\":\"99999999\"}}}",
    "{\"policyName\":\"static\",\"entries\":{\"p\":true}}",
    "{\"policyName\":\"static\"",
  };

  (void) state;
  for (size_t i = 0; i < NR_N_ELEMENTS (garbage); i++)
    {
      struct nr_kubelet_state s = { 0 };
      cleanup_free char *msg = NULL;

      s.cpu_static = true;
      nr_set_add (&s.exclusive_cpus, 3);
      if (parse_cpu (garbage[i], &s, &msg) == 0)
        fail_msg ("`%s` parsed", garbage[i]);
      assert_null (strchr (msg, '\n'));
      assert_false (s.cpu_static);
      assert_true (nr_set_is_empty (&s.exclusive_cpus));
    }
}

static const char memory_state[] =
    "{\"policyName\":\"Static\",\"machineState\":{"
    "\"0\":{\"numberOfAssignments\":2,\"memoryMap\":{"
    "\"memory\":{\"total\":17179869184,\"systemReserved\":0,\"allocatable\":17179869184,"
    "\"reserved\":4294967296,\"free\":12884901888},"
    "\"hugepages-2Mi\":{\"total\":0,\"systemReserved\":0,\"allocatable\":0,\"reserved\":0,"
    "\"free\":0},"
    "\"hugepages-1Gi\":{\"total\":2147483648,\"reserved\":1073741824}},\"cells\":[0]},"
    "\"1\":{\"numberOfAssignments\":0,\"memoryMap\":{\"memory\":{\"total\":1,\"reserved\":0}},"
    "\"cells\":[1]}},"
    "\"entries\":{\"pod-a\":{\"app\":[{\"numaAffinity\":[0],\"type\":\"memory\","
    "\"size\":4294967296}]}},\"checksum\":1}";

static void
memory_state_per_node (void **state)
{
  struct nr_kubelet_state s = { 0 };
  char *msg = NULL;
  int64_t memory, hugepages;

  (void) state;
  assert_int_equal (parse_memory (memory_state, &s, &msg), 0);
  assert_true (s.memory_static);
  nr_kubelet_reserved_on (&s, 0, &memory, &hugepages);
  assert_int_equal (memory, 4 * GiB);
  assert_int_equal (hugepages, GiB);
  nr_kubelet_reserved_on (&s, 1, &memory, &hugepages);
  assert_int_equal (memory, 0);
  nr_kubelet_reserved_on (&s, 7, &memory, &hugepages);
  assert_int_equal (memory + hugepages, 0);
  nr_kubelet_state_free (&s);

  assert_int_equal (
      parse_memory ("{\"policyName\":\"None\",\"machineState\":{},\"checksum\":1}", &s, &msg), 0);
  assert_false (s.memory_static);
  assert_int_equal (s.n_reserved, 0);
  nr_kubelet_state_free (&s);
}

static void
memory_state_garbage (void **state)
{
  static const char *const garbage[] = {
    "{}",
    "{\"policyName\":\"Static\",\"machineState\":[]}",
    "{\"policyName\":\"Static\",\"machineState\":{\"x\":{}}}",
    "{\"policyName\":\"Static\",\"machineState\":{\"01\":{}}}",
    "{\"policyName\":\"Static\",\"machineState\":{\"99999\":{}}}",
    "{\"policyName\":\"Static\",\"machineState\":{\"0\":[]}}",
    "{\"policyName\":\"Static\",\"machineState\":{\"0\":{\"memoryMap\":7}}}",
    "{\"policyName\":\"Static\",\"machineState\":{\"0\":{\"memoryMap\":{\"memory\":1}}}}",
    "{\"policyName\":\"Static\",\"machineState\":{\"0\":{\"memoryMap\":{\"memory\":"
    "{\"reserved\":-1}}}}}",
    "{\"policyName\":\"Static\",\"machineState\":{\"0\":{\"memoryMap\":{\"memory\":"
    "{\"reserved\":18446744073709551615}}}}}",
    "{\"policyName\":\"Static\",\"machineState\":{\"0\":{\"memoryMap\":{"
    "\"hugepages-2Mi\":{\"reserved\":9223372036854775807},"
    "\"hugepages-1Gi\":{\"reserved\":1}}}}}",
  };

  (void) state;
  for (size_t i = 0; i < NR_N_ELEMENTS (garbage); i++)
    {
      struct nr_kubelet_state s = { 0 };
      cleanup_free char *msg = NULL;

      if (parse_memory (garbage[i], &s, &msg) == 0)
        fail_msg ("`%s` parsed", garbage[i]);
      assert_null (strchr (msg, '\n'));
      assert_int_equal (s.n_reserved, 0);
      assert_null (s.reserved);
    }
}

/* ---- placement's inputs --------------------------------------------- */

/* The two-node fixture machine: CPUs 0-3 and 4-7, 16 GiB each.  */
static void
twonode (struct host *h)
{
  host_alloc (h, 2);
  for (int i = 0; i < 2; i++)
    {
      h->topo.nodes[i].cpus = set_of (i == 0 ? "0-3" : "4-7");
      h->topo.nodes[i].memory_total = 16 * GiB;
      set_distance (h, i, i, 10);
    }
  set_distance (h, 0, 1, 21);
}

struct kubelet_taken
{
  nr_set_t cpus;
  int64_t memory[2];
  bool cpu_static;
};

static int
place_beside (struct host *h, const struct kubelet_taken *k, struct nr_placement *out,
              nr_error_t *err)
{
  struct nr_placement_input in = { .topo = &h->topo,
                                   .usage = h->usage,
                                   .req = &h->req,
                                   .config = &h->config,
                                   .kubelet_cpus = k->cpus,
                                   .kubelet_memory = k->memory,
                                   .kubelet_static_cpus = k->cpu_static };
  return nr_place (&in, out, err);
}

static void
kubelet_cpus_are_never_ours (void **state)
{
  struct host h;
  struct kubelet_taken k = { .cpus = set_of ("0-1") };
  struct nr_placement p;
  nr_error_t err = NULL;

  (void) state;
  twonode (&h);
  h.req.nodes_wanted = set_of ("0");
  assert_int_equal (place_beside (&h, &k, &p, &err), 0);
  assert_set_equal (p.cpus, "2-3");
  nr_placement_free (&p);

  /* Exclusive (kubelet's policy not static: an old checkpoint's entries):
     never 0 or 1, even when numa-runtime's pool of the node (2-3, nobody
     sharing it) is all held.  */
  h.req.has_exclusive = h.req.exclusive = true;
  h.req.millicpus = 1000;
  assert_int_equal (place_beside (&h, &k, &p, &err), 0);
  assert_set_equal (p.exclusive, "2");
  nr_placement_free (&p);
  h.req.millicpus = 2000;
  assert_int_equal (place_beside (&h, &k, &p, &err), 0);
  assert_false (nr_set_intersects (&p.cpus, &k.cpus));
  assert_set_equal (p.exclusive, "2-3");
  nr_placement_free (&p);
  host_free (&h);
}

static void
kubelet_static_policy_owns_exclusive_cpus (void **state)
{
  struct host h;
  struct kubelet_taken k = { .cpus = set_of ("0-1"), .cpu_static = true };
  struct nr_placement p;

  (void) state;
  twonode (&h);
  h.req.has_exclusive = h.req.exclusive = true;
  h.req.millicpus = 1000;
  h.req.nodes_wanted = set_of ("0");
  h.config.policy = NR_POLICY_RESTRICTED;
  {
    nr_error_t err = NULL;
    assert_int_equal (place_beside (&h, &k, &p, &err), -1);
    assert_non_null (strstr (err->msg, "kubelet's CPU Manager runs the static policy"));
    nr_error_release (&err);
  }
  h.config.policy = NR_POLICY_BEST_EFFORT;
  {
    nr_error_t err = NULL;
    assert_int_equal (place_beside (&h, &k, &p, &err), 0);
    assert_true (nr_set_is_empty (&p.exclusive));
    assert_set_equal (p.cpus, "2-3");
    assert_non_null (strstr (p.warning, "sharing the pool"));
    nr_placement_free (&p);
  }
  host_free (&h);
}

static void
kubelet_memory_counts_as_taken (void **state)
{
  struct host h;
  struct kubelet_taken k = { .memory = { 14 * GiB, 0 } };
  struct nr_placement p;
  nr_error_t err = NULL;

  (void) state;
  twonode (&h);
  h.req.memory = 4 * GiB;
  h.req.millicpus = 500;
  /* Without kubelet's reservation node 0 (the lower id) would do.  */
  assert_int_equal (place_beside (&h, &k, &p, &err), 0);
  assert_set_equal (p.nodes, "1");
  nr_placement_free (&p);
  h.config.policy = NR_POLICY_SINGLE_NUMA_NODE;
  h.req.nodes_wanted = set_of ("0");
  assert_int_equal (place_beside (&h, &k, &p, &err), -1);
  assert_non_null (strstr (err->msg, "TopologyAffinityError"));
  nr_error_release (&err);
  host_free (&h);
}

static void
env_pin_in_placement (void **state)
{
  static const enum nr_policy policies[] = { NR_POLICY_BEST_EFFORT, NR_POLICY_RESTRICTED,
                                             NR_POLICY_SINGLE_NUMA_NODE };
  struct kubelet_taken none = { 0 };
  struct host h;
  struct nr_placement p;
  nr_error_t err = NULL;

  (void) state;
  twonode (&h);
  h.req.nodes_wanted = set_of ("1");
  h.req.pin_from_env = true;
  for (size_t i = 0; i < NR_N_ELEMENTS (policies); i++)
    {
      h.config.policy = policies[i];
      assert_int_equal (place_beside (&h, &none, &p, &err), 0);
      assert_set_equal (p.nodes, "1");
      assert_null (p.warning);
      nr_placement_free (&p);
    }
  /* kubelet's cpuset elsewhere: refused when strict, said otherwise.  */
  h.req.has_cpus = true;
  h.req.cpus = set_of ("0-1");
  h.config.policy = NR_POLICY_RESTRICTED;
  assert_int_equal (place_beside (&h, &none, &p, &err), -1);
  assert_non_null (strstr (err->msg, "TopologyAffinityError"));
  assert_non_null (strstr (err->msg, "NUMA_NODE=1"));
  nr_error_release (&err);
  h.config.policy = NR_POLICY_BEST_EFFORT;
  assert_int_equal (place_beside (&h, &none, &p, &err), 0);
  assert_non_null (strstr (p.warning, "NUMA_NODE=1 (a device plugin's choice) cannot be met"));
  assert_non_null (strstr (p.warning, "placed on node(s) 0"));
  nr_placement_free (&p);
  /* A node the host does not have.  */
  h.req.has_cpus = false;
  h.req.nodes_wanted = set_of ("5");
  assert_int_equal (place_beside (&h, &none, &p, &err), 0);
  assert_non_null (strstr (p.warning, "NUMA_NODE in its env 5: no such node"));
  assert_null (strstr (p.warning, "cannot be met"));
  nr_placement_free (&p);
  host_free (&h);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (guide_annotations_are_aliases),
    cmocka_unit_test (aliases_obey_the_same_bounds),
    cmocka_unit_test (env_numa_node_is_a_pin_request),
    cmocka_unit_test (env_pin_bad_or_conflicting),
    cmocka_unit_test (cpu_state_v1_and_v2),
    cmocka_unit_test (cpu_state_garbage),
    cmocka_unit_test (memory_state_per_node),
    cmocka_unit_test (memory_state_garbage),
    cmocka_unit_test (kubelet_cpus_are_never_ours),
    cmocka_unit_test (kubelet_static_policy_owns_exclusive_cpus),
    cmocka_unit_test (kubelet_memory_counts_as_taken),
    cmocka_unit_test (env_pin_in_placement),
  };

  nr_log_init ("/dev/null", "json", false);
  return cmocka_run_group_tests (tests, NULL, NULL);
}
