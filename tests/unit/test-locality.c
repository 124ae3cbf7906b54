/* Device and storage locality on fixture machines from
   tests/fixtures/gen-sysfs.sh: every device class, stacked block devices,
   NICs named by annotation, devices with no affinity, and sysfs trees that
   try to lead elsewhere.  */
#include <config.h>

#include "unit.h"

#include "locality.h"
#include "machine-fixtures.h"

#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#ifndef NR_TOP_SRCDIR
#define NR_TOP_SRCDIR "."
#endif

/* Where the machines were generated (one subdirectory each).  */
static char *fixtures_dir;

static const char *const machines[] = { "two-socket", "nps4", "eight-node", "cloud-vm",
                                        "dm-md-nvme" };

static int
generate_machines (void **state)
{
  (void) state;
  return machines_generate ("nr-locality", machines, NR_N_ELEMENTS (machines), &fixtures_dir);
}

static int
remove_machines (void **state)
{
  (void) state;
  return machines_remove (&fixtures_dir);
}

/* A config reading MACHINE's sysfs and proc.  */
static struct nr_config
machine_config (const char *machine)
{
  struct nr_config config = { 0 };
  config.sysfs_root = xasprintf ("%s/%s/sys", fixtures_dir, machine);
  config.proc_root = xasprintf ("%s/%s/proc", fixtures_dir, machine);
  config.annotations_enabled = true;
  config.policy = NR_POLICY_BEST_EFFORT;
  return config;
}

static void
config_free (struct nr_config *config)
{
  free (config->sysfs_root);
  free (config->proc_root);
  free (config->annotation_keys);
}

/* The hints of REQ as "node source" lines.  */
static char *
format_hints (const struct nr_request *req)
{
  char *out = xstrdup ("");
  for (size_t i = 0; i < req->n_hints; i++)
    {
      char *longer =
          xasprintf ("%s%s%d %s", out, i ? "\n" : "", req->hints[i].node, req->hints[i].source);
      free (out);
      out = longer;
    }
  return out;
}

#define assert_hints(req, expected)                                                                \
  do                                                                                               \
    {                                                                                              \
      cleanup_free char *_got = format_hints (req);                                                \
      assert_string_equal (_got, (expected));                                                      \
    }                                                                                              \
  while (0)

/* Run nr_locality_hints on MACHINE with SPEC_JSON; returns its status and
   leaves the hints in REQ (and a failure in ERR).  */
static int
hints_with (const struct nr_config *config, const char *spec_json, struct nr_request *req,
            nr_error_t *err)
{
  cleanup_json yajl_val spec = NULL;
  nr_error_t parse_err = NULL;

  memset (req, 0, sizeof (*req));
  req->id = "c1";
  if (nr_json_parse (spec_json, strlen (spec_json), &spec, &parse_err) < 0)
    fail_msg ("bad spec in test: %s", parse_err->msg);
  return nr_locality_hints (spec, config, req, err);
}

static void
hints_on (const char *machine, const char *spec_json, struct nr_request *req)
{
  struct nr_config config = machine_config (machine);
  nr_error_t err = NULL;

  if (hints_with (&config, spec_json, req, &err) < 0)
    fail_msg ("nr_locality_hints on %s: %s", machine, err->msg);
  config_free (&config);
}

/* A spec giving the container one device.  */
static char *
device_spec (const char *type, const char *path, unsigned major, unsigned minor)
{
  return xasprintf ("{\"linux\":{\"devices\":[{\"path\":\"%s\",\"type\":\"%s\","
                    "\"major\":%u,\"minor\":%u}]}}",
                    path, type, major, minor);
}

/* The hints one device gives on MACHINE, as format_hints shows them.  */
static char *
device_hints (const char *machine, const char *type, const char *path, unsigned major,
              unsigned minor)
{
  cleanup_free char *spec = device_spec (type, path, major, minor);
  struct nr_request req;
  char *out;

  hints_on (machine, spec, &req);
  out = format_hints (&req);
  nr_request_free (&req);
  return out;
}

#define assert_device(machine, type, path, major, minor, expected)                                 \
  do                                                                                               \
    {                                                                                              \
      cleanup_free char *_got = device_hints (machine, type, path, major, minor);                  \
      assert_string_equal (_got, (expected));                                                      \
    }                                                                                              \
  while (0)

