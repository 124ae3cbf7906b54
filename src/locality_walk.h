/* numa-runtime: what every locality_*.c file shares — a sysfs root that
   resolved links must not leave, directory lists, the nodes a device
   reaches — implemented in locality_walk.c, and locality_node.c for the
   node a device counts for.  */
#ifndef NR_LOCALITY_WALK_H
#define NR_LOCALITY_WALK_H

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

/* A PCI address as sysfs and the drivers spell it: hex digits, colons and
   dots, shorter than 32 bytes, and not "." or "..".  */
bool nr_pci_address_valid (const char *name);

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

/* The numa_node of DIR (canonical, inside the root) or of its nearest
   ancestor below the root, in *NODE; -1 when there is none or it says
   -1.  */
int nr_sysfs_numa_node (const struct nr_sysfs *sysfs, const char *dir, int *node, nr_error_t *err);

/* ---- which node a device counts for (locality_node.c) -------------- */

/* Record that the device shown as VIA sits on NODE (its numa_node), unless
   NODE is -1 or already there.  A CPU-less NODE counts as its nearest CPU
   node; a NODE this host does not have is a warning (locality_node.c).  */
void nr_reached_add (const struct nr_sysfs *sysfs, struct nr_reached_list *list, int node,
                     const char *via);

/* PCI function ADDRESS (nr_pci_address_valid), e.g. from PCIDEVICE_*:
   its node, shown as VIA.  A function sysfs does not list is an error.  */
int nr_sysfs_pci_nodes (const struct nr_sysfs *sysfs, const char *address, const char *via,
                        struct nr_reached_list *out, nr_error_t *err);

#endif
