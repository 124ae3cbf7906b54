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
 * files.
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
/* 195:254 is nvidia-modeset and 195:255 nvidiactl: control nodes that
   belong to no GPU.  */
#define NVIDIA_FIRST_CONTROL_MINOR 254
/* dm over md over dm...: a real stack is 2-4 deep; deeper is a loop.  */
#define MAX_STACK_DEPTH 8

struct dir_list
{
  struct dirent **entries;
  int n;
};

static void
dir_list_free (struct dir_list *list)
{
  for (int i = 0; i < list->n; i++)
    free (list->entries[i]);
  free (list->entries);
  list->entries = NULL;
  list->n = 0;
}
#define cleanup_dir_list __attribute__ ((cleanup (dir_list_free)))

static int
not_dot (const struct dirent *de)
{
  return de->d_name[0] != '.';
}

/* Entries of PATH (without dot files) in name order, so that what we
   report does not depend on the order the kernel created them.  A missing
   directory is an empty list.  */
static int
list_dir (const char *path, struct dir_list *out, nr_error_t *err)
{
  out->entries = NULL;
  out->n = scandir (path, &out->entries, not_dot, alphasort);
  if (out->n >= 0)
    return 0;
  out->n = 0;
  out->entries = NULL;
  if (errno == ENOENT || errno == ENOTDIR)
    return 0;
  return nr_make_error (err, errno, "read directory `%s`", path);
}

int
nr_sysfs_open (struct nr_sysfs *sysfs, const char *sysfs_root, const char *proc_root,
               nr_error_t *err)
{
  char *root = realpath (sysfs_root, NULL);

  memset (sysfs, 0, sizeof (*sysfs));
  if (root == NULL)
    return nr_make_error (err, errno, "sysfs root `%s`", sysfs_root);
  sysfs->root = root;
  /* "/" as root: every absolute path is inside, and the prefix is empty.  */
  sysfs->root_len = strcmp (root, "/") == 0 ? 0 : strlen (root);
  sysfs->proc_root = proc_root;
  return 0;
}

void
nr_sysfs_close (struct nr_sysfs *sysfs)
{
  free (sysfs->root);
  memset (sysfs, 0, sizeof (*sysfs));
}

void
nr_reached_free (struct nr_reached_list *list)
{
  for (size_t i = 0; i < list->n; i++)
    free (list->items[i].via);
  free (list->items);
  memset (list, 0, sizeof (*list));
}

/* Record NODE unless it is "no affinity" or already there.  */
static void
reached_add (struct nr_reached_list *list, int node, const char *via)
{
  if (node < 0)
    return;
  for (size_t i = 0; i < list->n; i++)
    if (list->items[i].node == node)
      return;
  list->items = xrealloc (list->items, (list->n + 1) * sizeof (*list->items));
  list->items[list->n].node = node;
  list->items[list->n].via = xstrdup (via);
  list->n++;
}

static bool
inside_root (const struct nr_sysfs *sysfs, const char *real)
{
  return strncmp (real, sysfs->root, sysfs->root_len) == 0
         && (real[sysfs->root_len] == '/' || real[sysfs->root_len] == '\0');
}

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

/* Resolve PATH (symlinks and all) into *OUT, which stays NULL when PATH
   does not exist.  Fails when it leads outside the sysfs root: a planted
   or broken link must not make us read arbitrary files.  */
static int
resolve_inside (const struct nr_sysfs *sysfs, const char *path, char **out, nr_error_t *err)
{
  cleanup_free char *real = realpath (path, NULL);

  *out = NULL;
  if (real == NULL)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        return 0;
      return nr_make_error (err, errno, "resolve `%s`", path);
    }
  if (! inside_root (sysfs, real))
    return nr_make_error (err, 0, "`%s` leads to `%s`, outside the sysfs root `%s`", path, real,
                          sysfs->root);
  *out = steal_pointer (&real);
  return 0;
}

/* The numa_node of DIR (canonical, inside the root) or of its nearest
   ancestor below the root, in *NODE; -1 when there is none or it says
   -1.  */
