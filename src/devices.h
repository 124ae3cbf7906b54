/* numa-runtime: every device of the machine numa-runtime can resolve to
   NUMA nodes, for `topology` — the same resolvers create uses
   (locality_sysfs.c), driven over sysfs's classes instead of a spec.  */
#ifndef NR_DEVICES_H
#define NR_DEVICES_H

#include "cpuset.h"
#include "error.h"

#include <stddef.h>

enum nr_device_class
{
  NR_DEVICE_BLOCK, /* disks, their partitions, md and dm stacks */
  NR_DEVICE_NET,   /* NICs with a device (virtual interfaces are not listed) */
  NR_DEVICE_GPU,   /* NVIDIA GPUs, from the driver's proc files */
  NR_DEVICE_DRM,   /* DRM cards and render nodes (AMD, Intel, NVIDIA...) */
  NR_DEVICE_RDMA,  /* RDMA devices, by their uverbs character device */
  NR_DEVICE_VFIO,  /* VFIO groups and iommufd device files */
};

struct nr_device
{
  enum nr_device_class class_id;
  char *name;     /* "nvme0n1", "ens1f0", "nvidia0", "renderD128", "mlx5_0", "vfio/42" */
  char *dev;      /* "MAJ:MIN", NULL for a NIC */
  char *parent;   /* a partition's disk; NULL otherwise */
  char *detail;   /* what else identifies it ("raid1 over nvme0n1 nvme1n1", a GPU's UUID) */
  char *via;      /* how its first node was found (a PCI address, a stacking chain) */
  nr_set_t nodes; /* the nodes it is attached to; empty: none (numa_node -1) */
};

struct nr_device_list
{
  struct nr_device *items; /* by class, then name */
  size_t n;
};

/* Every device of every class under SYSFS_ROOT (and PROC_ROOT for the
   NVIDIA driver) into OUT (zeroed by the caller).  A device the
   resolvers cannot read is listed without a node, with a warning.  Fails
   only when SYSFS_ROOT cannot be opened.  */
int nr_devices_list (const char *sysfs_root, const char *proc_root, struct nr_device_list *out,
                     nr_error_t *err);

void nr_device_list_free (struct nr_device_list *list);

/* "block", "net", "gpu", "drm", "rdma", "vfio" (static).  */
const char *nr_device_class_name (enum nr_device_class class_id);

/* The value of "KEY:" in a "Key: value" text such as the NVIDIA driver's
   information file, leading and trailing blanks removed, into OUT (SIZE
   bytes, NUL-terminated, truncated).  Returns false when no line starts
   with KEY followed by ':'.  */
bool nr_device_info_field (const char *text, const char *key, char *out, size_t size);

#endif
