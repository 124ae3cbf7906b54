/* `topology` and `topology --json` in-process on the fixture machines of
   tests/fixtures/gen-sysfs.sh: each node's CPUs, memory and kind, the
   SLIT, and every device devices.c finds, under the node(s) sysfs gives
   it.  What a device should show is read from the generator's own
   devices.tsv and sysfs files, as 24-topology-explain.bats does.  */
#include <config.h>

#include "command-fixtures.h"

#include "devices.h"
#include "json.h"
#include "machine-fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dir;

static const char *const machines[] = { "two-socket", "dm-md-nvme", "cloud-vm", "gb200", "dgx" };

static int
setup (void **state)
{
  (void) state;
  return machines_generate ("nr-test-topology-show", machines, NR_N_ELEMENTS (machines), &dir);
}

static int
teardown (void **state)
{
  (void) state;
  free_parsed_args ();
  return machines_remove (&dir);
}

/* A config for machine MACHINE: its sysfs and its proc (NVIDIA files).  */
static void
load_machine (struct nr_config *config, const char *machine)
{
  cleanup_free char *sysfs = xasprintf ("%s/%s/sys", dir, machine);
  cleanup_free char *ledger = xasprintf ("%s/ledger/ledger.json", dir);
  cleanup_free char *extra =
      xasprintf ("policy = best-effort\n[topology]\nproc_root = %s/%s/proc\n", dir, machine);

  load_fixture_config (config, dir, "/bin/false", ledger, sysfs, extra);
}

/* `topology ARG` (ARG NULL: no argument) on MACHINE: its stdout.  */
static char *
show (const char *machine, const char *arg, int *ret, char **message)
{
  struct nr_config config;
  struct nr_args args;
  char *out;

  load_machine (&config, machine);
  if (arg)
    ARGS (&args, "topology", arg);
  else
    ARGS (&args, "topology");
  out = run_command (dir, nr_cmd_topology_show, &args, &config, ret, message);
  nr_config_free (&config);
  return out;
}

static char *
show_ok (const char *machine, const char *arg)
{
  int ret;
  char *out = show (machine, arg, &ret, NULL);

  assert_int_equal (ret, 0);
  return out;
}

/* The lines after line TITLE of TEXT up to the next blank line ("" when
   TEXT has no such line), owned by the caller.  */
static char *
section (const char *text, const char *title)
{
  cleanup_free char *key = xasprintf ("\n%s\n", title);
  const char *start = strstr (text, key);
  const char *end;

  if (start == NULL)
    return xstrdup ("");
  start += strlen (key);
  end = strstr (start, "\n\n");
  return end ? xstrndup (start, (size_t) (end - start + 1)) : xstrdup (start);
}

/* SECTION has a line whose first blank-separated words are WORDS (a NULL
   ends them).  */
static bool
has_row (const char *section_text, const char *const *words)
{
  cleanup_free char *copy = xstrdup (section_text);
  char *line_save = NULL;

  for (char *line = strtok_r (copy, "\n", &line_save); line;
       line = strtok_r (NULL, "\n", &line_save))
    {
      char *word_save = NULL;
      char *word = strtok_r (line, " ", &word_save);
      size_t i = 0;

      while (words[i] && word && strcmp (word, words[i]) == 0)
        {
          i++;
          word = strtok_r (NULL, " ", &word_save);
        }
      if (words[i] == NULL)
        return true;
    }
  return false;
}

#define assert_row(text, ...)                                                                      \
  do                                                                                               \
    {                                                                                              \
      static const char *const _words[] = { __VA_ARGS__, NULL };                                   \
      if (! has_row ((text), _words))                                                              \
        fail_msg ("no row `%s %s...` in:\n%s", _words[0], _words[1], (text));                      \
    }                                                                                              \
  while (0)

#define assert_has_line(text, line)                                                                \
  do                                                                                               \
    {                                                                                              \
      cleanup_free char *_l = xasprintf ("\n%s\n", (line));                                        \
      if (strstr ((text), _l) == NULL)                                                             \
        fail_msg ("no line `%s` in:\n%s", (line), (text));                                         \
    }                                                                                              \
  while (0)

/* The first line of the sysfs file PATH under MACHINE, without its
   newline.  */
static char *
sysfs_line (const char *machine, const char *path)
{
  cleanup_free char *file = xasprintf ("%s/%s/sys/%s", dir, machine, path);
  char *text = read_text (file);

  assert_non_null (text);
  text[strcspn (text, "\n")] = '\0';
  return text;
}

