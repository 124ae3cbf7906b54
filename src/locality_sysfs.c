/* numa-runtime: from a device to the NUMA nodes it is attached to, by
 * reading sysfs the way the kernel lays it out:
 *
 *   <sys>/dev/{block,char}/MAJ:MIN -> ../../devices/.../<device>
 *
 * then up the directory tree until one holds `numa_node` (only PCI
 * functions and a few buses have one; -1 means "no affinity").  Special
 * cases: stacked block devices (dm, md) live under devices/virtual and
 * name their lower devices in slaves/; multipath NVMe namespaces hang off
 * a virtual subsystem that links to its controllers; a VFIO group's class
 * device is virtual, its IOMMU group lists the PCI functions; the NVIDIA
 * driver registers no class device at all and is found through its proc
 * files, an AMD GPU partition through the kfd topology (locality_gpu.c).
 *
 * Cost: a handful of realpath () and open () calls per device.  The only
 * directories read are slaves/ of virtual block devices, the subsystem of
 * a multipath NVMe namespace, IOMMU group members and the NVIDIA driver's
 * GPU list.  */
#include <config.h>

#include "locality_sysfs.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define NVIDIA_MAJOR 195
#define DRM_MAJOR 226
/* Entries read from one directory (slaves, IOMMU group members, NVMe
   paths): a real one holds a handful.  */
#define MAX_DIR_ENTRIES 1024
/* dm over md over dm...: a real stack is 2-4 deep; deeper is a loop.  */
#define MAX_STACK_DEPTH 8

/* PATH of a canonical directory, relative to the root ("devices/...").  */
static const char *
relative (const struct nr_sysfs *sysfs, const char *real)
{
  const char *rel = real + sysfs->root_len;
  return *rel == '/' ? rel + 1 : rel;
}

static const char *
base_name (const char *path)
{
  const char *slash = strrchr (path, '/');
  return slash ? slash + 1 : path;
}

/* ---- block devices ------------------------------------------------- */

static int block_dir_nodes (const struct nr_sysfs *sysfs, const char *dir, const char *above,
                            int depth, struct nr_reached_list *out, nr_error_t *err);

static bool
is_partition (const char *dir)
{
  cleanup_free char *path = xasprintf ("%s/partition", dir);
  struct stat st;
  return stat (path, &st) == 0;
}

static char *
parent_of (const char *dir)
{
  return xstrndup (dir, (size_t) (strrchr (dir, '/') - dir));
}

/* "nvme" and digits: a controller's name (not a namespace, "nvme0n1").  */
static bool
is_nvme_controller (const char *name)
{
  return strncmp (name, "nvme", 4) == 0 && name[4] != '\0'
         && strspn (name + 4, "0123456789") == strlen (name + 4);
}

/* A multipath NVMe namespace (the kernel's native multipath, used when the
   subsystem has several controllers, e.g. dual-port drives) hangs off its
   subsystem, a virtual device; the subsystem links to each controller,
   which sits under its PCI function.  DISK is the namespace's directory.  */
static int
nvme_subsystem_nodes (const struct nr_sysfs *sysfs, const char *disk, const char *chain,
                      struct nr_reached_list *out, nr_error_t *err)
{
  cleanup_free char *subsystem = parent_of (disk);
  cleanup_dir_list struct nr_dir_list entries = { 0 };

  if (nr_sysfs_list_dir (subsystem, MAX_DIR_ENTRIES, &entries, err) < 0)
    return -1;
  for (int i = 0; i < entries.n; i++)
    {
      const char *name = entries.entries[i]->d_name;
      cleanup_free char *link = NULL;
      cleanup_free char *controller = NULL;
      cleanup_free char *via = NULL;
      int node;

      if (! is_nvme_controller (name))
        continue;
      link = xasprintf ("%s/%s", subsystem, name);
      if (nr_sysfs_resolve (sysfs, link, &controller, err) < 0)
        return -1;
      if (controller == NULL)
        continue;
      if (nr_sysfs_numa_node (sysfs, controller, &node, err) < 0)
        return -1;
      out->kind = NR_REACH_STACKED;
      via = xasprintf ("%s via %s", name, chain);
      nr_reached_add (sysfs, out, node, via);
    }
  return 0;
}

/* The nodes of the devices a dm/md device DISK is built on.  CHAIN names
   DISK and what stands above it.  */
static int
slaves_nodes (const struct nr_sysfs *sysfs, const char *disk, const char *chain, int depth,
              struct nr_reached_list *out, nr_error_t *err)
{
  cleanup_free char *slaves = xasprintf ("%s/slaves", disk);
  cleanup_dir_list struct nr_dir_list lowers = { 0 };

