/* numa-runtime: the machine's devices, class by class, each resolved to
 * its nodes by the resolvers create uses on a container's devices
 * (locality_sysfs.c).  One table row per device class: where its devices
 * are listed and how one is described.  What the resolvers conclude is
 * what `topology` shows, so a device listed under node 1 is a device
 * whose use in a container hints node 1.
 *
 * Not listed: devices no container asks for by number and nothing
 * resolves (pseudo devices, loop and ram disks, virtual interfaces).  */
#include <config.h>

#include "devices.h"
#include "locality.h"
#include "locality_sysfs.h"
#include "util.h"

#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NVIDIA_MAJOR 195
/* The NVIDIA driver's information file is a dozen short lines.  */
#define NVIDIA_INFO_MAX 4096

struct walk
{
  const struct nr_sysfs *sysfs;
  struct nr_device_list *out;
};

/* Describe the device DIR (a class entry, or an NVIDIA GPU's proc
   directory) called NAME; add it to W->out unless it is not one we list.  */
typedef void (*describe_fn) (const struct walk *w, const char *dir, const char *name);

static void describe_block (const struct walk *w, const char *dir, const char *name);
static void describe_net (const struct walk *w, const char *dir, const char *name);
static void describe_nvidia (const struct walk *w, const char *dir, const char *name);
static void describe_drm (const struct walk *w, const char *dir, const char *name);
static void describe_rdma (const struct walk *w, const char *dir, const char *name);
static void describe_vfio (const struct walk *w, const char *dir, const char *name);

static const struct device_class
{
  enum nr_device_class id;
  const char *name;
  bool under_proc; /* LISTED is under the proc root, not sysfs */
  const char *listed;
  describe_fn describe;
} device_classes[] = {
  { NR_DEVICE_BLOCK, "block", false, "class/block", describe_block },
  { NR_DEVICE_NET, "net", false, "class/net", describe_net },
  { NR_DEVICE_GPU, "gpu", true, "driver/nvidia/gpus", describe_nvidia },
  { NR_DEVICE_DRM, "drm", false, "class/drm", describe_drm },
  { NR_DEVICE_RDMA, "rdma", false, "class/infiniband_verbs", describe_rdma },
  { NR_DEVICE_RDMA, "rdma", false, "class/infiniband_mad", describe_rdma },
  { NR_DEVICE_VFIO, "vfio", false, "class/vfio", describe_vfio },
  { NR_DEVICE_VFIO, "vfio", false, "class/vfio-dev", describe_vfio },
};

const char *
nr_device_class_name (enum nr_device_class class_id)
{
  for (size_t i = 0; i < sizeof (device_classes) / sizeof (device_classes[0]); i++)
    if (device_classes[i].id == class_id)
      return device_classes[i].name;
  return "?";
}

bool
nr_device_info_field (const char *text, const char *key, char *out, size_t size)
{
  size_t key_len = strlen (key);

  for (const char *line = text; line != NULL && *line != '\0';)
    {
      const char *next = strchr (line, '\n');
      if (strncmp (line, key, key_len) == 0 && line[key_len] == ':')
        {
          const char *value = line + key_len + 1;
          size_t len;

          value += strspn (value, " \t");
          len = strcspn (value, "\n");
          while (len > 0 && strchr (" \t\r", value[len - 1]) != NULL)
            len--;
          if (size == 0)
            return true;
          if (len >= size)
            len = size - 1;
          memcpy (out, value, len);
          out[len] = '\0';
          return true;
        }
      line = next ? next + 1 : NULL;
    }
  return false;
}

static bool
exists (const char *dir, const char *file)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  return access (path, F_OK) == 0;
}

/* The contents of DIR/FILE (one line), or NULL.  */
static char *
read_attr (const char *dir, const char *file)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  char buf[256];

  if (read_small_file (path, buf, sizeof (buf)) < 0)
    return NULL;
  return xstrdup (buf);
}

