/* Measured locality: the memory.numa_stat parser (v2 bytes, v1 pages,
   garbage), the spec's cgroupsPath to a cgroup (systemd and cgroupfs
   forms), and a container's memory by node over fixture cgroup trees
   written here: v2 and v1, found by its spec's path or through its
   runtime's state and /proc/PID/cgroup, gone, and unreadable.  */
#include <config.h>

#include "unit.h"

#include "cgroup.h"
#include "conf.h"
#include "numastat.h"
#include "residency.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the parser --------------------------------------------------------- */

static const char v2_stat[] = "anon N0=1048576 N1=3145728\n"
                              "file N0=4096 N1=0\n"
                              "kernel_stack N0=16384 N1=0\n"
                              "shmem N0=4096 N1=0\n"
                              "file_mapped N0=4096 N1=0\n";

static const char v1_stat[] = "total=300 N0=100 N1=200\n"
                              "file=10 N0=10 N1=0\n"
                              "anon=290 N0=90 N1=200\n"
                              "unevictable=0 N0=0 N1=0\n"
                              "hierarchical_total=400 N0=150 N1=250\n"
                              "hierarchical_file=10 N0=10 N1=0\n";

static void
parse_v2_counts_anon_and_file_in_bytes (void **state)
{
  struct nr_numastat s;
  (void) state;

  assert_int_equal (nr_numastat_parse (v2_stat, strlen (v2_stat), 4096, &s, NULL), 0);
  assert_set_equal (s.nodes, "0-1");
  /* shmem is inside file: counted once.  */
  assert_int_equal (s.bytes[0], 1048576 + 4096);
  assert_int_equal (s.bytes[1], 3145728);
  assert_int_equal (s.total, 1048576 + 4096 + 3145728);
}

static void
parse_v1_counts_hierarchical_total_in_pages (void **state)
{
  struct nr_numastat s;
  const char flat[] = "total=3 N0=1 N2=2\nfile=0 N0=0 N2=0\n";
  (void) state;

  assert_int_equal (nr_numastat_parse (v1_stat, strlen (v1_stat), 4096, &s, NULL), 0);
  assert_int_equal (s.bytes[0], 150 * 4096);
  assert_int_equal (s.bytes[1], 250 * 4096);
  /* Without hierarchy: total.  */
  assert_int_equal (nr_numastat_parse (flat, strlen (flat), 4096, &s, NULL), 0);
  assert_set_equal (s.nodes, "0,2");
  assert_int_equal (s.bytes[2], 2 * 4096);
  assert_int_equal (s.total, 3 * 4096);
}

static void
parse_refuses_garbage (void **state)
{
  static const char *const bad[] = {
    "",
    "hello world\n",
    "anon N0=1 N0=2\n",                          /* a node twice */
    "anon N0=1\nanon N0=2\n",                    /* a key twice */
    "anon N0=x\n",                               /* not a number */
    "anon N0=1 M1=2\n",                          /* not a node field */
    "anon N0=-1\n",                              /* negative */
    "anon N1024=1\n",                            /* beyond MAX_NUMNODES */
    "anon N0=18446744073709551616\n",            /* over 2^64 - 1 */
    "anon N0=18446744073709551615\nfile N0=1\n", /* the sum overflows */
    "total=1 N0=1\nanon N0=1\n",                 /* both forms */
    "anon N0=1 \x01\n",
  };
  struct nr_numastat s;
  (void) state;

  for (size_t i = 0; i < NR_N_ELEMENTS (bad); i++)
    {
      nr_error_t err = NULL;
      if (nr_numastat_parse (bad[i], strlen (bad[i]), 4096, &s, &err) == 0)
        fail_msg ("`%s` parsed", bad[i]);
      assert_non_null (err);
      assert_non_null (strstr (err->msg, "memory.numa_stat"));
      nr_error_release (&err);
    }
  /* Pages times the page size overflowing.  */
  assert_int_equal (nr_numastat_parse ("total=1 N0=9223372036854775807\n", 31, 4096, &s, NULL), -1);
  /* A NUL inside.  */
  assert_int_equal (nr_numastat_parse ("anon N0=1\0\n", 11, 4096, &s, NULL), -1);
}

