/* numa-runtime: GPUs that sysfs alone does not place.
 *
 * NVIDIA: the driver registers no class device for /dev/nvidiaN; it
 * lists each GPU as <proc>/driver/nvidia/gpus/<PCI address>/information,
 * whose "Device Minor:" and "GPU UUID:" lines tie the minor, the UUID and
 * the bus-order index (NVIDIA_VISIBLE_DEVICES=1) to a PCI function.
 *
 * AMD: a GPU split into partitions (MI300 CPX/DPX) gives each partition
 * its own render node under a platform device, devices/platform/
 * amdgpu_xcp.N, far from the PCI function.  The kfd topology lists one
 * node per partition with its drm_render_minor and the PCI domain and
 * location_id (bus << 8 | devfn) of the GPU it is part of.
 *
 * Both sets of files come from drivers, not from the core kernel, so each
 * is read with a size cap, and one that does not parse is skipped.  */
#include <config.h>

#include "locality_gpu.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 195:254 is nvidia-modeset and 195:255 nvidiactl: control nodes that
   belong to no GPU.  */
#define NVIDIA_FIRST_CONTROL_MINOR 254
/* More GPUs (or kfd nodes) than this on one host is not a host.  */
#define MAX_GPUS 256
/* The driver's information file is ~500 bytes; kfd properties ~1.5 KiB.  */
#define INFORMATION_MAX 4096
#define KFD_PROPERTIES_MAX 8192