/* Run SHELL_CMD in MACHINE's sysfs directory.  */
static void
in_sysfs (const char *machine, const char *shell_cmd)
{
  cleanup_free char *cmd =
      xasprintf ("cd '%s/%s/sys' && { %s; }", fixtures_dir, machine, shell_cmd);
  assert_int_equal (system (cmd), 0);
}

/* ---- block devices ------------------------------------------------- */

static void
nvme_disks_by_device_number (void **state)
{
  assert_device ("two-socket", "b", "/dev/nvme0n1", 259, 0, "0 device /dev/nvme0n1 (259:0)");
  assert_device ("two-socket", "b", "/dev/nvme1n1", 259, 2, "1 device /dev/nvme1n1 (259:2)");
  assert_device ("nps4", "b", "/dev/nvme0n1", 259, 0, "2 device /dev/nvme0n1 (259:0)");
  assert_device ("eight-node", "b", "/dev/nvme0n1", 259, 0, "5 device /dev/nvme0n1 (259:0)");
  /* The host device is the one major:minor name, whatever the container
     calls it.  */
  assert_device ("two-socket", "b", "/dev/xvdb", 259, 2, "1 device /dev/xvdb (259:2)");
  /* NVMe controllers (char) resolve like their disks.  */
  assert_device ("two-socket", "c", "/dev/nvme1", 240, 1, "1 device /dev/nvme1 (240:1)");
}

/* A SCSI/SAS disk sits several levels below its HBA's PCI function.  */
static void
scsi_disk_walks_up_to_its_hba (void **state)
{
  in_sysfs ("two-socket",
            "d=devices/pci0000:80/0000:80:02.0/0000:82:00.0/host0/target0:0:0/0:0:0:0/block/sda "
            "&& mkdir -p $d/sda1 && echo 8:0 > $d/dev && echo 1 > $d/sda1/partition "
            "&& ln -s ../../$d dev/block/8:0 && ln -s ../../$d/sda1 dev/block/8:1");
  assert_device ("two-socket", "b", "/dev/sda", 8, 0, "1 device /dev/sda (8:0)");
  assert_device ("two-socket", "b", "/dev/sda1", 8, 1, "1 device /dev/sda1 (8:1)");
}

static void
partition_counts_as_its_disk (void **state)
{
  assert_device ("two-socket", "b", "/dev/nvme0n1p1", 259, 1, "0 device /dev/nvme0n1p1 (259:1)");
  assert_device ("dm-md-nvme", "b", "/dev/nvme1n1p1", 259, 2, "1 device /dev/nvme1n1p1 (259:2)");
}

static void
dm_over_md_over_two_nodes_gives_two_hints (void **state)
{
  assert_device ("dm-md-nvme", "b", "/dev/dm-0", 253, 0,
                 "0 device /dev/dm-0 (253:0, nvme0n1 via md0 via dm-0)\n"
                 "1 device /dev/dm-0 (253:0, nvme1n1 via md0 via dm-0)");
  assert_device ("dm-md-nvme", "b", "/dev/md0", 9, 0,
                 "0 device /dev/md0 (9:0, nvme0n1 via md0)\n"
                 "1 device /dev/md0 (9:0, nvme1n1 via md0)");
}

static void
dm_over_one_partition_gives_its_disks_node (void **state)
{
  assert_device ("dm-md-nvme", "b", "/dev/dm-1", 253, 1,
                 "1 device /dev/dm-1 (253:1, nvme1n1p1 via dm-1)");
}

/* A dual-port NVMe drive with native multipath: the namespace hangs off a
   virtual subsystem that links to both controllers (one per socket here).  */