  if (depth >= MAX_STACK_DEPTH)
    return nr_make_error (err, 0, "`%s`: block devices stacked more than %d deep", disk,
                          MAX_STACK_DEPTH);
  if (nr_sysfs_list_dir (slaves, MAX_DIR_ENTRIES, &lowers, err) < 0)
    return -1;
  if (lowers.n > 0)
    out->kind = NR_REACH_STACKED;
  for (int i = 0; i < lowers.n; i++)
    {
      cleanup_free char *link = xasprintf ("%s/%s", slaves, lowers.entries[i]->d_name);
      cleanup_free char *lower = NULL;

      if (nr_sysfs_resolve (sysfs, link, &lower, err) < 0)
        return -1;
      if (lower && block_dir_nodes (sysfs, lower, chain, depth + 1, out, err) < 0)
        return -1;
    }
  return 0;
}

/* The nodes of the block device whose canonical sysfs directory is DIR.
   ABOVE names the stacked devices that led here ("md0 via dm-0"), NULL at
   the top.  */
static int
block_dir_nodes (const struct nr_sysfs *sysfs, const char *dir, const char *above, int depth,
                 struct nr_reached_list *out, nr_error_t *err)
{
  cleanup_free char *chain = NULL;
  cleanup_free char *disk = NULL;
  int node;

  chain = above ? xasprintf ("%s via %s", base_name (dir), above) : xstrdup (base_name (dir));
  /* A partition is a subdirectory of its disk, so walking up from it
     reaches the disk's controller: the common case costs no extra call.  */
  if (nr_sysfs_numa_node (sysfs, dir, &node, err) < 0)
    return -1;
  if (node >= 0)
    {
      nr_reached_add (sysfs, out, node, chain);
      return 0;
    }
  /* Only dm, md and friends (under devices/virtual/block) and multipath
     NVMe namespaces (under devices/virtual/nvme-subsystem) stand on other
     devices; a real disk without affinity is simply not close to any node.  */
  if (strncmp (relative (sysfs, dir), "devices/virtual/", 16) != 0)
    return 0;
  disk = is_partition (dir) ? parent_of (dir) : xstrdup (dir);
  if (strncmp (relative (sysfs, disk), "devices/virtual/nvme-subsystem/", 31) == 0)
    return nvme_subsystem_nodes (sysfs, disk, chain, out, err);
  return slaves_nodes (sysfs, disk, chain, depth, out, err);
}

int
nr_sysfs_block_nodes (const struct nr_sysfs *sysfs, unsigned major, unsigned minor,
                      struct nr_reached_list *out, nr_error_t *err)
{
  cleanup_free char *link = xasprintf ("%s/dev/block/%u:%u", sysfs->root, major, minor);
  cleanup_free char *dir = NULL;

  out->kind = NR_REACH_PLAIN;
  if (nr_sysfs_resolve (sysfs, link, &dir, err) < 0)
    return -1;
  return dir ? block_dir_nodes (sysfs, dir, NULL, 0, out, err) : 0;
}

/* ---- char devices -------------------------------------------------- */

/* The IOMMU group number of a VFIO group's class device: devices/virtual/
   vfio/N, or vfio/noiommu-N for a group the no-IOMMU mode made up (the
   kernel still files its device under kernel/iommu_groups/N).  */
static const char *
vfio_group (const struct nr_sysfs *sysfs, const char *dir)
{
  static const char prefix[] = "devices/virtual/vfio/";
  const char *rel = relative (sysfs, dir);
  const char *group = rel + sizeof (prefix) - 1;
  size_t len;

  if (strncmp (rel, prefix, sizeof (prefix) - 1) != 0)
    return NULL;
  if (strncmp (group, "noiommu-", 8) == 0)
    group += 8;
  len = strlen (group);
  return len > 0 && len < 12 && strspn (group, "0123456789") == len ? group : NULL;
}

/* A char device being resolved: its number, and its canonical sysfs
   directory (NULL when /sys/dev/char lists none, as for NVIDIA GPUs).  */
struct char_device
{
  unsigned major, minor;
  const char *dir;
};

static bool
is_nvidia (const struct nr_sysfs *sysfs, const struct char_device *dev)
{
  (void) sysfs;
  return dev->major == NVIDIA_MAJOR;
}

static int
nvidia_nodes (const struct nr_sysfs *sysfs, const struct char_device *dev,
              struct nr_reached_list *out, nr_error_t *err)
{
  return nr_gpu_nvidia_minor_nodes (sysfs, dev->minor, out, err);
}