static int
nearest_numa_node (const struct nr_sysfs *sysfs, const char *dir, int *node, nr_error_t *err)
{
  char path[PATH_MAX];
  size_t len = strlen (dir);

  *node = -1;
  if (len >= sizeof (path) - sizeof ("/numa_node"))
    return nr_make_error (err, ENAMETOOLONG, "`%s`", dir);
  memcpy (path, dir, len + 1);
  while (len > sysfs->root_len)
    {
      char value[32];
      char *end;
      long parsed;

      memcpy (path + len, "/numa_node", sizeof ("/numa_node"));
      if (read_small_file (path, value, sizeof (value)) < 0)
        {
          if (errno != ENOENT && errno != ENOTDIR)
            return nr_make_error (err, errno, "read `%s`", path);
          path[len] = '\0';
          len = (size_t) (strrchr (path, '/') - path);
          continue;
        }
      errno = 0;
      parsed = strtol (value, &end, 10);
      if (errno != 0 || end == value || *end != '\0' || parsed < -1 || parsed > INT_MAX)
        return nr_make_error (err, 0, "`%s`: unexpected content `%.32s`", path, value);
      *node = (int) parsed;
      return 0;
    }
  return 0;
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
  cleanup_dir_list struct dir_list entries = { 0 };

  if (list_dir (subsystem, &entries, err) < 0)
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
      if (resolve_inside (sysfs, link, &controller, err) < 0)
        return -1;
      if (controller == NULL)
        continue;
      if (nearest_numa_node (sysfs, controller, &node, err) < 0)
        return -1;
      out->kind = NR_REACH_STACKED;
      via = xasprintf ("%s via %s", name, chain);
      reached_add (out, node, via);
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
  cleanup_dir_list struct dir_list lowers = { 0 };

  if (depth >= MAX_STACK_DEPTH)
    return nr_make_error (err, 0, "`%s`: block devices stacked more than %d deep", disk,
                          MAX_STACK_DEPTH);
  if (list_dir (slaves, &lowers, err) < 0)
    return -1;
  if (lowers.n > 0)
    out->kind = NR_REACH_STACKED;
  for (int i = 0; i < lowers.n; i++)
    {
      cleanup_free char *link = xasprintf ("%s/%s", slaves, lowers.entries[i]->d_name);
      cleanup_free char *lower = NULL;

      if (resolve_inside (sysfs, link, &lower, err) < 0)
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
  if (nearest_numa_node (sysfs, dir, &node, err) < 0)
    return -1;
  if (node >= 0)
    {
      reached_add (out, node, chain);
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
  if (resolve_inside (sysfs, link, &dir, err) < 0)
    return -1;
  return dir ? block_dir_nodes (sysfs, dir, NULL, 0, out, err) : 0;
}

/* ---- char devices -------------------------------------------------- */

/* The nodes of a PCI function given by its address (as sysfs spells it,
   e.g. 0000:81:00.0, already checked to be a plain name).  */
static int
pci_nodes (const struct nr_sysfs *sysfs, const char *address, const char *via,
           struct nr_reached_list *out, nr_error_t *err)
{
  cleanup_free char *link = xasprintf ("%s/bus/pci/devices/%s", sysfs->root, address);
  cleanup_free char *dir = NULL;
  int node;

  if (resolve_inside (sysfs, link, &dir, err) < 0)
    return -1;
  if (dir == NULL)
    return nr_make_error (err, 0, "no PCI device `%s` in sysfs", address);
  if (nearest_numa_node (sysfs, dir, &node, err) < 0)
    return -1;
  reached_add (out, node, via);
  return 0;
}

/* A PCI address as sysfs and the NVIDIA driver spell it: hex digits,
   colons and dots, and not "." or "..".  */
static bool
is_pci_address (const char *name)
{
  size_t len = strlen (name);
  return len > 0 && len < 32 && strspn (name, "0123456789abcdefABCDEF:.") == len
         && strspn (name, ".") != len;
}

/* The "Device Minor:" of an NVIDIA GPU's information file, or -1.  */
static long
nvidia_minor (const char *information)
{
  static const char key[] = "Device Minor:";
  const char *line = strstr (information, key);
  char *end;
  long minor;

  if (line == NULL || (line != information && line[-1] != '\n'))
    return -1;
  minor = strtol (line + sizeof (key) - 1, &end, 10);
  return end == line + sizeof (key) - 1 ? -1 : minor;
}

/* /dev/nvidiaN: the GPU whose driver information says Device Minor N.
   The driver registers no sysfs class device, so this is the only way.  */
static int
nvidia_nodes (const struct nr_sysfs *sysfs, unsigned minor, struct nr_reached_list *out,
              nr_error_t *err)
{
  cleanup_free char *gpus_dir = xasprintf ("%s/driver/nvidia/gpus", sysfs->proc_root);
  cleanup_dir_list struct dir_list gpus = { 0 };

  out->kind = NR_REACH_GPU;
  if (minor >= NVIDIA_FIRST_CONTROL_MINOR)
    return 0;
  /* No driver loaded here (or no proc): nothing to learn.  */
  if (list_dir (gpus_dir, &gpus, err) < 0)
    return -1;
  for (int i = 0; i < gpus.n; i++)
    {
      const char *address = gpus.entries[i]->d_name;
      cleanup_free char *path = NULL;
      char information[4096];

      if (! is_pci_address (address))
        continue;
      path = xasprintf ("%s/%s/information", gpus_dir, address);
      /* A GPU being unbound can vanish under us: skip it.  */
      if (read_small_file (path, information, sizeof (information)) < 0)
        continue;
      if (nvidia_minor (information) == (long) minor)
        return pci_nodes (sysfs, address, address, out, err);
    }
  return 0;
}

/* The IOMMU group number of a VFIO group's class device
   (devices/virtual/vfio/N), or NULL for any other device.  */
static const char *
vfio_group (const struct nr_sysfs *sysfs, const char *dir)
{
  static const char prefix[] = "devices/virtual/vfio/";
  const char *rel = relative (sysfs, dir);
  const char *group = rel + sizeof (prefix) - 1;
  size_t len;

  if (strncmp (rel, prefix, sizeof (prefix) - 1) != 0)
    return NULL;
  len = strlen (group);
  return len > 0 && len < 12 && strspn (group, "0123456789") == len ? group : NULL;
}

/* /dev/vfio/N gives the container every PCI function of IOMMU group N.  */
static int
iommu_group_nodes (const struct nr_sysfs *sysfs, const char *group, struct nr_reached_list *out,
                   nr_error_t *err)
{
  cleanup_free char *devices_dir =
      xasprintf ("%s/kernel/iommu_groups/%s/devices", sysfs->root, group);
  cleanup_dir_list struct dir_list members = { 0 };

  out->kind = NR_REACH_VFIO;
  if (list_dir (devices_dir, &members, err) < 0)
    return -1;
  for (int i = 0; i < members.n; i++)
    {
      const char *address = members.entries[i]->d_name;
      cleanup_free char *link = xasprintf ("%s/%s", devices_dir, address);
      cleanup_free char *via = xasprintf ("iommu group %s, %s", group, address);
      cleanup_free char *dir = NULL;
      int node;

      if (resolve_inside (sysfs, link, &dir, err) < 0)
        return -1;
      if (dir == NULL)
        continue;
      if (nearest_numa_node (sysfs, dir, &node, err) < 0)
        return -1;
      reached_add (out, node, via);
    }
  return 0;
}

int
nr_sysfs_char_nodes (const struct nr_sysfs *sysfs, unsigned major, unsigned minor,
                     struct nr_reached_list *out, nr_error_t *err)
{
  cleanup_free char *link = NULL;
  cleanup_free char *dir = NULL;
  const char *group;
  int node;

  if (major == NVIDIA_MAJOR)
    return nvidia_nodes (sysfs, minor, out, err);
  out->kind = NR_REACH_PLAIN;
  link = xasprintf ("%s/dev/char/%u:%u", sysfs->root, major, minor);
  if (resolve_inside (sysfs, link, &dir, err) < 0)
    return -1;
  if (dir == NULL)
    return 0;
  group = vfio_group (sysfs, dir);
  if (group)
    return iommu_group_nodes (sysfs, group, out, err);
  if (nearest_numa_node (sysfs, dir, &node, err) < 0)
    return -1;
  reached_add (out, node, base_name (dir));
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
  if (resolve_inside (sysfs, link, &dir, err) < 0)
    return -1;
  if (dir == NULL)
    return nr_make_error (err, 0, "no network interface `%s` on this host", ifname);
  /* The interface sits under its device (PCI function, virtio device...);
     virtual interfaces (bridges, bonds, veth) reach no numa_node.  */
  if (nearest_numa_node (sysfs, dir, &node, err) < 0)
    return -1;
  reached_add (out, node, ifname);
  return 0;
}
