/* Devices that reach a container other than by a plain linux.devices
   entry, on the dgx, gb200 and gb200-gi machines of
   tests/fixtures/gen-sysfs.sh: NVIDIA_VISIBLE_DEVICES (indices in bus
   order, UUIDs, MIG forms), the volume-mounts strategy, PCIDEVICE_*, VFIO
   no-IOMMU groups, AMD CPX partitions, privileged containers, GPUs on
   CPU-less nodes; and hostile values and driver files.  */
#include <config.h>

#include "unit.h"

#include "locality.h"
#include "locality_env.h"
#include "locality_sysfs.h"

#include <string.h>
#include <unistd.h>

#ifndef NR_TOP_SRCDIR
#define NR_TOP_SRCDIR "."
#endif

static char *fixtures_dir;
static char log_path[] = "/tmp/nr-locality-env-log-XXXXXX";

static int
generate_machines (void **state)
{
  char tmpl[] = "/tmp/nr-locality-env-XXXXXX";
  cleanup_free char *cmd = NULL;
  int fd = mkstemp (log_path);

  if (fd < 0 || mkdtemp (tmpl) == NULL)
    return -1;
  close (fd);
  nr_log_init (log_path, "text", false);
  fixtures_dir = xstrdup (tmpl);
  cmd = xasprintf ("pids=; for m in dgx gb200 gb200-gi; do sh '%s/tests/fixtures/gen-sysfs.sh' "
                   "$m '%s'/$m & pids=\"$pids $!\"; done; for p in $pids; do wait $p || exit 1; "
                   "done",
                   NR_TOP_SRCDIR, fixtures_dir);
  return system (cmd) == 0 ? 0 : -1;
}

static int
remove_machines (void **state)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", fixtures_dir);
  unlink (log_path);
  free (fixtures_dir);
  return system (cmd) == 0 ? 0 : -1;
}

/* The runtime log since the last call (then emptied).  */
static char *
take_log (void)
{
  char *text = xmalloc (1 << 16);
  if (read_small_file (log_path, text, 1 << 16) < 0)
    text[0] = '\0';
  assert_int_equal (truncate (log_path, 0), 0);
  return text;
}

static void
clear_log (void)
{
  assert_int_equal (truncate (log_path, 0), 0);
}

/* MACHINE copied as NAME (for a test that damages it).  */
static void
copy_machine (const char *machine, const char *name)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s/%s' && cp -a '%s/%s' '%s/%s'", fixtures_dir, name,
                                      fixtures_dir, machine, fixtures_dir, name);
  assert_int_equal (system (cmd), 0);
}

static void
in_machine (const char *machine, const char *shell_cmd)
{
  cleanup_free char *cmd = xasprintf ("cd '%s/%s' && { %s; }", fixtures_dir, machine, shell_cmd);
  assert_int_equal (system (cmd), 0);
}

/* The hints SPEC_JSON gives on MACHINE, one "node source" a line.  */
static char *
hints_of (const char *machine, const char *spec_json)
{
  struct nr_config config = { 0 };
  cleanup_json yajl_val spec = NULL;
  struct nr_request req = { .id = "c1" };
  nr_error_t err = NULL;
  char *out = xstrdup ("");

  config.sysfs_root = xasprintf ("%s/%s/sys", fixtures_dir, machine);
  config.proc_root = xasprintf ("%s/%s/proc", fixtures_dir, machine);
  config.policy = NR_POLICY_BEST_EFFORT;
  if (nr_json_parse (spec_json, strlen (spec_json), &spec, &err) < 0)
    fail_msg ("bad spec in test: %s", err->msg);
  if (nr_locality_hints (spec, &config, &req, &err) < 0)
    fail_msg ("nr_locality_hints: %s", err->msg);
  for (size_t i = 0; i < req.n_hints; i++)
    {
      char *longer =
          xasprintf ("%s%s%d %s", out, i ? "\n" : "", req.hints[i].node, req.hints[i].source);
      free (out);
      out = longer;
    }
  nr_request_free (&req);
  free (config.sysfs_root);
  free (config.proc_root);
  return out;
}