static void
multipath_nvme_namespace_gives_its_controllers_nodes (void **state)
{
  in_sysfs ("two-socket",
            "s=devices/virtual/nvme-subsystem/nvme-subsys5 && mkdir -p $s/nvme5n1/nvme5n1p1 "
            "&& echo 259:50 > $s/nvme5n1/dev && echo 1 > $s/nvme5n1/nvme5n1p1/partition "
            "&& echo 'SAMSUNG' > $s/model "
            "&& ln -s ../../../pci0000:16/0000:16:02.0/0000:17:00.0/nvme/nvme0 $s/nvme0 "
            "&& ln -s ../../../pci0000:80/0000:80:03.0/0000:83:00.0/nvme/nvme1 $s/nvme1 "
            "&& ln -s ../../$s/nvme5n1 dev/block/259:50 "
            "&& ln -s ../../$s/nvme5n1/nvme5n1p1 dev/block/259:51");
  assert_device ("two-socket", "b", "/dev/nvme5n1", 259, 50,
                 "0 device /dev/nvme5n1 (259:50, nvme0 via nvme5n1)\n"
                 "1 device /dev/nvme5n1 (259:50, nvme1 via nvme5n1)");
  assert_device ("two-socket", "b", "/dev/nvme5n1p1", 259, 51,
                 "0 device /dev/nvme5n1p1 (259:51, nvme0 via nvme5n1p1)\n"
                 "1 device /dev/nvme5n1p1 (259:51, nvme1 via nvme5n1p1)");
}

/* The st_dev -> sysfs step of a bind mount, driven with fixture numbers.  */
static void
volume_by_device_number (void **state)
{
  struct nr_config config = machine_config ("dm-md-nvme");
  struct nr_request req = { .id = "c1" };
  nr_error_t err = NULL;

  assert_int_equal (nr_locality_volume_hints (&config, "/data", 253, 0, &req, &err), 0);
  assert_int_equal (nr_locality_volume_hints (&config, "/scratch", 253, 1, &req, &err), 0);
  assert_int_equal (nr_locality_volume_hints (&config, "/logs", 259, 2, &req, &err), 0);
  assert_int_equal (nr_locality_volume_hints (&config, "/db", 259, 0, &req, &err), 0);
  /* Same volume twice: no new hint.  */
  assert_int_equal (nr_locality_volume_hints (&config, "/db", 259, 0, &req, &err), 0);
  /* A device number sysfs does not know: nothing.  */
  assert_int_equal (nr_locality_volume_hints (&config, "/none", 8, 17, &req, &err), 0);
  assert_hints (&req, "0 volume /data (nvme0n1 via md0 via dm-0)\n"
                      "1 volume /data (nvme1n1 via md0 via dm-0)\n"
                      "1 volume /scratch (nvme1n1p1 via dm-1)\n"
                      "1 volume /logs (nvme1n1p1)\n"
                      "0 volume /db (nvme0n1)");
  nr_request_free (&req);
  config_free (&config);
}

/* A bind mount of a real host directory goes through stat (): on the
   fixture it must give exactly what its st_dev gives directly (on a real
   host, through the real /sys, that is the VM harness's job).  tmpfs and
   other anonymous filesystems, and bind-mounted files, give nothing.  */
static void
bind_mount_of_a_host_directory (void **state)
{
  struct stat dir_st;
  cleanup_free char *link = NULL;

  /* Make the fixture directory's own filesystem a disk of eight-node (when
     that number is free there), so the stat () path has something to find.  */
  assert_int_equal (stat (fixtures_dir, &dir_st), 0);
  link = xasprintf ("test -e dev/block/%u:%u || ln -s "
                    "../../devices/pci0000:a0/0000:a0:03.1/0000:a1:00.0/nvme/nvme0/nvme0n1 "
                    "dev/block/%u:%u",
                    major (dir_st.st_dev), minor (dir_st.st_dev), major (dir_st.st_dev),
                    minor (dir_st.st_dev));
  in_sysfs ("eight-node", link);
  for (size_t m = 0; m < sizeof (machines) / sizeof (machines[0]); m++)
    {
      struct nr_config config = machine_config (machines[m]);
      struct nr_request direct = { .id = "c1" };
      struct nr_request req;
      cleanup_free char *spec = NULL;
      cleanup_free char *expected = NULL;
      nr_error_t err = NULL;
      struct stat st;

      assert_int_equal (stat (fixtures_dir, &st), 0);
      assert_int_equal (nr_locality_volume_hints (&config, "/data", major (st.st_dev),
                                                  minor (st.st_dev), &direct, &err),
                        0);
      expected = format_hints (&direct);
      if (strcmp (machines[m], "eight-node") == 0 && major (dir_st.st_dev) != 0)
        assert_int_equal (direct.n_hints, 1);
      spec = xasprintf ("{\"mounts\":["
                        "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"%s\","
                        "\"options\":[\"rbind\",\"rw\"]},"
                        "{\"destination\":\"/etc/hostname\",\"type\":\"bind\","
                        "\"source\":\"/etc/hostname\",\"options\":[\"rbind\",\"ro\"]},"
                        "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
                        "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\"},"
                        "{\"destination\":\"/shm\",\"source\":\"/dev/shm\","
                        "\"options\":[\"bind\"]}]}",
                        fixtures_dir);
      assert_int_equal (hints_with (&config, spec, &req, &err), 0);
      assert_hints (&req, expected);
      nr_request_free (&req);
      nr_request_free (&direct);
      config_free (&config);
    }
}

