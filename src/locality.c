/* numa-runtime: device and storage locality.
 *
 * Turns what config.json gives the container — linux.devices, bind
 * mounts, the NIC annotation — into hints: "node N, because of X".  The
 * sysfs side (device number -> nodes) is in locality_sysfs.c; this file
 * decides what to look at, and how each hint's source is worded for the
 * runtime log and `status`.  */
#include <config.h>

#include "annotations.h"
#include "locality.h"
#include "locality_env.h"
#include "locality_names.h"
#include "locality_sysfs.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* More paths than this in one annotation is a mistake, not a pod.  */
#define MAX_VOLUMES 64

/* Devices every container gets, which belong to no node.  Skipped
   without touching sysfs (their walk would find nothing anyway).  */
static const struct
{
  unsigned major, minor;
} pseudo_devices[] = {
  { 1, 3 },    { 1, 5 },    /* null, zero */
  { 1, 7 },    { 1, 8 },    /* full, random */
  { 1, 9 },    { 5, 0 },    /* urandom, tty */
  { 5, 1 },    { 5, 2 },    /* console, ptmx */
  { 10, 229 }, { 10, 200 }, /* fuse, net/tun */
  { 10, 232 },              /* kvm */
};

/* Kubelet volumes holding a few small files (configuration, credentials,
   tokens): no I/O worth following, and hints from them would pull every
   pod towards the node of the kubelet's own disk.  */
static const char *const housekeeping_volumes[] = {
  "/volumes/kubernetes.io~configmap/",
  "/volumes/kubernetes.io~secret/",
  "/volumes/kubernetes.io~projected/",
  "/volumes/kubernetes.io~downward-api/",
};

/* State of one nr_locality_hints () call.  */
struct locality_walk
{
  const struct nr_config *config;
  struct nr_request *req;
  struct nr_sysfs sysfs; /* opened on first use: most containers need none */
  bool sysfs_failed;
};

static void
add_hint_once (struct nr_request *req, int node, const char *source)
{
  for (size_t i = 0; i < req->n_hints; i++)
    if (req->hints[i].node == node && strcmp (req->hints[i].source, source) == 0)
      return;
  nr_request_add_hint (req, node, source);
}

/* A source we could not follow: the container just gets no hint from it.  */
static void
warn_source (const struct nr_request *req, const char *what, nr_error_t *err)
{
  nr_warn ("container %s: %s: %s (no locality hint from it)", req->id ? req->id : "?", what,
           (*err)->msg);
  nr_error_release (err);
}

static bool
sysfs_ready (struct locality_walk *w)
{
  nr_error_t err = NULL;

  if (w->sysfs.root != NULL)
    return true;
  if (w->sysfs_failed)
    return false;
  if (nr_sysfs_open (&w->sysfs, w->config->sysfs_root, w->config->proc_root, &err) < 0)
    {
      w->sysfs_failed = true;
      warn_source (w->req, "device locality", &err);
      return false;
    }
  w->sysfs.who = w->req->id;
  return true;
}

/* ---- devices ------------------------------------------------------- */

static bool
is_pseudo_device (unsigned major, unsigned minor)
{
  for (size_t i = 0; i < NR_N_ELEMENTS (pseudo_devices); i++)
    if (pseudo_devices[i].major == major && pseudo_devices[i].minor == minor)
      return true;
  return false;
}

static char *
device_source (enum nr_reach_kind kind, const char *path, unsigned major, unsigned minor,
               const char *via)
{
  switch (kind)
    {
    case NR_REACH_GPU:
      return xasprintf ("gpu %s (%s)", path, via);
    case NR_REACH_VFIO:
      return xasprintf ("vfio %s (%s)", path, via);
    case NR_REACH_KFD:
      return xasprintf ("gpu partition %s (%s)", path, via);
    case NR_REACH_STACKED:
      return xasprintf ("device %s (%u:%u, %s)", path, major, minor, via);
    default:
      return xasprintf ("device %s (%u:%u)", path, major, minor);
    }
}

