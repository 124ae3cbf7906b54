/* numa-runtime: from a device number, interface or GPU to the NUMA nodes
   the kernel says it is attached to.  Internal to the locality module
   (locality.c turns what is found here into request hints).

   Everything is read under one sysfs root (and a proc root for the NVIDIA
   driver's files); every symlink is resolved and must stay under that
   root, so a hostile spec or annotation cannot make us read elsewhere.  */
#ifndef NR_LOCALITY_SYSFS_H
#define NR_LOCALITY_SYSFS_H

#include "error.h"
#include "locality_gpu.h"
#include "locality_walk.h"

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

#endif