/* ---- char device classes ------------------------------------------- */

static void
vfio_group_resolves_through_its_iommu_group (void **state)
{
  assert_device ("two-socket", "c", "/dev/vfio/42", 244, 0,
                 "1 vfio /dev/vfio/42 (iommu group 42, 0000:81:00.1)");
  /* The container side may name it differently: the group comes from the
     host device.  */
  assert_device ("two-socket", "c", "/dev/vfio/7", 244, 0,
                 "1 vfio /dev/vfio/7 (iommu group 42, 0000:81:00.1)");
  /* The container (iommufd) node is no device.  */
  assert_device ("two-socket", "c", "/dev/vfio/vfio", 10, 196, "");
  /* The iommufd per-device node sits under the PCI function.  */
  assert_device ("two-socket", "c", "/dev/vfio/devices/vfio0", 238, 0,
                 "1 device /dev/vfio/devices/vfio0 (238:0)");
}

static void
rdma_verbs_device (void **state)
{
  assert_device ("two-socket", "c", "/dev/infiniband/uverbs0", 231, 192,
                 "1 device /dev/infiniband/uverbs0 (231:192)");
}

static void
drm_render_nodes (void **state)
{
  assert_device ("two-socket", "c", "/dev/dri/renderD128", 226, 128,
                 "0 device /dev/dri/renderD128 (226:128)");
  assert_device ("two-socket", "c", "/dev/dri/renderD129", 226, 129,
                 "1 device /dev/dri/renderD129 (226:129)");
  assert_device ("two-socket", "c", "/dev/dri/card1", 226, 1, "1 device /dev/dri/card1 (226:1)");
  assert_device ("nps4", "c", "/dev/dri/renderD128", 226, 128,
                 "3 device /dev/dri/renderD128 (226:128)");
}

static void
nvidia_gpu_by_minor (void **state)
{
  assert_device ("two-socket", "c", "/dev/nvidia0", 195, 0, "0 gpu /dev/nvidia0 (0000:3b:00.0)");
  assert_device ("two-socket", "c", "/dev/nvidia1", 195, 1, "1 gpu /dev/nvidia1 (0000:86:00.0)");
  /* Control nodes and GPUs that are not there.  */
  assert_device ("two-socket", "c", "/dev/nvidiactl", 195, 255, "");
  assert_device ("two-socket", "c", "/dev/nvidia-modeset", 195, 254, "");
  assert_device ("two-socket", "c", "/dev/nvidia7", 195, 7, "");
  /* No NVIDIA driver on the machine.  */
  assert_device ("nps4", "c", "/dev/nvidia0", 195, 0, "");
}

static void
pseudo_devices_give_no_hint (void **state)
{
  static const char spec[] =
      "{\"linux\":{\"devices\":["
      "{\"path\":\"/dev/null\",\"type\":\"c\",\"major\":1,\"minor\":3},"
      "{\"path\":\"/dev/zero\",\"type\":\"c\",\"major\":1,\"minor\":5},"
      "{\"path\":\"/dev/full\",\"type\":\"c\",\"major\":1,\"minor\":7},"
      "{\"path\":\"/dev/random\",\"type\":\"c\",\"major\":1,\"minor\":8},"
      "{\"path\":\"/dev/urandom\",\"type\":\"c\",\"major\":1,\"minor\":9},"
      "{\"path\":\"/dev/tty\",\"type\":\"c\",\"major\":5,\"minor\":0},"
      "{\"path\":\"/dev/console\",\"type\":\"c\",\"major\":5,\"minor\":1},"
      "{\"path\":\"/dev/ptmx\",\"type\":\"c\",\"major\":5,\"minor\":2},"
      "{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229},"
      "{\"path\":\"/dev/net/tun\",\"type\":\"c\",\"major\":10,\"minor\":200},"
      "{\"path\":\"/dev/kvm\",\"type\":\"c\",\"major\":10,\"minor\":232},"
      "{\"path\":\"/dev/pts/0\",\"type\":\"c\",\"major\":136,\"minor\":0},"
      "{\"path\":\"/dev/fifo\",\"type\":\"p\"},"
      "{\"path\":\"/dev/null\",\"type\":\"c\"}"
      "]}}";
  struct nr_request req;

  for (size_t m = 0; m < sizeof (machines) / sizeof (machines[0]); m++)
    {
      hints_on (machines[m], spec, &req);
      assert_hints (&req, "");
      nr_request_free (&req);
    }
  /* Not in the table, but virtual all the way up: the walk finds nothing.  */
  assert_device ("two-socket", "c", "/dev/vfio/vfio", 10, 196, "");
}