/* The last component of what DIR/LINK points to, or NULL.  */
static char *
link_target_name (const char *dir, const char *link)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, link);
  cleanup_free char *real = realpath (path, NULL);

  return real ? xstrdup (basename (real)) : NULL;
}

static bool
read_dev (const char *dir, unsigned *major, unsigned *minor)
{
  cleanup_free char *dev = read_attr (dir, "dev");
  char extra;

  return dev != NULL && sscanf (dev, "%u:%u%c", major, minor, &extra) == 2;
}

static int
not_dot (const struct dirent *de)
{
  return de->d_name[0] != '.';
}

/* The names in DIR, space-separated, or NULL when there are none.  */
static char *
dir_names (const char *dir)
{
  struct dirent **entries = NULL;
  int n = scandir (dir, &entries, not_dot, alphasort);
  char *out = NULL;

  for (int i = 0; i < n; i++)
    {
      char *next = xasprintf ("%s%s%s", out ? out : "", out ? " " : "", entries[i]->d_name);
      free (out);
      out = next;
      free (entries[i]);
    }
  free (entries);
  return out;
}

static struct nr_device *
add_device (const struct walk *w, enum nr_device_class class_id, const char *name, unsigned major,
            unsigned minor, bool has_dev)
{
  struct nr_device_list *l = w->out;
  struct nr_device *d;

  l->items = xrealloc (l->items, (l->n + 1) * sizeof (*l->items));
  d = &l->items[l->n++];
  memset (d, 0, sizeof (*d));
  d->class_id = class_id;
  d->name = xstrdup (name);
  d->dev = has_dev ? xasprintf ("%u:%u", major, minor) : NULL;
  nr_set_clear (&d->nodes);
  return d;
}

/* Record what a resolver found (or the warning it gave) in D.  */
static void
take_reached (struct nr_device *d, int ret, struct nr_reached_list *reached, nr_error_t *err)
{
  if (ret < 0)
    {
      nr_warn ("device %s: %s", d->name, (*err)->msg);
      nr_error_release (err);
    }
  for (size_t i = 0; i < reached->n; i++)
    {
      nr_set_add (&d->nodes, reached->items[i].node);
      if (d->via == NULL && reached->items[i].via)
        d->via = xstrdup (reached->items[i].via);
    }
  nr_reached_free (reached);
}

static void
resolve_char (const struct walk *w, struct nr_device *d, unsigned major, unsigned minor)
{
  struct nr_reached_list reached = { 0 };
  nr_error_t err = NULL;
  int ret = nr_sysfs_char_nodes (w->sysfs, major, minor, &reached, &err);

  take_reached (d, ret, &reached, &err);
}

/* "md raid1 over nvme0n1 nvme1n1", "dm cryptdata over md0", or NULL for
   a plain disk.  SLAVES: its lower devices, or NULL.  */
static char *
block_detail (const char *dir, const char *slaves)
{
  cleanup_free char *level = read_attr (dir, "md/level");
  cleanup_free char *dm_name = read_attr (dir, "dm/name");
  cleanup_free char *what = level     ? xasprintf ("md %s", level)
                            : dm_name ? xasprintf ("dm %s", dm_name)
                                      : NULL;

  if (what == NULL && slaves == NULL)
    return NULL;
  return xasprintf ("%s%s%s%s", what ? what : "", what && slaves ? " " : "", slaves ? "over " : "",
                    slaves ? slaves : "");
}