/* A spec whose process.env is ENTRIES (a JSON array body).  */
#define ENV_SPEC(entries) "{\"process\":{\"env\":[\"PATH=/bin\"," entries "]}}"

#define assert_hints_of(machine, spec, expected)                                                   \
  do                                                                                               \
    {                                                                                              \
      cleanup_free char *_got = hints_of (machine, spec);                                          \
      assert_string_equal (_got, (expected));                                                      \
    }                                                                                              \
  while (0)

#define assert_log_has(text)                                                                       \
  do                                                                                               \
    {                                                                                              \
      cleanup_free char *_log = take_log ();                                                       \
      if (strstr (_log, (text)) == NULL)                                                           \
        fail_msg ("log lacks `%s`; it has: %s", (text), _log);                                     \
    }                                                                                              \
  while (0)

#define assert_log_empty()                                                                         \
  do                                                                                               \
    {                                                                                              \
      cleanup_free char *_log = take_log ();                                                       \
      assert_string_equal (_log, "");                                                              \
    }                                                                                              \
  while (0)

/* UUIDs the fixture gives by minor: minor 0 is 0000:b7:00.0 (node 1),
   minor 6 is 0000:07:00.0 (node 0, bus index 0).  */
#define UUID_MINOR0 "GPU-5eed0000-0000-4000-8000-000000000001"
#define UUID_MINOR6 "GPU-5eed0006-0000-4000-8000-000000000007"

/* ---- NVIDIA -------------------------------------------------------- */

static void
nvidia_indices_are_bus_order (void **state)
{
  clear_log ();
  assert_hints_of ("dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=0\""),
                   "0 gpu 0 (NVIDIA_VISIBLE_DEVICES, 0000:07:00.0)");
  assert_hints_of ("dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=7\""),
                   "1 gpu 7 (NVIDIA_VISIBLE_DEVICES, 0000:bd:00.0)");
  assert_hints_of ("dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=3, 4\""),
                   "0 gpu 3 (NVIDIA_VISIBLE_DEVICES, 0000:4e:00.0)\n"
                   "1 gpu 4 (NVIDIA_VISIBLE_DEVICES, 0000:87:00.0)");
  /* /dev/nvidia0 is another GPU than index 0: minors are not bus order.  */
  assert_hints_of ("dgx",
                   "{\"linux\":{\"devices\":[{\"path\":\"/dev/nvidia0\",\"type\":\"c\","
                   "\"major\":195,\"minor\":0}]}}",
                   "1 gpu /dev/nvidia0 (0000:b7:00.0)");
  assert_log_empty ();
}

static void
nvidia_uuids_and_mig (void **state)
{
  assert_hints_of ("dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=" UUID_MINOR0 "\""),
                   "1 gpu " UUID_MINOR0 " (NVIDIA_VISIBLE_DEVICES, 0000:b7:00.0)");
  /* UUIDs compare without case, as nvidia-smi prints them lower.  */
  assert_hints_of ("dgx",
                   ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=GPU-5EED0006-0000-4000-8000-000000000007\""),
                   "0 gpu GPU-5EED0006-0000-4000-8000-000000000007 (NVIDIA_VISIBLE_DEVICES, "
                   "0000:07:00.0)");
  /* A MIG device counts as its GPU: legacy MIG UUIDs and GPU:MIG pairs.  */
  assert_hints_of ("dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=MIG-" UUID_MINOR0 "/1/0\""),
                   "1 gpu " UUID_MINOR0 " (NVIDIA_VISIBLE_DEVICES, 0000:b7:00.0)");
  assert_hints_of ("dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=0:1,0:2\""),
                   "0 gpu 0 (NVIDIA_VISIBLE_DEVICES, 0000:07:00.0)");
  assert_log_empty ();
}

static void
nvidia_values_that_name_no_device (void **state)
{
  assert_hints_of ("dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=all\""), "");
  assert_hints_of ("dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=none\""), "");
  assert_hints_of ("dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=void\""), "");
  assert_hints_of ("dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=\""), "");
  /* Other variables, or the name as a prefix, are not it.  */
  assert_hints_of ("dgx",
                   ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICESX=1\",\"NVIDIA_DRIVER_CAPABILITIES=1\""), "");
  assert_log_empty ();
}