static void
cloud_vm_has_no_affinity (void **state)
{
  struct nr_request req;

  assert_device ("cloud-vm", "b", "/dev/vda", 254, 0, "");
  assert_device ("cloud-vm", "b", "/dev/vda1", 254, 1, "");
  hints_on ("cloud-vm", "{\"annotations\":{\"numa-runtime.io/nics\":\"eth0\"}}", &req);
  assert_hints (&req, "");
  nr_request_free (&req);
}

static void
device_numbers_missing_or_bad (void **state)
{
  struct nr_request req;

  /* Without major/minor the host path is stat ()ed: here it does not
     exist, which is a warning, not a failure.  */
  hints_on ("two-socket",
            "{\"linux\":{\"devices\":["
            "{\"path\":\"/nonexistent/nvme9n1\",\"type\":\"b\"},"
            "{\"path\":\"/dev/nvme1n1\",\"type\":\"b\",\"major\":\"259\",\"minor\":2},"
            "{\"path\":\"/dev/nvme1n1\",\"type\":\"b\",\"major\":-1,\"minor\":2},"
            "{\"type\":\"b\",\"major\":259,\"minor\":2},"
            "{\"path\":\"/dev/nvme1n1\",\"type\":\"b\",\"major\":259,\"minor\":2},"
            "{\"path\":\"/dev/nvme1n1\",\"type\":\"b\",\"major\":259,\"minor\":2}"
            "]}}",
            &req);
  /* ...and the same device twice gives one hint.  */
  assert_hints (&req, "1 device /dev/nvme1n1 (259:2)");
  nr_request_free (&req);
}

/* ---- NICs ---------------------------------------------------------- */

static void
nics_named_by_annotation (void **state)
{
  struct nr_request req;

  hints_on ("two-socket", "{\"annotations\":{\"numa-runtime.io/nics\":\"ens1f0\"}}", &req);
  assert_hints (&req, "1 nic ens1f0");
  nr_request_free (&req);

  hints_on ("nps4", "{\"annotations\":{\"numa-runtime.io/nics\":\" eth2 , lo\"}}", &req);
  assert_hints (&req, "2 nic eth2");
  nr_request_free (&req);

  /* An interface this host lacks: a warning, no hint.  */
  hints_on ("two-socket", "{\"annotations\":{\"numa-runtime.io/nics\":\"ens9f9,ens1f0\"}}", &req);
  assert_hints (&req, "1 nic ens1f0");
  nr_request_free (&req);

  hints_on ("two-socket", "{\"annotations\":{\"numa-runtime.io/nics\":\"\"}}", &req);
  assert_hints (&req, "");
  nr_request_free (&req);
}

static void
bad_nic_name_is_an_error (void **state)
{
  static const char *const bad_values[] = { "../../../etc", "ens1/f0",    "averyveryverylongname",
                                            "..",           ".",          "ens1f0,",
                                            ",ens1f0",      "ens1f0,,lo", "ens 1",
                                            "ens1f0\\n" };
  struct nr_config config = machine_config ("two-socket");

  for (size_t i = 0; i < sizeof (bad_values) / sizeof (bad_values[0]); i++)
    {
      cleanup_free char *spec =
          xasprintf ("{\"linux\":{\"devices\":[{\"path\":\"/dev/nvidia1\",\"type\":\"c\","
                     "\"major\":195,\"minor\":1}]},"
                     "\"annotations\":{\"numa-runtime.io/nics\":\"ens1f0,%s\"}}",
                     bad_values[i]);
      struct nr_request req;
      nr_error_t err = NULL;

      assert_int_equal (hints_with (&config, spec, &req, &err), -1);
      assert_non_null (err);
      assert_non_null (strstr (err->msg, "numa-runtime.io/nics"));
      assert_non_null (strstr (err->msg, "invalid interface name"));
      /* The devices' hints are there; no interface was followed.  */
      assert_hints (&req, "1 gpu /dev/nvidia1 (0000:86:00.0)");
      nr_error_release (&err);
      nr_request_free (&req);
    }
  config_free (&config);
}