/* Hints for device MAJOR:MINOR, seen in the container as PATH.  */
static void
device_number_hints (struct locality_walk *w, const char *path, bool block, unsigned major,
                     unsigned minor)
{
  struct nr_reached_list reached = { 0 };
  nr_error_t err = NULL;
  int ret;

  if ((! block && is_pseudo_device (major, minor)) || ! sysfs_ready (w))
    return;
  ret = block ? nr_sysfs_block_nodes (&w->sysfs, major, minor, &reached, &err)
              : nr_sysfs_char_nodes (&w->sysfs, major, minor, &reached, &err);
  if (ret < 0)
    {
      cleanup_free char *what = xasprintf ("device %s (%u:%u)", path, major, minor);
      warn_source (w->req, what, &err);
    }
  for (size_t i = 0; i < reached.n; i++)
    {
      cleanup_free char *source =
          device_source (reached.kind, path, major, minor, reached.items[i].via);
      add_hint_once (w->req, reached.items[i].node, source);
    }
  nr_reached_free (&reached);
}

static bool
device_number (yajl_val v, unsigned *out)
{
  if (v == NULL || ! YAJL_IS_INTEGER (v) || YAJL_GET_INTEGER (v) < 0
      || YAJL_GET_INTEGER (v) > (long long) UINT32_MAX)
    return false;
  *out = (unsigned) YAJL_GET_INTEGER (v);
  return true;
}

/* The device number of PATH on the host, for an entry of linux.devices
   without major/minor.  Returns false when there is no device there.  */
static bool
stat_device (struct locality_walk *w, const char *path, bool *block, unsigned *major,
             unsigned *minor)
{
  struct stat st;

  if (path[0] != '/')
    return false;
  if (stat (path, &st) < 0)
    {
      nr_error_t err = NULL;
      cleanup_free char *what = xasprintf ("device %s", path);
      nr_make_error (&err, errno, "stat `%s`", path);
      warn_source (w->req, what, &err);
      return false;
    }
  if (! S_ISCHR (st.st_mode) && ! S_ISBLK (st.st_mode))
    return false;
  *block = S_ISBLK (st.st_mode);
  *major = major (st.st_rdev);
  *minor = minor (st.st_rdev);
  return true;
}

/* One entry of linux.devices.  Its `path` is where the device appears in
   the container; the host device is the one major/minor name, so the path
   is stat ()ed only when they are missing.  */
static void
device_entry_hints (struct locality_walk *w, yajl_val device)
{
  const char *type = nr_json_get_string (device, "type");
  const char *path = nr_json_get_string (device, "path");
  yajl_val major_value = nr_json_get (device, "major");
  yajl_val minor_value = nr_json_get (device, "minor");
  unsigned major, minor;
  bool block;

  if (type == NULL || path == NULL)
    return; /* the runtime refuses such an entry */
  if (strcmp (type, "b") == 0)
    block = true;
  else if (strcmp (type, "c") == 0 || strcmp (type, "u") == 0)
    block = false;
  else
    return; /* "p": a FIFO has no hardware behind it */

  if (major_value == NULL || minor_value == NULL)
    {
      if (! stat_device (w, path, &block, &major, &minor))
        return;
    }
  else if (! device_number (major_value, &major) || ! device_number (minor_value, &minor))
    {
      nr_error_t err = NULL;
      cleanup_free char *what = xasprintf ("device %s", path);
      nr_make_error (&err, 0, "major/minor are not device numbers");
      warn_source (w->req, what, &err);
      return;
    }
  device_number_hints (w, path, block, major, minor);
}

/* ---- devices named elsewhere (parsed in locality_env.c) ------------ */