static void
describe_block (const struct walk *w, const char *dir, const char *name)
{
  cleanup_free char *real = realpath (dir, NULL);
  cleanup_free char *disk_dir = NULL;
  cleanup_free char *slaves_dir = NULL;
  cleanup_free char *slaves = NULL;
  bool partition = exists (dir, "partition");
  struct nr_reached_list reached = { 0 };
  nr_error_t err = NULL;
  struct nr_device *d;
  unsigned major, minor;
  int ret;

  if (real == NULL || ! read_dev (dir, &major, &minor))
    return;
  disk_dir = partition ? xstrdup (dirname (real)) : xstrdup (real);
  slaves_dir = xasprintf ("%s/slaves", disk_dir);
  slaves = dir_names (slaves_dir);
  /* Loop, ram and zram disks: virtual, without lower devices.  (A
     multipath NVMe namespace is virtual too, under its subsystem.)  */
  if (strstr (disk_dir, "/devices/virtual/block/") != NULL && slaves == NULL)
    return;
  d = add_device (w, NR_DEVICE_BLOCK, name, major, minor, true);
  if (partition)
    d->parent = xstrdup (basename (disk_dir));
  else
    d->detail = block_detail (dir, slaves);
  ret = nr_sysfs_block_nodes (w->sysfs, major, minor, &reached, &err);
  take_reached (d, ret, &reached, &err);
}

static void
describe_net (const struct walk *w, const char *dir, const char *name)
{
  cleanup_free char *device = xasprintf ("%s/device", dir);
  cleanup_free char *address = link_target_name (dir, "device");
  cleanup_free char *vfs = NULL;
  cleanup_free char *total = NULL;
  cleanup_free char *pf = NULL;
  struct nr_reached_list reached = { 0 };
  nr_error_t err = NULL;
  struct nr_device *d;
  int ret;

  /* Virtual interfaces (lo, veth, bridges) have no device: no node.  */
  if (address == NULL || ! nr_locality_ifname_valid (name))
    return;
  vfs = read_attr (device, "sriov_numvfs");
  total = read_attr (device, "sriov_totalvfs");
  pf = link_target_name (device, "physfn");
  d = add_device (w, NR_DEVICE_NET, name, 0, 0, false);
  if (vfs)
    d->detail = xasprintf ("%s, SR-IOV PF with %s VFs (of %s)", address, vfs, total ? total : "?");
  else if (pf)
    d->detail = xasprintf ("%s, SR-IOV VF of %s", address, pf);
  else
    d->detail = xstrdup (address);
  ret = nr_sysfs_net_nodes (w->sysfs, name, &reached, &err);
  take_reached (d, ret, &reached, &err);
}

static void
describe_nvidia (const struct walk *w, const char *dir, const char *name)
{
  cleanup_free char *path = xasprintf ("%s/information", dir);
  cleanup_free char *gpu_name = NULL;
  char information[NVIDIA_INFO_MAX], minor_text[32], uuid[128], model[128];
  struct nr_device *d;
  char *end;
  unsigned long minor;

  if (read_small_file (path, information, sizeof (information)) < 0
      || ! nr_device_info_field (information, "Device Minor", minor_text, sizeof (minor_text)))
    return;
  minor = strtoul (minor_text, &end, 10);
  if (end == minor_text || *end != '\0' || minor > 255)
    return;
  gpu_name = xasprintf ("nvidia%lu", minor);
  d = add_device (w, NR_DEVICE_GPU, gpu_name, NVIDIA_MAJOR, (unsigned) minor, true);
  if (! nr_device_info_field (information, "GPU UUID", uuid, sizeof (uuid)))
    snprintf (uuid, sizeof (uuid), "no UUID");
  if (! nr_device_info_field (information, "Model", model, sizeof (model)))
    snprintf (model, sizeof (model), "NVIDIA GPU");
  d->detail = xasprintf ("%s, %s, %s", model, name, uuid);
  resolve_char (w, d, NVIDIA_MAJOR, (unsigned) minor);
}

static const char *
pci_vendor_name (const char *vendor)
{
  static const struct
  {
    const char *id, *name;
  } vendors[] = { { "0x10de", "NVIDIA" },   { "0x1002", "AMD" },    { "0x8086", "Intel" },
                  { "0x15b3", "Mellanox" }, { "0x1af4", "virtio" }, { "0x1d0f", "Amazon" } };

  for (size_t i = 0; vendor && i < sizeof (vendors) / sizeof (vendors[0]); i++)
    if (strcmp (vendor, vendors[i].id) == 0)
      return vendors[i].name;
  return vendor ? vendor : "unknown vendor";
}