/* ---- volumes annotation -------------------------------------------- */

/* numa-runtime.io/volumes names host paths (a pod's storage, stated where
   its sandbox sees it).  Paths without a block device (/proc) or missing
   ones give no hint and no error; a relative path is an error, and then no
   path is followed.  */
static void
volumes_named_by_annotation (void **state)
{
  static const char *const bad_values[] = { "data", "/proc, data", "/proc,../etc", "/a\\tb" };
  struct nr_config config = machine_config ("two-socket");
  struct nr_request req;

  hints_on ("two-socket",
            "{\"annotations\":{\"numa-runtime.io/volumes\":\" /proc , /nonexistent/x ,\"}}", &req);
  assert_hints (&req, "");
  nr_request_free (&req);

  for (size_t i = 0; i < sizeof (bad_values) / sizeof (bad_values[0]); i++)
    {
      cleanup_free char *spec =
          xasprintf ("{\"annotations\":{\"numa-runtime.io/volumes\":\"%s\"}}", bad_values[i]);
      nr_error_t err = NULL;

      assert_int_equal (hints_with (&config, spec, &req, &err), -1);
      assert_non_null (err);
      assert_non_null (strstr (err->msg, "numa-runtime.io/volumes"));
      nr_error_release (&err);
      nr_request_free (&req);
    }
  config_free (&config);
}

/* The name is shown, but only as printable ASCII and cut short: it comes
   from the pod and ends up in kubectl describe.  */
static void
bad_nic_name_is_shown_safely (void **state)
{
  struct nr_config config = machine_config ("two-socket");
  struct nr_request req;
  nr_error_t err = NULL;

  assert_int_equal (hints_with (&config,
                                "{\"annotations\":{\"numa-runtime.io/nics\":"
                                "\"e\\u001b[31m`x`0123456789012345678901234567890123456789\"}}",
                                &req, &err),
                    -1);
  assert_string_equal (err->msg, "annotation numa-runtime.io/nics: invalid interface name "
                                 "`e?[31m?x?01234567890123456789012...` "
                                 "(want 1-15 of A-Z a-z 0-9 _ . : -)");
  nr_error_release (&err);
  nr_request_free (&req);
  config_free (&config);
}

static void
nic_annotation_follows_admin_settings (void **state)
{
  static const char spec[] = "{\"annotations\":{\"numa-runtime.io/nics\":\"ens1f0\"}}";
  struct nr_config config = machine_config ("two-socket");
  struct nr_request req;
  nr_error_t err = NULL;

  config.annotations_enabled = false;
  assert_int_equal (hints_with (&config, spec, &req, &err), 0);
  assert_hints (&req, "");
  nr_request_free (&req);

  config.annotations_enabled = true;
  config.annotation_keys = xstrdup ("cpus, mems");
  assert_int_equal (hints_with (&config, spec, &req, &err), 0);
  assert_hints (&req, "");
  nr_request_free (&req);

  free (config.annotation_keys);
  config.annotation_keys = xstrdup ("mems,numa-runtime.io/nics");
  assert_int_equal (hints_with (&config, spec, &req, &err), 0);
  assert_hints (&req, "1 nic ens1f0");
  nr_request_free (&req);
  config_free (&config);
}

static void
interface_names (void **state)
{
  assert_true (nr_locality_ifname_valid ("ens1f0"));
  assert_true (nr_locality_ifname_valid ("eth0.100"));
  assert_true (nr_locality_ifname_valid ("bond0:1"));
  assert_true (nr_locality_ifname_valid ("a_b-c"));
  assert_true (nr_locality_ifname_valid ("x23456789012345"));
  assert_false (nr_locality_ifname_valid ("x234567890123456"));
  assert_false (nr_locality_ifname_valid (""));
  assert_false (nr_locality_ifname_valid ("."));
  assert_false (nr_locality_ifname_valid (".."));
  assert_false (nr_locality_ifname_valid ("a/b"));
  assert_false (nr_locality_ifname_valid ("a b"));
  assert_false (nr_locality_ifname_valid ("é"));
}

