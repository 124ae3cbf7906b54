/* Memory policy: mode choice, the runtime's `features` answer and its
   cache, the spec field, and set_mempolicy on ourselves.  */
#include <config.h>

#include "unit.h"

#include "runtime_features.h"
#include "mempolicy.h"

#include <numaif.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static char dir[] = "/tmp/nr-test-mempolicy.XXXXXX";

static int
setup (void **state)
{
  assert_non_null (mkdtemp (dir));
  return 0;
}

static int
teardown (void **state)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", dir);
  return system (cmd) == 0 ? 0 : -1;
}

/* A fake runtime at DIR/NAME whose `features` prints FEATURES and counts
   its runs in DIR/NAME.runs.  */
static char *
fake_runtime (const char *name, const char *features)
{
  char *path = xasprintf ("%s/%s", dir, name);
  FILE *f = fopen (path, "w");

  assert_non_null (f);
  fprintf (f,
           "#!/bin/sh\n"
           "echo run >>'%s.runs'\n"
           "echo noise >&2\n"
           "[ \"$1\" = features ] || exit 3\n"
           "cat <<'EOF'\n%s\nEOF\n",
           path, features);
  fclose (f);
  assert_int_equal (chmod (path, 0755), 0);
  return path;
}

static int
runs (const char *runtime)
{
  cleanup_free char *path = xasprintf ("%s.runs", runtime);
  cleanup_free char *text = NULL;
  size_t len;
  int n = 0;

  if (read_file (path, 4096, &text, &len, NULL) < 0)
    return 0;
  for (char *p = text; (p = strstr (p, "run")); p += 3)
    n++;
  return n;
}

#define RUNC_15_FEATURES                                                                           \
  "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"1.3.0\",\"linux\":{\"memoryPolicy\":"          \
  "{\"modes\":[\"MPOL_BIND\",\"MPOL_DEFAULT\",\"MPOL_INTERLEAVE\",\"MPOL_LOCAL\","                 \
  "\"MPOL_PREFERRED\",\"MPOL_PREFERRED_MANY\",\"MPOL_WEIGHTED_INTERLEAVE\"],"                      \
  "\"flags\":[\"MPOL_F_NUMA_BALANCING\",\"MPOL_F_RELATIVE_NODES\",\"MPOL_F_STATIC_NODES\"]}}}"

static void
chooses_the_mode (void **state)
{
  struct nr_config c = { 0 };
  struct nr_request req = { 0 };

  c.memory_policy = NR_MPOL_PREFERRED;
  assert_int_equal (nr_mempolicy_choose (&c, &req, false), NR_MPOL_PREFERRED);
  assert_int_equal (nr_mempolicy_choose (&c, &req, true), NR_MPOL_INTERLEAVE);
  req.has_mpol = true;
  req.mpol = NR_MPOL_BIND;
  assert_int_equal (nr_mempolicy_choose (&c, &req, true), NR_MPOL_BIND);

  assert_int_equal (nr_mpol_kernel_mode (NR_MPOL_BIND, 2), MPOL_BIND);
  assert_int_equal (nr_mpol_kernel_mode (NR_MPOL_PREFERRED, 1), MPOL_PREFERRED);
  assert_int_equal (nr_mpol_kernel_mode (NR_MPOL_PREFERRED, 2), MPOL_PREFERRED_MANY);
  assert_string_equal (nr_mpol_oci_name (MPOL_INTERLEAVE), "MPOL_INTERLEAVE");
  assert_string_equal (nr_mpol_oci_name (MPOL_PREFERRED_MANY), "MPOL_PREFERRED_MANY");
}