static void
topology_lists_each_device_under_the_node_sysfs_gives_it (void **state)
{
  cleanup_free char *out = NULL, *node0 = NULL, *node1 = NULL, *nowhere = NULL;

  (void) state;
  out = show_ok ("two-socket", NULL);
  node0 = section (out, "node 0 devices:");
  node1 = section (out, "node 1 devices:");
  nowhere = section (out, "devices on no node:");
  assert_row (node0, "CLASS", "NAME", "DEV", "NODES", "DETAIL");
  assert_row (node0, "block", "nvme0n1", "259:0", "0");
  assert_row (node0, "drm", "renderD128", "226:128", "0");
  assert_row (node0, "gpu", "nvidia0", "195:0", "0");
  assert_row (node1, "block", "nvme1n1", "259:2", "1");
  assert_row (node1, "rdma", "mlx5_0", "231:192", "1");
  assert_row (node1, "vfio", "vfio/42", "244:0", "1", "IOMMU", "group", "42:");
  assert_non_null (strstr (node1, "IOMMU group 42: 0000:81:00.1"));
  assert_row (node1, "drm", "renderD129", "226:129", "1", "NVIDIA", "0000:86:00.0");
  /* A partition sits indented under its disk.  */
  assert_non_null (strstr (node0, "\n  block   nvme0n1p1 "));
  assert_row (node0, "block", "nvme0n1p1", "259:1", "0");
  assert_null (strstr (node0, "nvme1n1"));
  assert_null (strstr (node1, "nvme0n1"));
  assert_string_equal (nowhere, "");
}

static void
topology_details_name_the_sriov_pf_and_the_gpu_uuid (void **state)
{
  cleanup_free char *out = show_ok ("two-socket", NULL);
  cleanup_free char *node1 = section (out, "node 1 devices:");
  cleanup_free char *info_path =
      xasprintf ("%s/two-socket/proc/driver/nvidia/gpus/0000:86:00.0/information", dir);
  cleanup_free char *info = read_text (info_path);
  cleanup_free char *gpu_line = NULL;
  char uuid[96];

  (void) state;
  assert_row (node1, "net", "ens1f0");
  assert_non_null (strstr (node1, "SR-IOV PF with 1 VFs (of 64)"));
  assert_non_null (info);
  assert_true (nr_device_info_field (info, "GPU UUID", uuid, sizeof (uuid)));
  assert_row (node1, "gpu", "nvidia1", "195:1", "1");
  gpu_line = xasprintf ("0000:86:00.0, %s\n", uuid);
  assert_non_null (strstr (node1, gpu_line));
}

static void
topology_shows_each_node_cpus_memory_and_the_slit (void **state)
{
  cleanup_free char *out = show_ok ("two-socket", NULL);
  cleanup_free char *cpus0 = sysfs_line ("two-socket", "devices/system/node/node0/cpulist");
  cleanup_free char *cpus1 = sysfs_line ("two-socket", "devices/system/node/node1/cpulist");
  cleanup_free char *dist0 = sysfs_line ("two-socket", "devices/system/node/node0/distance");
  cleanup_free char *line0 = xasprintf ("node 0 cpus: %s", cpus0);
  cleanup_free char *line1 = xasprintf ("node 1 cpus: %s", cpus1);

  (void) state;
  assert_true (strncmp (out, "available: 2 nodes (0-1)\n", 25) == 0);
  assert_has_line (out, line0);
  assert_has_line (out, line1);
  /* 67108864 kB MemTotal; 1024 2M and 4 1G hugepages per node.  */
  assert_has_line (out, "node 0 size: 65536 MB");
  assert_has_line (out, "node 1 size: 65536 MB");
  assert_non_null (strstr (out, "\nnode 0 hugepages: 6144 MB, "));
  assert_non_null (strstr (out, "\nnode 0 memory: cpu, has CPUs, "));
  assert_has_line (out, "node distances:");
  assert_has_line (out, "node    0    1");
  assert_string_equal (dist0, "10 21");
  assert_has_line (out, "  0:   10   21");
  assert_has_line (out, "  1:   21   10");
}

static void
topology_shows_gpu_memory_as_a_device_node_without_cpus (void **state)
{
  cleanup_free char *out = show_ok ("gb200", NULL);

  (void) state;
  assert_has_line (out, "node 0 memory: cpu, has CPUs, memory_tier4");
  assert_has_line (out, "node 2 memory: device, no CPUs, memory_tier4");
}