static bool
is_vfio_group (const struct nr_sysfs *sysfs, const struct char_device *dev)
{
  return dev->dir && vfio_group (sysfs, dev->dir);
}

/* /dev/vfio/N gives the container every PCI function of IOMMU group N.  */
static int
iommu_group_nodes (const struct nr_sysfs *sysfs, const struct char_device *dev,
                   struct nr_reached_list *out, nr_error_t *err)
{
  const char *group = vfio_group (sysfs, dev->dir);
  cleanup_free char *devices_dir =
      xasprintf ("%s/kernel/iommu_groups/%s/devices", sysfs->root, group);
  cleanup_dir_list struct nr_dir_list members = { 0 };

  out->kind = NR_REACH_VFIO;
  if (nr_sysfs_list_dir (devices_dir, MAX_DIR_ENTRIES, &members, err) < 0)
    return -1;
  for (int i = 0; i < members.n; i++)
    {
      const char *address = members.entries[i]->d_name;
      cleanup_free char *link = xasprintf ("%s/%s", devices_dir, address);
      cleanup_free char *via = xasprintf ("iommu group %s, %s", group, address);
      cleanup_free char *dir = NULL;
      int node;

      if (nr_sysfs_resolve (sysfs, link, &dir, err) < 0)
        return -1;
      if (dir == NULL)
        continue;
      if (nr_sysfs_numa_node (sysfs, dir, &node, err) < 0)
        return -1;
      nr_reached_add (sysfs, out, node, via);
    }
  return 0;
}

static bool
is_amd_partition (const struct nr_sysfs *sysfs, const struct char_device *dev)
{
  static const char prefix[] = "devices/platform/amdgpu_xcp.";
  return dev->major == DRM_MAJOR && dev->dir
         && strncmp (relative (sysfs, dev->dir), prefix, sizeof (prefix) - 1) == 0;
}

static int
amd_partition_nodes (const struct nr_sysfs *sysfs, const struct char_device *dev,
                     struct nr_reached_list *out, nr_error_t *err)
{
  return nr_gpu_kfd_render_nodes (sysfs, dev->minor, out, err);
}

/* Device classes whose node is not found by walking up from their sysfs
   directory, tried in order; every other char device is walked.  */
static const struct
{
  bool (*matches) (const struct nr_sysfs *sysfs, const struct char_device *dev);
  int (*nodes) (const struct nr_sysfs *sysfs, const struct char_device *dev,
                struct nr_reached_list *out, nr_error_t *err);
} char_classes[] = {
  { is_nvidia, nvidia_nodes },
  { is_vfio_group, iommu_group_nodes },
  { is_amd_partition, amd_partition_nodes },
};

int
nr_sysfs_char_nodes (const struct nr_sysfs *sysfs, unsigned major, unsigned minor,
                     struct nr_reached_list *out, nr_error_t *err)
{
  cleanup_free char *link = xasprintf ("%s/dev/char/%u:%u", sysfs->root, major, minor);
  cleanup_free char *dir = NULL;
  struct char_device dev = { .major = major, .minor = minor };
  int node;

  out->kind = NR_REACH_PLAIN;
  if (nr_sysfs_resolve (sysfs, link, &dir, err) < 0)
    return -1;
  dev.dir = dir;
  for (size_t i = 0; i < NR_N_ELEMENTS (char_classes); i++)
    if (char_classes[i].matches (sysfs, &dev))
      return char_classes[i].nodes (sysfs, &dev, out, err);
  if (dir == NULL)
    return 0;
  if (nr_sysfs_numa_node (sysfs, dir, &node, err) < 0)
    return -1;
  nr_reached_add (sysfs, out, node, base_name (dir));
  return 0;
}

/* ---- network interfaces -------------------------------------------- */

int
nr_sysfs_net_nodes (const struct nr_sysfs *sysfs, const char *ifname, struct nr_reached_list *out,
                    nr_error_t *err)
{
  cleanup_free char *link = xasprintf ("%s/class/net/%s", sysfs->root, ifname);
  cleanup_free char *dir = NULL;
  int node;

  out->kind = NR_REACH_PLAIN;
  if (nr_sysfs_resolve (sysfs, link, &dir, err) < 0)
    return -1;
  if (dir == NULL)
    return nr_make_error (err, 0, "no network interface `%s` on this host", ifname);
  /* The interface sits under its device (PCI function, virtio device...);
     virtual interfaces (bridges, bonds, veth) reach no numa_node.  */
  if (nr_sysfs_numa_node (sysfs, dir, &node, err) < 0)
    return -1;
  nr_reached_add (sysfs, out, node, ifname);
  return 0;
}