static void
nvidia_volume_mounts_strategy (void **state)
{
  assert_hints_of ("dgx",
                   "{\"mounts\":[{\"destination\":\"/var/run/nvidia-container-devices/" UUID_MINOR6
                   "\",\"type\":\"bind\",\"source\":\"/dev/null\","
                   "\"options\":[\"bind\",\"ro\"]},"
                   "{\"destination\":\"/var/run/nvidia-container-devices/5\",\"type\":\"bind\","
                   "\"source\":\"/dev/null\",\"options\":[\"bind\"]}]}",
                   "0 gpu " UUID_MINOR6 " (volume-mounts, 0000:07:00.0)\n"
                   "1 gpu 5 (volume-mounts, 0000:90:00.0)");
  assert_log_empty ();
}

static void
nvidia_unknown_or_bad_ids_are_warnings (void **state)
{
  assert_hints_of (
      "dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=GPU-00000000-0000-4000-8000-000000000000\""), "");
  assert_log_has ("container c1: gpu GPU-00000000-0000-4000-8000-000000000000 "
                  "(NVIDIA_VISIBLE_DEVICES): the NVIDIA driver lists no GPU");
  assert_hints_of ("dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=8\""), "");
  assert_log_has ("lists no GPU 8");
  /* One bad item spoils the value: it may be the pod's, not the plugin's.  */
  assert_hints_of ("dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=0,../../etc\""), "");
  assert_log_has ("environment NVIDIA_VISIBLE_DEVICES: item 2: not a GPU index or UUID");
  assert_hints_of (
      "dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=MIG-5eed0000-1111-4000-8000-000000000001\""), "");
  assert_log_has ("a MIG UUID names its GPU only through NVML");
  assert_hints_of ("dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=99999\""), "");
  assert_log_has ("not a GPU index or UUID");
  assert_hints_of ("dgx", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=1024\""), "");
  assert_log_has ("GPU index 1024 is over 1023");
  /* No NVIDIA driver on gb200's proc?  It has one; a host without. */
  in_machine ("gb200", "mv proc proc.off");
  assert_hints_of ("gb200", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=0\""), "");
  assert_log_has ("the NVIDIA driver lists no GPU 0");
  in_machine ("gb200", "mv proc.off proc");
}

/* ---- SR-IOV, VFIO, RDMA -------------------------------------------- */

static void
pcidevice_addresses (void **state)
{
  assert_hints_of (
      "dgx",
      ENV_SPEC ("\"PCIDEVICE_INTEL_COM_SRIOV_NETDEVICE=0000:8B:00.1,0000:8b:00.2\","
                "\"PCIDEVICE_INTEL_COM_SRIOV_NETDEVICE_INFO={\\\"0000:8b:00.1\\\":{}}\""),
      "1 pci 0000:8b:00.1 (PCIDEVICE_INTEL_COM_SRIOV_NETDEVICE)\n"
      "1 pci 0000:8b:00.2 (PCIDEVICE_INTEL_COM_SRIOV_NETDEVICE)");
  assert_log_empty ();
  assert_hints_of ("dgx", ENV_SPEC ("\"PCIDEVICE_NVIDIA_COM_GPU=0000:07:00.0\""),
                   "0 pci 0000:07:00.0 (PCIDEVICE_NVIDIA_COM_GPU)");
  assert_hints_of ("dgx", ENV_SPEC ("\"PCIDEVICE_X=0000:8b:00.9\""), "");
  assert_log_has ("environment PCIDEVICE_X: item 1: not a PCI address");
  assert_hints_of ("dgx", ENV_SPEC ("\"PCIDEVICE_X=0000:8b:01.0\""), "");
  assert_log_has ("pci 0000:8b:01.0 (PCIDEVICE_X): no PCI device `0000:8b:01.0` in sysfs");
}

