/* numa-runtime: from a device number, interface or GPU to the NUMA nodes
   the kernel says it is attached to.  Internal to the locality module
   (locality.c turns what is found here into request hints).

   Everything is read under one sysfs root (and a proc root for the NVIDIA
   driver's files); every symlink is resolved and must stay under that
   root, so a hostile spec or annotation cannot make us read elsewhere.  */
#ifndef NR_LOCALITY_SYSFS_H
#define NR_LOCALITY_SYSFS_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

struct nr_sysfs
{
  char *root; /* realpath of the sysfs root, owned */
  size_t root_len;
  const char *proc_root; /* borrowed */
  const char *who;       /* the container, for warnings; borrowed, may be NULL */
};

/* One node a device reaches, and through what: the device's sysfs name, a
   stacking chain ("nvme0n1 via md0 via dm-0"), a PCI address...  */
struct nr_reached
{
  int node;
  char *via; /* owned */
};

/* How the nodes were found; decides how a hint's source is worded.  */
enum nr_reach_kind
{
  NR_REACH_PLAIN,   /* the device itself (walk up sysfs) */
  NR_REACH_STACKED, /* through lower devices: dm/md slaves, NVMe paths */
  NR_REACH_GPU,     /* an NVIDIA GPU, through the driver's proc files */
  NR_REACH_VFIO,    /* a VFIO group, through its IOMMU group's devices */
  NR_REACH_KFD,     /* an AMD GPU partition, through the kfd topology */
};

/* Distinct nodes (each node once, the first way found kept).  */
struct nr_reached_list
{
  enum nr_reach_kind kind;
  struct nr_reached *items;
  size_t n;
};

int nr_sysfs_open (struct nr_sysfs *sysfs, const char *sysfs_root, const char *proc_root,
                   nr_error_t *err);
void nr_sysfs_close (struct nr_sysfs *sysfs);
void nr_reached_free (struct nr_reached_list *list);

/* Each fills OUT (initially empty) with the nodes found: none at all is
   normal (a pseudo device, a VM without affinity, a device the kernel
   lists nowhere).  They fail only when sysfs could not be read as it
   should, which the caller reports as a warning.  */

/* Block device MAJOR:MINOR: partitions count as their disk; dm/md devices
   as the union of their slaves, recursively; multipath NVMe namespaces as
   the union of their subsystem's controllers.  */
int nr_sysfs_block_nodes (const struct nr_sysfs *sysfs, unsigned major, unsigned minor,
                          struct nr_reached_list *out, nr_error_t *err);

/* Char device MAJOR:MINOR, including VFIO groups and NVIDIA GPUs.  */
int nr_sysfs_char_nodes (const struct nr_sysfs *sysfs, unsigned major, unsigned minor,
                         struct nr_reached_list *out, nr_error_t *err);

/* Network interface IFNAME, which the caller has validated.  */
int nr_sysfs_net_nodes (const struct nr_sysfs *sysfs, const char *ifname,
                        struct nr_reached_list *out, nr_error_t *err);

/* PCI function ADDRESS (nr_pci_address_valid), e.g. from PCIDEVICE_*:
   its node, shown as VIA.  A function sysfs does not list is an error.  */
int nr_sysfs_pci_nodes (const struct nr_sysfs *sysfs, const char *address, const char *via,
                        struct nr_reached_list *out, nr_error_t *err);

/* A PCI address as sysfs and the drivers spell it: hex digits, colons and
   dots, shorter than 32 bytes, and not "." or "..".  */
bool nr_pci_address_valid (const char *name);

/* ---- shared by the locality_*.c files ----------------------------- */

struct nr_dir_list
{
  struct dirent **entries;
  int n;
};
void nr_dir_list_free (struct nr_dir_list *list);
#define cleanup_dir_list __attribute__ ((cleanup (nr_dir_list_free)))

/* Entries of PATH (without dot files) in name order, at most MAX (the
   rest dropped with a warning).  A missing directory is an empty list.  */
int nr_sysfs_list_dir (const char *path, int max, struct nr_dir_list *out, nr_error_t *err);

/* Resolve PATH (symlinks and all) into *OUT, NULL when PATH does not
   exist.  Fails when it leads outside the sysfs root.  */
int nr_sysfs_resolve (const struct nr_sysfs *sysfs, const char *path, char **out, nr_error_t *err);

/* Record that the device shown as VIA sits on NODE (its numa_node), unless
   NODE is -1 or already there.  A CPU-less NODE counts as its nearest CPU
   node; a NODE this host does not have is a warning (locality_node.c).  */
void nr_reached_add (const struct nr_sysfs *sysfs, struct nr_reached_list *list, int node,
                     const char *via);

/* ---- GPUs (locality_gpu.c) ---------------------------------------- */

/* How NVIDIA_VISIBLE_DEVICES and the driver's files name one GPU.  */
struct nr_gpu_ref
{
  bool by_uuid;
  unsigned index; /* bus order (nvidia-smi's default), when ! by_uuid */
  char uuid[64];  /* "GPU-...", when by_uuid */
};

/* /dev/nvidiaMINOR: the GPU whose driver information says Device Minor
   MINOR (the driver registers no sysfs class device).  */
int nr_gpu_nvidia_minor_nodes (const struct nr_sysfs *sysfs, unsigned minor,
                               struct nr_reached_list *out, nr_error_t *err);

/* The GPU REF names: an error when the driver lists no such GPU.  */
int nr_gpu_nvidia_ref_nodes (const struct nr_sysfs *sysfs, const struct nr_gpu_ref *ref,
                             struct nr_reached_list *out, nr_error_t *err);

/* The value after KEY (e.g. "GPU UUID:") on a line of an NVIDIA
   information file TEXT, blanks trimmed, into OUT (SIZE bytes); false
   when no line starts with KEY or the value does not fit.  */
bool nr_gpu_information_field (const char *text, const char *key, char *out, size_t size);

/* Render node MINOR (226:MINOR) of an AMD GPU partition (a CPX/DPX
   partition hangs off platform/amdgpu_xcp.N, which has no numa_node): the
   kfd topology node with that drm_render_minor names its PCI device.  */
int nr_gpu_kfd_render_nodes (const struct nr_sysfs *sysfs, unsigned minor,
                             struct nr_reached_list *out, nr_error_t *err);

/* From a kfd topology node's properties TEXT: the PCI address of the GPU
   whose render node is MINOR into ADDRESS (SIZE bytes).  False when TEXT
   is another node's, or lacks or garbles domain/location_id.  */
bool nr_gpu_kfd_address (const char *text, unsigned minor, char *address, size_t size);

#endif