/* The hints of DEVICE, named by WHAT (a variable or a mount).  */
static void
env_device_hints (struct locality_walk *w, const char *what, const struct nr_env_device *device)
{
  struct nr_reached_list reached = { 0 };
  cleanup_free char *shown = NULL;
  nr_error_t err = NULL;
  int ret;

  if (! sysfs_ready (w))
    return;
  if (device->is_gpu && device->gpu.by_uuid)
    shown = xasprintf ("gpu %s", device->gpu.uuid);
  else if (device->is_gpu)
    shown = xasprintf ("gpu %u", device->gpu.index);
  else
    shown = xasprintf ("pci %s", device->pci);
  ret = device->is_gpu ? nr_gpu_nvidia_ref_nodes (&w->sysfs, &device->gpu, &reached, &err)
                       : nr_sysfs_pci_nodes (&w->sysfs, device->pci, what, &reached, &err);
  if (ret < 0)
    {
      cleanup_free char *named = xasprintf ("%s (%s)", shown, what);
      warn_source (w->req, named, &err);
    }
  for (size_t i = 0; i < reached.n; i++)
    {
      cleanup_free char *source = device->is_gpu
                                      ? xasprintf ("%s (%s, %s)", shown, what, reached.items[i].via)
                                      : xasprintf ("%s (%s)", shown, reached.items[i].via);
      add_hint_once (w->req, reached.items[i].node, source);
    }
  nr_reached_free (&reached);
}

/* process.env: NVIDIA_VISIBLE_DEVICES, PCIDEVICE_*.  A value that does not
   parse gives no hint at all (it may be the pod's, not a plugin's).  */
static void
env_hints (struct locality_walk *w, yajl_val env)
{
  struct nr_env_devices devices;

  if (env == NULL || ! YAJL_IS_ARRAY (env))
    return;
  for (size_t i = 0; i < env->u.array.len; i++)
    {
      const char *entry = YAJL_GET_STRING (env->u.array.values[i]);
      cleanup_free char *name = NULL;
      nr_error_t err = NULL;

      if (entry == NULL)
        continue;
      name = xstrndup (entry, strcspn (entry, "="));
      if (nr_env_devices_parse (entry, &devices, &err) < 0)
        {
          cleanup_free char *shown = nr_shown (name, NR_LOCALITY_SHOWN_MAX);
          cleanup_free char *what = xasprintf ("environment %s", shown);
          warn_source (w->req, what, &err);
        }
      for (size_t d = 0; d < devices.n; d++)
        env_device_hints (w, name, &devices.items[d]);
    }
}

/* The NVIDIA volume-mounts strategy: the GPU is named by the mount's
   DESTINATION, NR_NVIDIA_DEVICES_DIR<index or UUID>.  */
static void
nvidia_mount_hints (struct locality_walk *w, const char *destination)
{
  struct nr_env_device device = { .is_gpu = true };
  nr_error_t err = NULL;

  if (nr_nvidia_id_parse (destination + sizeof (NR_NVIDIA_DEVICES_DIR) - 1, &device.gpu, &err) < 0)
    {
      cleanup_free char *shown = nr_shown (destination, NR_LOCALITY_SHOWN_MAX);
      cleanup_free char *what = xasprintf ("mount %s", shown);
      warn_source (w->req, what, &err);
      return;
    }
  env_device_hints (w, "volume-mounts", &device);
}

/* ---- volumes ------------------------------------------------------- */

static int
volume_hints (const struct nr_sysfs *sysfs, struct nr_request *req, const char *what,
              unsigned major, unsigned minor, nr_error_t *err)
{
  struct nr_reached_list reached = { 0 };

  if (nr_sysfs_block_nodes (sysfs, major, minor, &reached, err) < 0)
    {
      nr_reached_free (&reached);
      return -1;
    }
  for (size_t i = 0; i < reached.n; i++)
    {
      cleanup_free char *source = xasprintf ("volume %s (%s)", what, reached.items[i].via);
      add_hint_once (req, reached.items[i].node, source);
    }
  nr_reached_free (&reached);
  return 0;
}

int
nr_locality_volume_hints (const struct nr_config *config, const char *what, unsigned major,
                          unsigned minor, struct nr_request *req, nr_error_t *err)
{
  struct nr_sysfs sysfs;
  int ret;

  if (nr_sysfs_open (&sysfs, config->sysfs_root, config->proc_root, err) < 0)
    return -1;
  ret = volume_hints (&sysfs, req, what, major, minor, err);
  nr_sysfs_close (&sysfs);
  return ret;
}