/* A char device whose `device` link leads to a PCI function: "AMD
   0000:c1:00.0".  */
static char *
char_detail (const char *dir)
{
  cleanup_free char *device = xasprintf ("%s/device", dir);
  cleanup_free char *vendor = read_attr (device, "vendor");
  cleanup_free char *address = link_target_name (dir, "device");

  if (address == NULL)
    return NULL;
  return xasprintf ("%s %s", pci_vendor_name (vendor), address);
}

static void
describe_drm (const struct walk *w, const char *dir, const char *name)
{
  struct nr_device *d;
  unsigned major, minor;

  /* Connectors (card0-DP-1) and the version file have no dev.  */
  if (! read_dev (dir, &major, &minor))
    return;
  d = add_device (w, NR_DEVICE_DRM, name, major, minor, true);
  d->detail = char_detail (dir);
  resolve_char (w, d, major, minor);
}

static void
describe_rdma (const struct walk *w, const char *dir, const char *name)
{
  cleanup_free char *ibdev = read_attr (dir, "ibdev");
  struct nr_device *d;
  unsigned major, minor;

  if (! read_dev (dir, &major, &minor))
    return;
  d = add_device (w, NR_DEVICE_RDMA, ibdev ? ibdev : name, major, minor, true);
  d->detail = xasprintf ("/dev/infiniband/%s", name);
  resolve_char (w, d, major, minor);
}

static void
describe_vfio (const struct walk *w, const char *dir, const char *name)
{
  cleanup_free char *group_members = NULL;
  cleanup_free char *shown = NULL;
  struct nr_device *d;
  unsigned major, minor;

  if (! read_dev (dir, &major, &minor))
    return;
  if (strncmp (name, "vfio", 4) == 0)
    shown = xasprintf ("vfio/devices/%s", name);
  else
    {
      cleanup_free char *members =
          xasprintf ("%s/kernel/iommu_groups/%s/devices", w->sysfs->root, name);
      shown = xasprintf ("vfio/%s", name);
      group_members = dir_names (members);
    }
  d = add_device (w, NR_DEVICE_VFIO, shown, major, minor, true);
  if (group_members)
    d->detail = xasprintf ("IOMMU group %s: %s", name, group_members);
  resolve_char (w, d, major, minor);
}

static void
walk_class (const struct walk *w, const struct device_class *c)
{
  cleanup_free char *listed =
      xasprintf ("%s/%s", c->under_proc ? w->sysfs->proc_root : w->sysfs->root, c->listed);
  struct dirent **entries = NULL;
  int n = scandir (listed, &entries, not_dot, alphasort);

  for (int i = 0; i < n; i++)
    {
      cleanup_free char *dir = xasprintf ("%s/%s", listed, entries[i]->d_name);
      c->describe (w, dir, entries[i]->d_name);
      free (entries[i]);
    }
  free (entries);
}

int
nr_devices_list (const char *sysfs_root, const char *proc_root, struct nr_device_list *out,
                 nr_error_t *err)
{
  struct nr_sysfs sysfs;
  struct walk w = { &sysfs, out };

  if (nr_sysfs_open (&sysfs, sysfs_root, proc_root, err) < 0)
    return -1;
  for (size_t i = 0; i < sizeof (device_classes) / sizeof (device_classes[0]); i++)
    walk_class (&w, &device_classes[i]);
  nr_sysfs_close (&sysfs);
  return 0;
}

void
nr_device_list_free (struct nr_device_list *list)
{
  for (size_t i = 0; i < list->n; i++)
    {
      struct nr_device *d = &list->items[i];
      free (d->name);
      free (d->dev);
      free (d->parent);
      free (d->detail);
      free (d->via);
    }
  free (list->items);
  list->items = NULL;
  list->n = 0;
}