/* ---- cgroupsPath -------------------------------------------------------- */

static void
cgroup_from_spec_systemd_and_cgroupfs (void **state)
{
  static const char *const cases[][2] = {
    { "kubepods-besteffort-pod12.slice:cri-containerd:abc",
      "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice/"
      "cri-containerd-abc.scope" },
    { "system.slice:docker:abc", "/system.slice/docker-abc.scope" },
    { ":crio:abc", "/system.slice/crio-abc.scope" },
    { "-.slice:runc:abc", "/runc-abc.scope" },
    { "machine.slice::abc", "/machine.slice/abc.scope" },
    { "user.slice:x:sub.slice", "/user.slice/sub.slice" },
    { "/kubepods/burstable/pod1/abc", "/kubepods/burstable/pod1/abc" },
  };
  static const char *const none[] = {
    "",
    "relative/path",
    "a.slice:b",
    "a.slice:b:c:d",
    "notaslice:p:n",
    "a--b.slice:p:n",
    "-a.slice:p:n",
    "a.slice:p:..",
    "a.slice:p/q:n",
    "/a/../b",
    "/a/..",
  };
  (void) state;

  for (size_t i = 0; i < NR_N_ELEMENTS (cases); i++)
    {
      cleanup_free char *got = nr_cgroup_from_spec (cases[i][0]);
      assert_non_null (got);
      assert_string_equal (got, cases[i][1]);
    }
  for (size_t i = 0; i < NR_N_ELEMENTS (none); i++)
    {
      cleanup_free char *got = nr_cgroup_from_spec (none[i]);
      if (got)
        fail_msg ("`%s` gave `%s`", none[i], got);
    }
  assert_null (nr_cgroup_from_spec (NULL));
}

/* ---- fixture trees ------------------------------------------------------ */

struct fixture
{
  char dir[64];
  struct nr_config config;
};

static void
write_text (const char *path, const char *text)
{
  cleanup_free char *copy = xstrdup (path);
  nr_error_t err = NULL;
  FILE *f;

  *strrchr (copy, '/') = '\0';
  if (mkdir_parents (copy, 0755, &err) < 0)
    fail_msg ("%s", err->msg);
  f = fopen (path, "w");
  assert_non_null (f);
  fputs (text, f);
  fclose (f);
}

static void
write_at (const struct fixture *fx, const char *rel, const char *text)
{
  cleanup_free char *path = xasprintf ("%s/%s", fx->dir, rel);
  write_text (path, text);
}

static int
fixture_setup (void **state)
{
  struct fixture *fx = xmalloc0 (sizeof (*fx));

  snprintf (fx->dir, sizeof (fx->dir), "/tmp/nr-residency.XXXXXX");
  assert_non_null (mkdtemp (fx->dir));
  fx->config.cgroup_root = xasprintf ("%s/cgroup", fx->dir);
  fx->config.proc_root = xasprintf ("%s/proc", fx->dir);
  *state = fx;
  return 0;
}

static int
fixture_teardown (void **state)
{
  struct fixture *fx = *state;
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", fx->dir);

  assert_int_equal (system (cmd), 0);
  free (fx->config.cgroup_root);
  free (fx->config.proc_root);
  free (fx);
  return 0;
}

/* An entry for ID placed on MEMS with cgroupsPath CGROUP.  */
static struct nr_ledger_entry
entry (const char *id, const char *mems, const char *cgroup)
{
  struct nr_ledger_entry e = { 0 };
  e.id = (char *) id;
  e.mems = set_of (mems);
  e.nodes = e.mems;
  e.cgroup = (char *) cgroup;
  return e;
}