static bool
is_bind_mount (yajl_val mount)
{
  const char *type = nr_json_get_string (mount, "type");
  yajl_val options = nr_json_get (mount, "options");

  if (type && strcmp (type, "bind") == 0)
    return true;
  if (options == NULL || ! YAJL_IS_ARRAY (options))
    return false;
  for (size_t i = 0; i < options->u.array.len; i++)
    {
      const char *option = YAJL_GET_STRING (options->u.array.values[i]);
      if (option && (strcmp (option, "bind") == 0 || strcmp (option, "rbind") == 0))
        return true;
    }
  return false;
}

static bool
is_housekeeping_volume (const char *source)
{
  for (size_t i = 0; i < NR_N_ELEMENTS (housekeeping_volumes); i++)
    if (strstr (source, housekeeping_volumes[i]))
      return true;
  return false;
}

/* The nodes of host path SOURCE, shown as WHAT: a device node counts as
   that device, a directory as the block device holding it.  */
static void
host_path_hints (struct locality_walk *w, const char *source, const char *what)
{
  nr_error_t err = NULL;
  struct stat st;

  if (stat (source, &st) < 0)
    {
      cleanup_free char *shown = xasprintf ("volume %s", what);
      nr_make_error (&err, errno, "stat `%s`", source);
      warn_source (w->req, shown, &err);
      return;
    }
  if (S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode))
    {
      device_number_hints (w, what, S_ISBLK (st.st_mode), major (st.st_rdev), minor (st.st_rdev));
      return;
    }
  /* Major 0: an anonymous device — tmpfs, proc, overlay, NFS, FUSE —
     backed by no block device.  */
  if (! S_ISDIR (st.st_mode) || major (st.st_dev) == 0 || ! sysfs_ready (w))
    return;
  if (volume_hints (&w->sysfs, w->req, what, major (st.st_dev), minor (st.st_dev), &err) < 0)
    {
      cleanup_free char *shown =
          xasprintf ("volume %s (%u:%u)", what, major (st.st_dev), minor (st.st_dev));
      warn_source (w->req, shown, &err);
    }
}

/* One entry of mounts.  Only bind mounts bring host storage in, and only
   directories count: the files engines bind in (/etc/hosts, resolv.conf,
   the termination log) see no I/O, and hints from them would pull every
   container towards the node of the engine's own disk.  A bind-mounted
   device node counts as that device.  */
static void
mount_hints (struct locality_walk *w, yajl_val mount)
{
  const char *source = nr_json_get_string (mount, "source");
  const char *destination = nr_json_get_string (mount, "destination");

  if (destination
      && strncmp (destination, NR_NVIDIA_DEVICES_DIR, sizeof (NR_NVIDIA_DEVICES_DIR) - 1) == 0)
    {
      nvidia_mount_hints (w, destination);
      return;
    }
  if (source == NULL || source[0] != '/' || ! is_bind_mount (mount)
      || is_housekeeping_volume (source))
    return;
  host_path_hints (w, source, destination ? destination : source);
}

/* The host paths named by NR_VOLUMES_ANNOTATION ("/mnt/nvme0,/data"): the
   storage a pod's containers will bind-mount, stated on the pod so that
   its sandbox, created before any container, is placed next to it.  Each
   must be absolute, printable, without commas; at most MAX_VOLUMES.  */
