/* Storage locality on fixture machines from tests/fixtures/gen-sysfs.sh:
   block devices (NVMe, SCSI behind an HBA, partitions, dm and md stacks,
   multipath namespaces) and the volumes a container mounts (by device
   number, bind mounts of host directories, the volumes annotation) give
   the nodes of the disks under them.  */
#include <config.h>

#include "locality-fixtures.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

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

/* ---- sysfs that must not be trusted -------------------------------- */

static void
stacking_loop_ends (void **state)
{
  /* dm-8 claims to be built on itself.  */
  in_sysfs ("dm-md-nvme", "mkdir -p devices/virtual/block/dm-8/slaves "
                          "&& ln -s ../../devices/virtual/block/dm-8 dev/block/253:8 "
                          "&& ln -s ../../dm-8 devices/virtual/block/dm-8/slaves/dm-8");
  assert_device ("dm-md-nvme", "b", "/dev/dm-8", 253, 8, "");
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
    cmocka_unit_test (volumes_named_by_annotation),
    cmocka_unit_test (stacking_loop_ends),
  };
  return cmocka_run_group_tests_name ("locality storage", tests, generate_machines,
                                      remove_machines);
}