/* Measure E in FX: returns the call's result, *R filled.  */
static int
measure (struct fixture *fx, const struct nr_ledger_entry *e, struct nr_residency *r,
         nr_error_t *err)
{
  struct nr_enforced_ctx ctx;

  nr_enforced_ctx_init (&ctx, &fx->config);
  ctx.page_size = 4096;
  return nr_residency_measure (&ctx, e, r, err);
}

static void
v2_systemd_path (void **state)
{
  struct fixture *fx = *state;
  struct nr_ledger_entry e = entry ("abc", "1", "kubepods.slice:cri-containerd:abc");
  struct nr_residency r;
  double ratio;

  write_at (fx, "cgroup/cgroup.controllers", "cpuset memory\n");
  write_at (fx, "cgroup/kubepods.slice/cri-containerd-abc.scope/memory.numa_stat", v2_stat);
  assert_int_equal (measure (fx, &e, &r, NULL), 0);
  assert_true (r.known);
  assert_int_equal (r.local, 3145728);
  assert_true (nr_residency_ratio (&r, &ratio));
  assert_true (ratio > 0.74 && ratio < 0.76);
}

static void
v1_cgroupfs_path (void **state)
{
  struct fixture *fx = *state;
  struct nr_ledger_entry e = entry ("abc", "0", "/kubepods/pod1/abc");
  struct nr_residency r;
  double ratio;

  write_at (fx, "cgroup/memory/kubepods/pod1/abc/memory.numa_stat", v1_stat);
  write_at (fx, "cgroup/cpuset/kubepods/pod1/abc/cpuset.effective_cpus", "0-1\n");
  assert_int_equal (measure (fx, &e, &r, NULL), 0);
  assert_true (r.known);
  assert_int_equal (r.stat.total, 400 * 4096);
  assert_int_equal (r.local, 150 * 4096);
  assert_true (nr_residency_ratio (&r, &ratio));
  assert_true (ratio > 0.374 && ratio < 0.376);
}

/* No cgroupsPath: runc's state.json names the init, whose
   /proc/PID/cgroup names the cgroup; a pid whose start time is not the
   one runc recorded is another process.  */
static void
found_through_runtime_state (void **state)
{
  struct fixture *fx = *state;
  cleanup_free char *root = xasprintf ("%s/runc", fx->dir);
  struct nr_ledger_entry e = entry ("c1", "0", NULL);
  struct nr_residency r;
  /* Field 22 of /proc/PID/stat is the start time: 777.  */
  const char stat_line[] = "4242 (sh) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0\n";

  e.root = root;
  write_at (fx, "cgroup/cgroup.controllers", "memory\n");
  write_at (fx, "cgroup/user.slice/x/c1/memory.numa_stat", "anon N0=8192\nfile N0=0\n");
  write_at (fx, "proc/4242/stat", stat_line);
  write_at (fx, "proc/4242/cgroup", "0::/user.slice/x/c1\n");
  write_at (fx, "runc/c1/state.json",
            "{\"id\":\"c1\",\"init_process_pid\":4242,"
            "\"init_process_start\":777}");
  assert_int_equal (measure (fx, &e, &r, NULL), 0);
  assert_true (r.known);
  assert_int_equal (r.stat.bytes[0], 8192);
  /* Recycled pid.  */
  write_at (fx, "runc/c1/state.json", "{\"init_process_pid\":4242,\"init_process_start\":778}");
  assert_int_equal (measure (fx, &e, &r, NULL), 0);
  assert_false (r.known);
  /* crun's status file: no start time, a live pid.  */
  {
    cleanup_free char *runc_state = xasprintf ("%s/runc/c1/state.json", fx->dir);
    assert_int_equal (unlink (runc_state), 0);
  }
  write_at (fx, "runc/c1/status", "{\"pid\":4242,\"cgroup-path\":\"/user.slice/x/c1\"}");
  assert_int_equal (measure (fx, &e, &r, NULL), 0);
  assert_true (r.known);
}