static void
vfio_noiommu_and_rdma (void **state)
{
  assert_hints_of ("dgx",
                   "{\"linux\":{\"devices\":["
                   "{\"path\":\"/dev/vfio/noiommu-53\",\"type\":\"c\",\"major\":244,\"minor\":1},"
                   "{\"path\":\"/dev/vfio/52\",\"type\":\"c\",\"major\":244,\"minor\":0},"
                   "{\"path\":\"/dev/iommu\",\"type\":\"c\",\"major\":10,\"minor\":123}]}}",
                   "1 vfio /dev/vfio/noiommu-53 (iommu group 53, 0000:8b:00.3)\n"
                   "1 vfio /dev/vfio/52 (iommu group 52, 0000:8b:00.2)");
  assert_hints_of (
      "dgx",
      "{\"linux\":{\"devices\":["
      "{\"path\":\"/dev/infiniband/umad0\",\"type\":\"c\",\"major\":231,\"minor\":0},"
      "{\"path\":\"/dev/infiniband/uverbs1\",\"type\":\"c\",\"major\":231,\"minor\":193}"
      "]}}",
      "1 device /dev/infiniband/umad0 (231:0)\n"
      "1 device /dev/infiniband/uverbs1 (231:193)");
  assert_log_empty ();
}

/* ---- AMD partitions -------------------------------------------------- */

static void
amd_partitions_through_kfd (void **state)
{
  assert_hints_of ("dgx",
                   "{\"linux\":{\"devices\":["
                   "{\"path\":\"/dev/kfd\",\"type\":\"c\",\"major\":239,\"minor\":0},"
                   "{\"path\":\"/dev/dri/renderD138\",\"type\":\"c\",\"major\":226,\"minor\":138}"
                   "]}}",
                   "1 gpu partition /dev/dri/renderD138 (kfd node 4, 0000:d3:00.0)");
  /* The partition on the PCI function itself walks up as ever.  */
  assert_hints_of ("dgx",
                   "{\"linux\":{\"devices\":[{\"path\":\"/dev/dri/renderD136\",\"type\":\"c\","
                   "\"major\":226,\"minor\":136}]}}",
                   "1 device /dev/dri/renderD136 (226:136)");
  assert_log_empty ();
}

static void
hostile_driver_files_are_skipped (void **state)
{
  copy_machine ("dgx", "dgx-bad");
  /* A 1 MiB information file, one with a minor beyond any number, one
     cut short: none of them is GPU 0, 1 or 2.  */
  in_machine ("dgx-bad",
              "cd proc/driver/nvidia/gpus "
              "&& head -c 1048576 /dev/zero | tr '\\0' 'x' >0000:b7:00.0/information "
              "&& printf 'Device Minor: 99999999999999999999999\\n' >0000:90:00.0/information "
              "&& printf 'Device Min' >0000:87:00.0/information");
  assert_hints_of ("dgx-bad",
                   "{\"linux\":{\"devices\":["
                   "{\"path\":\"/dev/nvidia0\",\"type\":\"c\",\"major\":195,\"minor\":0},"
                   "{\"path\":\"/dev/nvidia2\",\"type\":\"c\",\"major\":195,\"minor\":2},"
                   "{\"path\":\"/dev/nvidia3\",\"type\":\"c\",\"major\":195,\"minor\":3},"
                   "{\"path\":\"/dev/nvidia4\",\"type\":\"c\",\"major\":195,\"minor\":4}]}}",
                   "0 gpu /dev/nvidia4 (0000:47:00.0)");
  /* kfd: a location_id out of range, a domain that is not a number.  */
  in_machine ("dgx-bad", "cd sys/devices/virtual/kfd/kfd/topology/nodes "
                         "&& sed -i 's/^location_id .*/location_id 99999999999/' 3/properties "
                         "&& sed -i 's/^domain .*/domain -1/' 4/properties");
  assert_hints_of ("dgx-bad",
                   "{\"linux\":{\"devices\":["
                   "{\"path\":\"/dev/dri/renderD137\",\"type\":\"c\",\"major\":226,\"minor\":137},"
                   "{\"path\":\"/dev/dri/renderD138\",\"type\":\"c\",\"major\":226,\"minor\":138}"
                   "]}}",
                   "");
  clear_log ();
}

/* ---- privileged containers --------------------------------------- */

