/* Device locality on fixture machines from tests/fixtures/gen-sysfs.sh:
   the node each class of character device (VFIO, RDMA, DRM, NVIDIA)
   points to, devices with no affinity, device entries with missing or bad
   numbers, NICs named by annotation, and sysfs trees that try to lead
   elsewhere.  Block devices and volumes: test-locality-storage.c.  */
#include <config.h>

#include "locality-fixtures.h"

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
    cmocka_unit_test (links_out_of_sysfs_are_not_followed),
    cmocka_unit_test (missing_sysfs_is_a_warning),
  };
  return cmocka_run_group_tests_name ("locality", tests, generate_machines, remove_machines);
}