static void
topology_lists_a_cloud_vm_devices_on_no_node (void **state)
{
  cleanup_free char *out = show_ok ("cloud-vm", NULL);
  cleanup_free char *nowhere = section (out, "devices on no node:");

  (void) state;
  assert_null (strstr (out, "\nnode 0 devices:\n"));
  assert_row (nowhere, "block", "vda", "254:0", "-");
  assert_row (nowhere, "block", "vda1", "254:1", "-");
  assert_row (nowhere, "net", "eth0", "-", "-");
}

/* One "KEY\tNODES" line per device: KEY is the device number, or the
   NIC's name; NODES as "[0,1]".  */
struct rows
{
  char **items;
  size_t n;
};

static void
rows_add (struct rows *r, char *row)
{
  r->items = xrealloc (r->items, (r->n + 1) * sizeof (*r->items));
  r->items[r->n++] = row;
}

static int
compare_rows (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The rows sorted and joined by newlines; frees R.  */
static char *
rows_join (struct rows *r)
{
  char *joined = xstrdup ("");

  qsort (r->items, r->n, sizeof (*r->items), compare_rows);
  for (size_t i = 0; i < r->n; i++)
    {
      char *next = xasprintf ("%s%s\n", joined, r->items[i]);
      free (joined);
      free (r->items[i]);
      joined = next;
    }
  free (r->items);
  r->items = NULL;
  r->n = 0;
  return joined;
}

static bool
starts_with (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

/* What devices.tsv of MACHINE says `topology` lists: block devices, NICs
   but lo, NVIDIA GPUs, DRM, uverbs and VFIO.  */
static char *
expected_devices (const char *machine)
{
  cleanup_free char *path = xasprintf ("%s/%s/devices.tsv", dir, machine);
  cleanup_free char *text = read_text (path);
  struct rows r = { 0 };
  char *save = NULL;

  assert_non_null (text);
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[4], *fsave = NULL, *p = line;
      const char *key;
      int n = 0;

      for (; n < 4 && (f[n] = strtok_r (p, "\t", &fsave)) != NULL; n++)
        p = NULL;
      if (n < 4 || line[0] == '#' || strcmp (f[3], "none") == 0)
        continue;
      if (strcmp (f[1], "b") == 0)
        key = f[2];
      else if (strcmp (f[1], "-") == 0 && starts_with (f[0], "net:"))
        key = f[0] + 4;
      else if (strcmp (f[1], "c") == 0
               && ((starts_with (f[0], "/dev/nvidia") && f[0][11] >= '0' && f[0][11] <= '9')
                   || starts_with (f[0], "/dev/dri/") || starts_with (f[0], "/dev/infiniband/")
                   || starts_with (f[0], "/dev/vfio/")))
        key = f[2];
      else
        continue;
      rows_add (&r, xasprintf ("%s\t[%s]", key, strcmp (f[3], "-1") == 0 ? "" : f[3]));
    }
  return rows_join (&r);
}

/* The same rows from `topology --json`'s devices.  */
static char *
listed_devices (yajl_val devices)
{
  struct rows r = { 0 };

  assert_true (YAJL_IS_ARRAY (devices));
  for (size_t i = 0; i < devices->u.array.len; i++)
    {
      yajl_val d = devices->u.array.values[i];
      yajl_val nodes = nr_json_get (d, "nodes");
      const char *dev = nr_json_get_string (d, "dev");
      char *list = xstrdup ("");

      assert_true (YAJL_IS_ARRAY (nodes));
      for (size_t k = 0; k < nodes->u.array.len; k++)
        {
          char *next = xasprintf ("%s%s%lld", list, k ? "," : "",
                                  YAJL_GET_INTEGER (nodes->u.array.values[k]));
          free (list);
          list = next;
        }
      rows_add (&r, xasprintf ("%s\t[%s]", dev ? dev : nr_json_get_string (d, "name"), list));
      free (list);
    }
  return rows_join (&r);
}

/* `topology --json` on MACHINE, parsed.  */
static yajl_val
show_json (const char *machine)
{
  cleanup_free char *out = show_ok (machine, "--json");
  yajl_val root = NULL;
  nr_error_t err = NULL;

  if (nr_json_parse (out, strlen (out), &root, &err) < 0)
    fail_msg ("%s: %s in:\n%s", machine, err->msg, out);
  return root;
}

/* The device of ROOT named NAME.  */
static yajl_val
device_named (yajl_val root, const char *name)
{
  yajl_val devices = nr_json_get (root, "devices");

  for (size_t i = 0; i < devices->u.array.len; i++)
    {
      const char *n = nr_json_get_string (devices->u.array.values[i], "name");
      if (n && strcmp (n, name) == 0)
        return devices->u.array.values[i];
    }
  fail_msg ("no device %s", name);
  return NULL;
}

static void
topology_json_lists_every_device_with_the_nodes_sysfs_gives_it (void **state)
{
  (void) state;
  for (size_t i = 0; i < NR_N_ELEMENTS (machines); i++)
    {
      yajl_val root = show_json (machines[i]);
      cleanup_free char *want = expected_devices (machines[i]);
      cleanup_free char *got = listed_devices (nr_json_get (root, "devices"));

      assert_true (*want != '\0');
      if (strcmp (got, want) != 0)
        fail_msg ("%s: devices differ; want:\n%sgot:\n%s", machines[i], want, got);
      yajl_tree_free (root);
    }
}

static void
topology_json_names_a_stack_detail_and_a_partition_parent (void **state)
{
  yajl_val root = show_json ("dm-md-nvme");

  (void) state;
  assert_string_equal (nr_json_get_string (device_named (root, "dm-1"), "detail"),
                       "dm vg1-scratch over nvme1n1p1");
  assert_string_equal (nr_json_get_string (device_named (root, "nvme1n1p1"), "parent"), "nvme1n1");
  assert_string_equal (nr_json_get_string (device_named (root, "nvme1n1p1"), "class"), "block");
  yajl_tree_free (root);
}

static void
topology_json_gives_each_node_its_kind_tier_and_distances (void **state)
{
  yajl_val root = show_json ("gb200");
  yajl_val nodes = nr_json_get (root, "nodes");
  yajl_val node2, distances;
  cleanup_free char *dist0 = sysfs_line ("gb200", "devices/system/node/node0/distance");
  cleanup_free char *row0 = xstrdup ("");

  (void) state;
  assert_true (YAJL_IS_ARRAY (nodes) && nodes->u.array.len > 2);
  distances = nr_json_get (nodes->u.array.values[0], "distances");
  for (size_t j = 0; j < distances->u.array.len; j++)
    {
      char *next = xasprintf ("%s%s%lld", row0, j ? " " : "",
                              YAJL_GET_INTEGER (distances->u.array.values[j]));
      free (row0);
      row0 = next;
    }
  assert_string_equal (row0, dist0);
  node2 = nodes->u.array.values[2];
  assert_true (YAJL_IS_FALSE (nr_json_get (node2, "has_cpu")));
  assert_string_equal (nr_json_get_string (node2, "memory_kind"), "device");
  assert_int_equal (YAJL_GET_INTEGER (nr_json_get (node2, "memory_tier")), 4);
  assert_true (YAJL_IS_TRUE (nr_json_get (nodes->u.array.values[0], "has_cpu")));
  yajl_tree_free (root);
}

static void
topology_refuses_an_unknown_argument_and_prints_nothing (void **state)
{
  int ret;
  cleanup_free char *message = NULL, *nrt_message = NULL;
  cleanup_free char *out = show ("two-socket", "--bogus", &ret, &message);
  cleanup_free char *out2 = NULL;

  (void) state;
  assert_int_equal (ret, -1);
  assert_string_equal (out, "");
  assert_true (starts_with (message, "topology: unknown argument `--bogus`"));
  out2 = show ("two-socket", "--node-name=x", &ret, &nrt_message);
  assert_int_equal (ret, -1);
  assert_string_equal (out2, "");
  assert_non_null (strstr (nrt_message, "--node-name goes with --nrt"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (topology_lists_each_device_under_the_node_sysfs_gives_it),
    cmocka_unit_test (topology_details_name_the_sriov_pf_and_the_gpu_uuid),
    cmocka_unit_test (topology_shows_each_node_cpus_memory_and_the_slit),
    cmocka_unit_test (topology_shows_gpu_memory_as_a_device_node_without_cpus),
    cmocka_unit_test (topology_lists_a_cloud_vm_devices_on_no_node),
    cmocka_unit_test (topology_json_lists_every_device_with_the_nodes_sysfs_gives_it),
    cmocka_unit_test (topology_json_names_a_stack_detail_and_a_partition_parent),
    cmocka_unit_test (topology_json_gives_each_node_its_kind_tier_and_distances),
    cmocka_unit_test (topology_refuses_an_unknown_argument_and_prints_nothing),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