bool
nr_gpu_information_field (const char *text, const char *key, char *out, size_t size)
{
  size_t key_len = strlen (key);

  for (const char *line = text; line && *line;
       line = strchr (line, '\n'), line = line ? line + 1 : NULL)
    {
      const char *value, *end;

      if (strncmp (line, key, key_len) != 0)
        continue;
      value = line + key_len + strspn (line + key_len, " \t");
      end = value + strcspn (value, "\n");
      while (end > value && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
      if ((size_t) (end - value) >= size)
        return false;
      memcpy (out, value, (size_t) (end - value));
      out[end - value] = '\0';
      return true;
    }
  return false;
}

/* What to look for: the GPU REF names, or (REF NULL) /dev/nvidiaMINOR.  */
struct gpu_match
{
  const struct nr_gpu_ref *ref; /* NULL: match by minor */
  unsigned minor;
};

/* Does the GPU whose information file is TEXT, at bus-order position
   INDEX, match WANT?  */
static bool
gpu_matches (const struct gpu_match *want, const char *text, unsigned index)
{
  char value[80];

  if (want->ref == NULL)
    {
      char *end;
      unsigned long minor;

      if (! nr_gpu_information_field (text, "Device Minor:", value, sizeof (value)))
        return false;
      errno = 0;
      minor = strtoul (value, &end, 10);
      return errno == 0 && end != value && *end == '\0' && minor == want->minor;
    }
  if (! want->ref->by_uuid)
    return index == want->ref->index;
  return nr_gpu_information_field (text, "GPU UUID:", value, sizeof (value))
         && strcasecmp (value, want->ref->uuid) == 0;
}

/* The nodes of the GPU WANT names, VIA_PREFIX shown before its address;
 *FOUND tells whether the driver lists it.  */
static int
nvidia_find (const struct nr_sysfs *sysfs, const struct gpu_match *want,
             struct nr_reached_list *out, bool *found, nr_error_t *err)
{
  cleanup_free char *gpus_dir = xasprintf ("%s/driver/nvidia/gpus", sysfs->proc_root);
  cleanup_dir_list struct nr_dir_list gpus = { 0 };
  unsigned index = 0;

  *found = false;
  out->kind = NR_REACH_GPU;
  /* No driver loaded here (or no proc): nothing to learn.  The entries
     are PCI addresses, so name order is bus order.  */
  if (nr_sysfs_list_dir (gpus_dir, MAX_GPUS, &gpus, err) < 0)
    return -1;
  for (int i = 0; i < gpus.n; i++)
    {
      const char *address = gpus.entries[i]->d_name;
      cleanup_free char *path = NULL;
      char information[INFORMATION_MAX];

      if (! nr_pci_address_valid (address))
        continue;
      path = xasprintf ("%s/%s/information", gpus_dir, address);
      /* A GPU being unbound can vanish under us: skip it, but it still
         holds its place in the bus order.  */
      if (read_small_file (path, information, sizeof (information)) == 0
          && gpu_matches (want, information, index))
        {
          *found = true;
          return nr_sysfs_pci_nodes (sysfs, address, address, out, err);
        }
      index++;
    }
  return 0;
}

int
nr_gpu_nvidia_minor_nodes (const struct nr_sysfs *sysfs, unsigned minor,
                           struct nr_reached_list *out, nr_error_t *err)
{
  struct gpu_match want = { .minor = minor };
  bool found;

  out->kind = NR_REACH_GPU;
  if (minor >= NVIDIA_FIRST_CONTROL_MINOR)
    return 0;
  return nvidia_find (sysfs, &want, out, &found, err);
}

int
nr_gpu_nvidia_ref_nodes (const struct nr_sysfs *sysfs, const struct nr_gpu_ref *ref,
                         struct nr_reached_list *out, nr_error_t *err)
{
  struct gpu_match want = { .ref = ref };
  bool found;

  if (nvidia_find (sysfs, &want, out, &found, err) < 0)
    return -1;
  if (! found && ref->by_uuid)
    return nr_make_error (err, 0, "the NVIDIA driver lists no GPU %s", ref->uuid);
  if (! found)
    return nr_make_error (err, 0, "the NVIDIA driver lists no GPU %u", ref->index);
  return 0;
}

/* ---- AMD partitions ------------------------------------------------- */

/* The number after "KEY " on a line of kfd properties TEXT.  */
static bool
kfd_property (const char *text, const char *key, uint64_t *out)
{
  char value[32];
  cleanup_free char *with_blank = xasprintf ("%s ", key);
  char *end;

  if (! nr_gpu_information_field (text, with_blank, value, sizeof (value))
      || ! isdigit ((unsigned char) value[0]))
    return false;
  errno = 0;
  *out = strtoull (value, &end, 10);
  return errno == 0 && *end == '\0';
}

bool
nr_gpu_kfd_address (const char *text, unsigned minor, char *address, size_t size)
{
  uint64_t render_minor, domain, location;
  int len;

  if (! kfd_property (text, "drm_render_minor", &render_minor) || render_minor != minor
      || ! kfd_property (text, "domain", &domain) || ! kfd_property (text, "location_id", &location)
      || domain > UINT32_MAX || location > 0xffff)
    return false;
  len = snprintf (address, size, "%04x:%02x:%02x.%x", (unsigned) domain, (unsigned) (location >> 8),
                  (unsigned) ((location >> 3) & 0x1f), (unsigned) (location & 7));
  return len > 0 && (size_t) len < size;
}

int
nr_gpu_kfd_render_nodes (const struct nr_sysfs *sysfs, unsigned minor, struct nr_reached_list *out,
                         nr_error_t *err)
{
  cleanup_free char *link = xasprintf ("%s/class/kfd/kfd/topology/nodes", sysfs->root);
  cleanup_free char *nodes_dir = NULL;
  cleanup_dir_list struct nr_dir_list nodes = { 0 };

  out->kind = NR_REACH_KFD;
  if (nr_sysfs_resolve (sysfs, link, &nodes_dir, err) < 0)
    return -1;
  if (nodes_dir == NULL)
    return 0; /* no amdkfd: nothing to learn */
  if (nr_sysfs_list_dir (nodes_dir, MAX_GPUS, &nodes, err) < 0)
    return -1;
  for (int i = 0; i < nodes.n; i++)
    {
      cleanup_free char *path = xasprintf ("%s/%s/properties", nodes_dir, nodes.entries[i]->d_name);
      cleanup_free char *properties = xmalloc (KFD_PROPERTIES_MAX);
      cleanup_free char *via = NULL;
      char address[32];

      if (read_small_file (path, properties, KFD_PROPERTIES_MAX) < 0
          || ! nr_gpu_kfd_address (properties, minor, address, sizeof (address)))
        continue;
      via = xasprintf ("kfd node %s, %s", nodes.entries[i]->d_name, address);
      return nr_sysfs_pci_nodes (sysfs, address, via, out, err);
    }
  return 0;
}