/* ---- sysfs that must not be trusted -------------------------------- */

static void
links_out_of_sysfs_are_not_followed (void **state)
{
  struct nr_request req;

  /* Leads outside the root; /etc/... has no numa_node, but a tree there
     could: we must not even look.  */
  in_sysfs ("nps4", "ln -s /etc dev/char/99:1 && ln -s ../../.. class/net/evil0 "
                    "&& mkdir -p devices/virtual/block/dm-7/slaves "
                    "&& ln -s ../../devices/virtual/block/dm-7 dev/block/253:7 "
                    "&& ln -s /tmp devices/virtual/block/dm-7/slaves/sda");
  assert_device ("nps4", "c", "/dev/evil", 99, 1, "");
  assert_device ("nps4", "b", "/dev/dm-7", 253, 7, "");
  hints_on ("nps4", "{\"annotations\":{\"numa-runtime.io/nics\":\"evil0,eth2\"}}", &req);
  assert_hints (&req, "2 nic eth2");
  nr_request_free (&req);
}

static void
stacking_loop_ends (void **state)
{
  /* dm-8 claims to be built on itself.  */
  in_sysfs ("dm-md-nvme", "mkdir -p devices/virtual/block/dm-8/slaves "
                          "&& ln -s ../../devices/virtual/block/dm-8 dev/block/253:8 "
                          "&& ln -s ../../dm-8 devices/virtual/block/dm-8/slaves/dm-8");
  assert_device ("dm-md-nvme", "b", "/dev/dm-8", 253, 8, "");
}

static void
missing_sysfs_is_a_warning (void **state)
{
  struct nr_config config = machine_config ("two-socket");
  cleanup_free char *spec = device_spec ("b", "/dev/nvme1n1", 259, 2);
  struct nr_request req;
  nr_error_t err = NULL;

  free (config.sysfs_root);
  config.sysfs_root = xstrdup ("/nonexistent/sys");
  assert_int_equal (hints_with (&config, spec, &req, &err), 0);
  assert_hints (&req, "");
  nr_request_free (&req);
  assert_int_equal (nr_locality_volume_hints (&config, "/data", 259, 2, &req, &err), -1);
  assert_non_null (strstr (err->msg, "/nonexistent/sys"));
  nr_error_release (&err);
  nr_request_free (&req);
  config_free (&config);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (nvme_disks_by_device_number),
    cmocka_unit_test (scsi_disk_walks_up_to_its_hba),
    cmocka_unit_test (partition_counts_as_its_disk),
    cmocka_unit_test (dm_over_md_over_two_nodes_gives_two_hints),
    cmocka_unit_test (dm_over_one_partition_gives_its_disks_node),
    cmocka_unit_test (multipath_nvme_namespace_gives_its_controllers_nodes),
    cmocka_unit_test (volume_by_device_number),
    cmocka_unit_test (bind_mount_of_a_host_directory),
    cmocka_unit_test (vfio_group_resolves_through_its_iommu_group),
    cmocka_unit_test (rdma_verbs_device),
    cmocka_unit_test (drm_render_nodes),
    cmocka_unit_test (nvidia_gpu_by_minor),
    cmocka_unit_test (pseudo_devices_give_no_hint),
    cmocka_unit_test (cloud_vm_has_no_affinity),
    cmocka_unit_test (device_numbers_missing_or_bad),
    cmocka_unit_test (nics_named_by_annotation),
    cmocka_unit_test (bad_nic_name_is_an_error),
    cmocka_unit_test (bad_nic_name_is_shown_safely),
    cmocka_unit_test (nic_annotation_follows_admin_settings),
    cmocka_unit_test (interface_names),
    cmocka_unit_test (volumes_named_by_annotation),
    cmocka_unit_test (links_out_of_sysfs_are_not_followed),
    cmocka_unit_test (stacking_loop_ends),
    cmocka_unit_test (missing_sysfs_is_a_warning),
  };
  return cmocka_run_group_tests_name ("locality", tests, generate_machines, remove_machines);
}