#define ALL_CAPS                                                                                   \
  "\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_DAC_READ_SEARCH\",\"CAP_FOWNER\",\"CAP_FSETID\","      \
  "\"CAP_KILL\",\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETPCAP\",\"CAP_LINUX_IMMUTABLE\","            \
  "\"CAP_NET_BIND_SERVICE\",\"CAP_NET_BROADCAST\",\"CAP_NET_ADMIN\",\"CAP_NET_RAW\","              \
  "\"CAP_IPC_LOCK\",\"CAP_IPC_OWNER\",\"CAP_SYS_MODULE\",\"CAP_SYS_RAWIO\",\"CAP_SYS_CHROOT\","    \
  "\"CAP_SYS_PTRACE\",\"CAP_SYS_PACCT\",\"CAP_SYS_ADMIN\",\"CAP_SYS_BOOT\",\"CAP_SYS_NICE\","      \
  "\"CAP_SYS_RESOURCE\",\"CAP_SYS_TIME\",\"CAP_SYS_TTY_CONFIG\",\"CAP_MKNOD\",\"CAP_LEASE\","      \
  "\"CAP_AUDIT_WRITE\",\"CAP_AUDIT_CONTROL\",\"CAP_SETFCAP\",\"CAP_MAC_OVERRIDE\","                \
  "\"CAP_MAC_ADMIN\",\"CAP_SYSLOG\",\"CAP_WAKE_ALARM\",\"CAP_BLOCK_SUSPEND\""

#define GPU_DEVICES                                                                                \
  "\"devices\":[{\"path\":\"/dev/nvidia0\",\"type\":\"c\",\"major\":195,\"minor\":0},"             \
  "{\"path\":\"/dev/nvidia6\",\"type\":\"c\",\"major\":195,\"minor\":6}]"

static void
privileged_devices_give_no_hint (void **state)
{
  /* Every capability (kernels with more list more), no masked paths.  */
  assert_hints_of ("dgx",
                   "{\"process\":{\"capabilities\":{\"bounding\":[" ALL_CAPS
                   ",\"CAP_AUDIT_READ\",\"CAP_PERFMON\",\"CAP_BPF\"]}},"
                   "\"linux\":{\"maskedPaths\":[]," GPU_DEVICES "}}",
                   "");
  /* Its environment still names what it was given.  */
  assert_hints_of ("dgx",
                   "{\"process\":{\"env\":[\"NVIDIA_VISIBLE_DEVICES=7\"],\"capabilities\":"
                   "{\"bounding\":[" ALL_CAPS ",\"CAP_AUDIT_READ\"]}},"
                   "\"linux\":{" GPU_DEVICES "}}",
                   "1 gpu 7 (NVIDIA_VISIBLE_DEVICES, 0000:bd:00.0)");
  /* One capability short, or a masked path: not privileged.  */
  assert_hints_of ("dgx",
                   "{\"process\":{\"capabilities\":{\"bounding\":[" ALL_CAPS "]}},"
                   "\"linux\":{" GPU_DEVICES "}}",
                   "1 gpu /dev/nvidia0 (0000:b7:00.0)\n0 gpu /dev/nvidia6 (0000:07:00.0)");
  assert_hints_of ("dgx",
                   "{\"process\":{\"capabilities\":{\"bounding\":[" ALL_CAPS
                   ",\"CAP_AUDIT_READ\"]}},"
                   "\"linux\":{\"maskedPaths\":[\"/proc/kcore\"]," GPU_DEVICES "}}",
                   "1 gpu /dev/nvidia0 (0000:b7:00.0)\n0 gpu /dev/nvidia6 (0000:07:00.0)");
  clear_log ();
}

/* ---- CPU-less nodes ------------------------------------------------ */