static int
volume_annotation_hints (struct locality_walk *w, yajl_val annotations, nr_error_t *err)
{
  const char *value = nr_json_get_string (annotations, NR_VOLUMES_ANNOTATION);
  cleanup_free char *copy = NULL;
  char *paths[MAX_VOLUMES];
  size_t n_paths = 0;
  char *next, *save = NULL;

  if (value == NULL)
    return 0;
  if (! nr_annotation_honoured (w->config, "volumes"))
    {
      nr_debug ("container %s: annotation %s ignored ([annotations] settings)", w->req->id,
                NR_VOLUMES_ANNOTATION);
      return 0;
    }
  copy = xstrdup (value);
  /* Check every path before following any, as for nics.  */
  for (next = strtok_r (copy, ",", &save); next; next = strtok_r (NULL, ",", &save))
    {
      char *path = next + strspn (next, " \t");
      char *end = path + strlen (path);

      while (end > path && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
      if (*path == '\0')
        continue;
      for (char *p = path; *p; p++)
        if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f)
          return nr_make_error (err, 0, "annotation %s: a path holds a control or non-ASCII byte",
                                NR_VOLUMES_ANNOTATION);
      if (path[0] != '/')
        {
          cleanup_free char *shown = nr_shown (path, NR_LOCALITY_SHOWN_MAX);
          return nr_make_error (err, 0, "annotation %s: `%s` is not an absolute path",
                                NR_VOLUMES_ANNOTATION, shown);
        }
      if (n_paths == MAX_VOLUMES)
        return nr_make_error (err, 0, "annotation %s: more than %d paths", NR_VOLUMES_ANNOTATION,
                              MAX_VOLUMES);
      paths[n_paths++] = path;
    }
  for (size_t i = 0; i < n_paths; i++)
    host_path_hints (w, paths[i], paths[i]);
  return 0;
}

/* ---- network interfaces -------------------------------------------- */

static int
nic_hints (struct locality_walk *w, yajl_val annotations, nr_error_t *err)
{
  const char *value = nr_json_get_string (annotations, NR_NICS_ANNOTATION);
  cleanup_free char *copy = NULL;
  char *names[NR_LOCALITY_MAX_NICS];
  size_t n_names;

  if (value == NULL)
    return 0;
  if (! nr_annotation_honoured (w->config, "nics"))
    {
      nr_debug ("container %s: annotation %s ignored ([annotations] settings)", w->req->id,
                NR_NICS_ANNOTATION);
      return 0;
    }
  copy = xstrdup (value);
  /* Check every name before following any: a malformed annotation adds
     nothing, whatever the caller then decides.  */
  if (nr_locality_split_nics (copy, names, &n_names, err) < 0)
    return -1;
  for (size_t i = 0; i < n_names && sysfs_ready (w); i++)
    {
      struct nr_reached_list reached = { 0 };
      nr_error_t nic_err = NULL;
      cleanup_free char *source = xasprintf ("nic %s", names[i]);

      if (nr_sysfs_net_nodes (&w->sysfs, names[i], &reached, &nic_err) < 0)
        warn_source (w->req, source, &nic_err);
      for (size_t j = 0; j < reached.n; j++)
        add_hint_once (w->req, reached.items[j].node, source);
      nr_reached_free (&reached);
    }
  return 0;
}

/* ---- the whole spec ------------------------------------------------ */

int
nr_locality_hints (yajl_val spec, const struct nr_config *config, struct nr_request *req,
                   nr_error_t *err)
{
  static const char *const devices_path[] = { "linux", "devices", NULL };
  static const char *const env_path[] = { "process", "env", NULL };
  struct locality_walk w = { .config = config, .req = req };
  yajl_val devices = nr_json_get_path (spec, devices_path);
  yajl_val mounts = nr_json_get (spec, "mounts");
  int ret;

  /* A privileged container is handed every device of the host: its list
     says nothing about where it belongs, and must not refuse it.  */
  if (devices && nr_spec_privileged (spec))
    {
      nr_debug ("container %s: privileged: linux.devices gives no locality hint", req->id);
      devices = NULL;
    }
  if (devices && YAJL_IS_ARRAY (devices))
    for (size_t i = 0; i < devices->u.array.len; i++)
      if (YAJL_IS_OBJECT (devices->u.array.values[i]))
        device_entry_hints (&w, devices->u.array.values[i]);
  if (mounts && YAJL_IS_ARRAY (mounts))
    for (size_t i = 0; i < mounts->u.array.len; i++)
      if (YAJL_IS_OBJECT (mounts->u.array.values[i]))
        mount_hints (&w, mounts->u.array.values[i]);
  env_hints (&w, nr_json_get_path (spec, env_path));
  ret = nic_hints (&w, nr_json_get (spec, "annotations"), err);
  if (ret == 0)
    ret = volume_annotation_hints (&w, nr_json_get (spec, "annotations"), err);
  nr_sysfs_close (&w.sysfs);
  return ret;
}