static void
reads_linux_memory_policy_from_features (void **state)
{
  cleanup_free char *runc15 = fake_runtime ("runc15", RUNC_15_FEATURES);
  cleanup_free char *runc11 = fake_runtime ("runc11", "{\"ociVersionMax\":\"1.0.2-dev\",\"linux\":"
                                                      "{\"namespaces\":[\"pid\"]}}");
  cleanup_free char *no_modes = fake_runtime ("nomodes", "{\"linux\":{\"memoryPolicy\":{}}}");
  cleanup_free char *bind_only =
      fake_runtime ("bindonly", "{\"linux\":{\"memoryPolicy\":{\"modes\":[\"MPOL_BIND\"]}}}");
  cleanup_free char *relative_only =
      fake_runtime ("relonly", "{\"linux\":{\"memoryPolicy\":{\"modes\":[\"MPOL_BIND\"],"
                               "\"flags\":[\"MPOL_F_RELATIVE_NODES\"]}}}");
  cleanup_free char *garbage = fake_runtime ("garbage", "this is not JSON");
  nr_error_t err = NULL;
  unsigned modes;
  bool yes;

  assert_int_equal (nr_runtime_memory_policy_modes (runc15, NULL, &modes, &err), 0);
  assert_int_equal (modes, 0x7f | NR_MPOL_STATIC_NODES_KNOWN);
  assert_int_equal (nr_runtime_supports_memory_policy (runc15, NULL, &yes, &err), 0);
  assert_true (yes);
  assert_int_equal (nr_runtime_supports_memory_policy (runc11, NULL, &yes, &err), 0);
  assert_false (yes);
  assert_int_equal (nr_runtime_supports_memory_policy (no_modes, NULL, &yes, &err), 0);
  assert_true (yes);
  assert_int_equal (nr_runtime_memory_policy_modes (bind_only, NULL, &modes, &err), 0);
  /* No `flags`: every flag known, as for `modes`.  */
  assert_int_equal (modes, (1u << MPOL_BIND) | NR_MPOL_STATIC_NODES_KNOWN);
  assert_int_equal (nr_runtime_memory_policy_modes (relative_only, NULL, &modes, &err), 0);
  assert_int_equal (modes, 1u << MPOL_BIND);
  assert_int_equal (nr_runtime_supports_memory_policy (bind_only, NULL, &yes, &err), 0);
  assert_false (yes);
  assert_int_equal (nr_runtime_supports_memory_policy (garbage, NULL, &yes, &err), 0);
  assert_false (yes);
}

static void
a_runtime_without_features_knows_nothing (void **state)
{
  cleanup_free char *old = xasprintf ("%s/old", dir);
  FILE *f = fopen (old, "w");
  nr_error_t err = NULL;
  unsigned modes = 99;

  fputs ("#!/bin/sh\necho '{\"linux\":{\"memoryPolicy\":{}}}'\nexit 1\n", f);
  fclose (f);
  chmod (old, 0755);
  assert_int_equal (nr_runtime_memory_policy_modes (old, NULL, &modes, &err), 0);
  assert_int_equal (modes, 0);
  assert_int_equal (nr_runtime_memory_policy_modes ("/nonexistent/runc", NULL, &modes, &err), -1);
  assert_non_null (strstr (err->msg, "/nonexistent/runc"));
  nr_error_release (&err);
}

static void
caches_the_answer_per_binary (void **state)
{
  cleanup_free char *cache_dir = xasprintf ("%s/cache", dir);
  cleanup_free char *cache = xasprintf ("%s/runtime-features", cache_dir);
  cleanup_free char *a = fake_runtime ("a", RUNC_15_FEATURES);
  cleanup_free char *b = fake_runtime ("b", "{}");
  nr_error_t err = NULL;
  bool yes;

  assert_int_equal (mkdir (cache_dir, 0700), 0);
  assert_int_equal (nr_runtime_supports_memory_policy (a, cache_dir, &yes, &err), 0);
  assert_true (yes);
  assert_int_equal (nr_runtime_supports_memory_policy (a, cache_dir, &yes, &err), 0);
  assert_true (yes);
  assert_int_equal (runs (a), 1);
  assert_int_equal (nr_runtime_supports_memory_policy (b, cache_dir, &yes, &err), 0);
  assert_false (yes);
  assert_int_equal (nr_runtime_supports_memory_policy (b, cache_dir, &yes, &err), 0);
  assert_int_equal (nr_runtime_supports_memory_policy (a, cache_dir, &yes, &err), 0);
  assert_true (yes);
  assert_int_equal (runs (a), 1);
  assert_int_equal (runs (b), 1);

  /* An upgrade (new size, mtime) is asked again.  */
  free (fake_runtime ("a", "{\"linux\":{}}"));
  assert_int_equal (nr_runtime_supports_memory_policy (a, cache_dir, &yes, &err), 0);
  assert_false (yes);
  assert_int_equal (runs (a), 2);

  /* A damaged cache is only a cache miss.  */
  {
    FILE *f = fopen (cache, "w");
    fputs ("v1 garbage\n\x01\x02\n", f);
    fclose (f);
  }
  assert_int_equal (nr_runtime_supports_memory_policy (b, cache_dir, &yes, &err), 0);
  assert_false (yes);
  assert_int_equal (runs (b), 2);
}