static void
gpu_on_its_memory_node_counts_for_the_nearest_cpu_node (void **state)
{
  assert_hints_of ("gb200-gi",
                   "{\"linux\":{\"devices\":["
                   "{\"path\":\"/dev/nvidia0\",\"type\":\"c\",\"major\":195,\"minor\":0},"
                   "{\"path\":\"/dev/nvidia3\",\"type\":\"c\",\"major\":195,\"minor\":3}]}}",
                   "0 gpu /dev/nvidia0 (0009:01:00.0, nearest to node 2)\n"
                   "1 gpu /dev/nvidia3 (0039:01:00.0, nearest to node 26)");
  assert_hints_of ("gb200-gi", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=2\""),
                   "1 gpu 2 (NVIDIA_VISIBLE_DEVICES, 0029:01:00.0, nearest to node 18)");
  /* The plain gb200: the GPUs' numa_node is their Grace's.  */
  assert_hints_of ("gb200",
                   "{\"linux\":{\"devices\":["
                   "{\"path\":\"/dev/nvidia2\",\"type\":\"c\",\"major\":195,\"minor\":2}]}}",
                   "1 gpu /dev/nvidia2 (0029:01:00.0)");
  assert_log_empty ();
}

static void
numa_node_of_no_node_is_a_warning (void **state)
{
  copy_machine ("dgx", "dgx-ghost");
  in_machine ("dgx-ghost", "cd sys/bus/pci/devices/0000:07:00.0 && echo 7 >numa_node");
  assert_hints_of ("dgx-ghost", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=0\""), "");
  assert_log_has ("container c1: 0000:07:00.0: numa_node 7 is no node of this host");
  /* A CPU-less node whose distances cannot be read.  */
  copy_machine ("gb200-gi", "gi-nodist");
  in_machine ("gi-nodist", "rm sys/devices/system/node/node2/distance");
  assert_hints_of ("gi-nodist", ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=0\""), "");
  assert_log_has ("node 2 has no CPUs and no distances to a node that has");
}

/* ---- hostile values ------------------------------------------------ */

static void
hostile_env_values_are_warnings (void **state)
{
  cleanup_free char *huge = xmalloc (NR_ENV_DEVICES_VALUE_MAX + 64);
  cleanup_free char *many = xstrdup ("");
  cleanup_free char *spec = NULL;
  cleanup_free char *crowd = xstrdup ("");

  memset (huge, '0', NR_ENV_DEVICES_VALUE_MAX + 1);
  huge[NR_ENV_DEVICES_VALUE_MAX + 1] = '\0';
  spec = xasprintf (ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=%s\""), huge);
  assert_hints_of ("dgx", spec, "");
  assert_log_has ("a value over 4096 bytes");
  for (int i = 0; i <= NR_ENV_DEVICES_MAX; i++)
    {
      char *longer = xasprintf ("%s%s0", many, i ? "," : "");
      free (many);
      many = longer;
    }
  free (spec);
  spec = xasprintf (ENV_SPEC ("\"NVIDIA_VISIBLE_DEVICES=%s\""), many);
  assert_hints_of ("dgx", spec, "");
  assert_log_has ("more than 64 devices");
  /* Thousands of variables, each garbage: a warning each, no hint.  */
  for (int i = 0; i < 2000; i++)
    {
      char *longer = xasprintf ("%s,\"PCIDEVICE_R%d=\\u0001zz%d\"", crowd, i, i);
      free (crowd);
      crowd = longer;
    }
  free (spec);
  spec = xasprintf ("{\"process\":{\"env\":[\"A=1\"%s]}}", crowd);
  assert_hints_of ("dgx", spec, "");
  clear_log ();
  /* A control byte in a name is not printed as is.  */
  assert_hints_of ("dgx", ENV_SPEC ("\"PCIDEVICE_\\u001b[31m=1\""), "");
  assert_log_empty ();
}

/* ---- the pure parsers ---------------------------------------------- */