/* The cgroup gone (or going: its directory left, its files removed) is
   no error and no figure.  */
static void
gone_is_unknown_not_an_error (void **state)
{
  struct fixture *fx = *state;
  struct nr_ledger_entry e = entry ("abc", "0", "/gone/abc");
  cleanup_free char *dir = xasprintf ("%s/cgroup/going/abc", fx->dir);
  struct nr_residency r;
  nr_error_t err = NULL;
  double ratio;

  write_at (fx, "cgroup/cgroup.controllers", "memory\n");
  assert_int_equal (measure (fx, &e, &r, &err), 0);
  assert_false (r.known);
  assert_false (nr_residency_ratio (&r, &ratio));
  assert_null (err);
  assert_int_equal (mkdir_parents (dir, 0755, NULL), 0);
  e.cgroup = (char *) "/going/abc";
  assert_int_equal (measure (fx, &e, &r, &err), 0);
  assert_false (r.known);
  assert_null (err);
}

static void
unreadable_or_garbage_is_an_error (void **state)
{
  struct fixture *fx = *state;
  struct nr_ledger_entry e = entry ("abc", "0", "/bad/abc");
  cleanup_free char *as_dir = xasprintf ("%s/cgroup/dir/abc/memory.numa_stat", fx->dir);
  struct nr_residency r;
  nr_error_t err = NULL;

  write_at (fx, "cgroup/cgroup.controllers", "memory\n");
  write_at (fx, "cgroup/bad/abc/memory.numa_stat", "anon N0=12 N0=13\n");
  assert_int_equal (measure (fx, &e, &r, &err), -1);
  assert_false (r.known);
  assert_non_null (strstr (err->msg, "container abc"));
  assert_non_null (strstr (err->msg, "node 0 listed twice"));
  nr_error_release (&err);
  assert_int_equal (mkdir_parents (as_dir, 0755, NULL), 0);
  e.cgroup = (char *) "/dir/abc";
  assert_int_equal (measure (fx, &e, &r, &err), -1);
  assert_non_null (strstr (err->msg, "not a regular file"));
  nr_error_release (&err);
  /* No memory at all: known, but no ratio.  */
  write_at (fx, "cgroup/empty/abc/memory.numa_stat", "anon N0=0\nfile N0=0\n");
  e.cgroup = (char *) "/empty/abc";
  assert_int_equal (measure (fx, &e, &r, &err), 0);
  assert_true (r.known);
  {
    double ratio;
    assert_false (nr_residency_ratio (&r, &ratio));
  }
}

static void
layout_of_the_root (void **state)
{
  struct fixture *fx = *state;

  assert_int_equal (nr_cgroup_layout (fx->config.cgroup_root), NR_CGROUP_UNKNOWN);
  write_at (fx, "cgroup/memory/tasks", "");
  assert_int_equal (nr_cgroup_layout (fx->config.cgroup_root), NR_CGROUP_V1);
  write_at (fx, "cgroup/cgroup.controllers", "");
  assert_int_equal (nr_cgroup_layout (fx->config.cgroup_root), NR_CGROUP_V2);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (parse_v2_counts_anon_and_file_in_bytes),
    cmocka_unit_test (parse_v1_counts_hierarchical_total_in_pages),
    cmocka_unit_test (parse_refuses_garbage),
    cmocka_unit_test (cgroup_from_spec_systemd_and_cgroupfs),
    cmocka_unit_test_setup_teardown (v2_systemd_path, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown (v1_cgroupfs_path, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown (found_through_runtime_state, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown (gone_is_unknown_not_an_error, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown (unreadable_or_garbage_is_an_error, fixture_setup,
                                     fixture_teardown),
    cmocka_unit_test_setup_teardown (layout_of_the_root, fixture_setup, fixture_teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