static void
writes_the_spec_field (void **state)
{
  static const char text[] = "{\"linux\":{\"resources\":{}}}";
  cleanup_json yajl_val spec = NULL;
  cleanup_free char *out = NULL;
  cleanup_free char *out2 = NULL;
  nr_set_t nodes = set_of ("1");
  nr_set_t two = set_of ("2-3");
  nr_error_t err = NULL;

  assert_int_equal (nr_json_parse (text, strlen (text), &spec, NULL), 0);
  assert_int_equal (nr_mempolicy_write_spec (spec, NR_MPOL_BIND, &nodes, &err), 0);
  out = nr_json_generate (spec, NULL);
  assert_string_equal (out, "{\"linux\":{\"resources\":{},\"memoryPolicy\":"
                            "{\"mode\":\"MPOL_BIND\",\"nodes\":\"1\","
                            "\"flags\":[\"MPOL_F_STATIC_NODES\"]}}}");
  assert_int_equal (nr_mempolicy_write_spec (spec, NR_MPOL_PREFERRED, &two, &err), 0);
  out2 = nr_json_generate (spec, NULL);
  assert_string_equal (out2, "{\"linux\":{\"resources\":{},\"memoryPolicy\":"
                             "{\"mode\":\"MPOL_PREFERRED_MANY\",\"nodes\":\"2-3\","
                             "\"flags\":[\"MPOL_F_STATIC_NODES\"]}}}");
  nr_set_clear (&nodes);
  assert_int_equal (nr_mempolicy_write_spec (spec, NR_MPOL_BIND, &nodes, &err), -1);
  nr_error_release (&err);
}

/* In a child: apply MODE on node 0 and report get_mempolicy's answer.  */
static void
applies_to_self_and_children_inherit (void **state)
{
  nr_set_t node0 = set_of ("0");
  int fds[2];
  pid_t pid;
  int status;
  char buf[64] = { 0 };

  assert_int_equal (pipe (fds), 0);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      nr_error_t err = NULL;
      pid_t grandchild;
      if (nr_mempolicy_apply_self (NR_MPOL_BIND, &node0, &err) < 0)
        _exit (2);
      /* What the runtime we exec would see: a fork's policy.  */
      grandchild = fork ();
      if (grandchild == 0)
        {
          int mode = -1;
          unsigned long mask[1024 / (8 * sizeof (unsigned long))] = { 0 };
          if (syscall (SYS_get_mempolicy, &mode, mask, 1025UL, NULL, 0UL) < 0)
            _exit (3);
          dprintf (fds[1], "%d %lx", mode, mask[0]);
          _exit (0);
        }
      waitpid (grandchild, &status, 0);
      _exit (WIFEXITED (status) ? WEXITSTATUS (status) : 4);
    }
  close (fds[1]);
  assert_true (read (fds[0], buf, sizeof (buf) - 1) > 0);
  close (fds[0]);
  waitpid (pid, &status, 0);
  assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  /* MPOL_BIND with MPOL_F_STATIC_NODES, node 0.  */
  assert_string_equal (buf, "32770 1");
}

static void
refuses_nodes_outside_our_cpuset (void **state)
{
  nr_set_t far = set_of ("4000");
  nr_error_t err = NULL;

  assert_int_equal (nr_mempolicy_apply_self (NR_MPOL_BIND, &far, &err), -1);
  assert_non_null (strstr (err->msg, "node(s) 4000"));
  assert_non_null (strstr (err->msg, "its cpuset"));
  nr_error_release (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (chooses_the_mode),
    cmocka_unit_test (reads_linux_memory_policy_from_features),
    cmocka_unit_test (a_runtime_without_features_knows_nothing),
    cmocka_unit_test (caches_the_answer_per_binary),
    cmocka_unit_test (writes_the_spec_field),
    cmocka_unit_test (applies_to_self_and_children_inherit),
    cmocka_unit_test (refuses_nodes_outside_our_cpuset),
  };
  return cmocka_run_group_tests_name ("mempolicy", tests, setup, teardown);
}