static void
env_parser (void **state)
{
  static const struct
  {
    const char *entry;
    int ret;
    size_t n;
  } cases[] = {
    { "NVIDIA_VISIBLE_DEVICES=0,1,GPU-ab", 0, 3 },
    { "NVIDIA_VISIBLE_DEVICES= 0 , ,1 ", 0, 2 },
    { "NVIDIA_VISIBLE_DEVICES=all", 0, 0 },
    { "NVIDIA_VISIBLE_DEVICES", 0, 0 },
    { "NVIDIA_VISIBLE_DEVICES=0:", -1, 0 },
    { "NVIDIA_VISIBLE_DEVICES=GPU-", -1, 0 },
    { "NVIDIA_VISIBLE_DEVICES=GPU-xyz", -1, 0 },
    { "NVIDIA_VISIBLE_DEVICES=MIG-GPU-ab/1", -1, 0 },
    { "NVIDIA_VISIBLE_DEVICES=MIG-GPU-ab/1/2", 0, 1 },
    { "PCIDEVICE_A=0000:00:1f.7", 0, 1 },
    { "PCIDEVICE_A=00000:00:1f.7", 0, 1 },
    { "PCIDEVICE_A=000:00:1f.7", -1, 0 },
    { "PCIDEVICE_A=0000:00:1f.8", -1, 0 },
    { "PCIDEVICE_A=0000:00:1f.7x", -1, 0 },
    { "PCIDEVICE_A_INFO=garbage", 0, 0 },
    { "PCIDEVICE_=0000:00:1f.7", 0, 0 },
    { "PCIDEVICE_A-B=0000:00:1f.7", 0, 0 },
    { "HOME=/root", 0, 0 },
  };
  struct nr_env_devices out;

  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      nr_error_t err = NULL;
      int ret = nr_env_devices_parse (cases[i].entry, &out, &err);
      if (ret != cases[i].ret || out.n != cases[i].n)
        fail_msg ("`%s`: %d with %zu devices, want %d with %zu (%s)", cases[i].entry, ret, out.n,
                  cases[i].ret, cases[i].n, err ? err->msg : "");
      assert_true ((ret < 0) == (err != NULL));
      nr_error_release (&err);
    }
}

static void
driver_file_parsers (void **state)
{
  char value[64], address[32];

  assert_true (nr_gpu_information_field ("Model: \t\t X\nGPU UUID: \t GPU-1 \nDevice Minor: \t 3\n",
                                         "GPU UUID:", value, sizeof (value)));
  assert_string_equal (value, "GPU-1");
  assert_false (nr_gpu_information_field ("xGPU UUID: GPU-1\n", "GPU UUID:", value, 64));
  assert_false (nr_gpu_information_field ("GPU UUID: GPU-123456789\n", "GPU UUID:", value, 8));
  assert_true (nr_gpu_kfd_address ("drm_render_minor 137\nlocation_id 54016\ndomain 0\n", 137,
                                   address, sizeof (address)));
  assert_string_equal (address, "0000:d3:00.0");
  assert_true (nr_gpu_kfd_address ("domain 65536\nlocation_id 4097\ndrm_render_minor 128\n", 128,
                                   address, sizeof (address)));
  assert_string_equal (address, "10000:10:00.1");
  assert_false (nr_gpu_kfd_address ("drm_render_minor 137\nlocation_id 65536\ndomain 0\n", 137,
                                    address, sizeof (address)));
  assert_false (nr_gpu_kfd_address ("drm_render_minor 138\nlocation_id 1\ndomain 0\n", 137, address,
                                    sizeof (address)));
  assert_false (
      nr_gpu_kfd_address ("drm_render_minor 137\nlocation_id 1\n", 137, address, sizeof (address)));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (nvidia_indices_are_bus_order),
    cmocka_unit_test (nvidia_uuids_and_mig),
    cmocka_unit_test (nvidia_values_that_name_no_device),
    cmocka_unit_test (nvidia_volume_mounts_strategy),
    cmocka_unit_test (nvidia_unknown_or_bad_ids_are_warnings),
    cmocka_unit_test (pcidevice_addresses),
    cmocka_unit_test (vfio_noiommu_and_rdma),
    cmocka_unit_test (amd_partitions_through_kfd),
    cmocka_unit_test (hostile_driver_files_are_skipped),
    cmocka_unit_test (privileged_devices_give_no_hint),
    cmocka_unit_test (gpu_on_its_memory_node_counts_for_the_nearest_cpu_node),
    cmocka_unit_test (numa_node_of_no_node_is_a_warning),
    cmocka_unit_test (hostile_env_values_are_warnings),
    cmocka_unit_test (env_parser),
    cmocka_unit_test (driver_file_parsers),
  };
  return cmocka_run_group_tests_name ("locality-env", tests, generate_machines, remove_machines);
}
