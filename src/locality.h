/* numa-runtime: device and storage locality — which NUMA nodes the
   container's devices, volumes and network interfaces are attached to,
   as hints for placement.  */
#ifndef NR_LOCALITY_H
#define NR_LOCALITY_H

#include "conf.h"
#include "error.h"
#include "json.h"
#include "request.h"

#include <stdbool.h>

/* The annotation naming the host interfaces a container uses, since
   network interfaces appear nowhere in config.json:
   "numa-runtime.io/nics": "ens1f0,ens2f1".  */
#ifndef NR_ANNOTATION_PREFIX /* also in annotations.h */
#define NR_ANNOTATION_PREFIX "numa-runtime.io/"
#endif
#define NR_NICS_ANNOTATION NR_ANNOTATION_PREFIX "nics"
#define NR_VOLUMES_ANNOTATION NR_ANNOTATION_PREFIX "volumes"

/* Add to REQ->hints the nodes of everything in SPEC (the config.json
   document) that sits close to a node: linux.devices, the host sources of
   bind mounts, the interfaces named by NR_NICS_ANNOTATION and the host
   paths named by NR_VOLUMES_ANNOTATION.  Reads only
   under CONFIG->sysfs_root and CONFIG->proc_root, plus stat () of host
   paths.

   A source that cannot be resolved (unreadable sysfs, a missing bind
   source or interface) gives no hint and a warning in the runtime log.
   Fails only when the request itself is malformed — today a NIC
   annotation with an invalid interface name — after adding the hints of
   everything else; the caller decides whether that refuses the
   container.  */
int nr_locality_hints (yajl_val spec, const struct nr_config *config, struct nr_request *req,
                       nr_error_t *err);

/* Add the hints of a volume at WHAT (a mount destination) whose host
   source lives on block device MAJOR:MINOR (its st_dev): partitions count
   as their disk, dm/md devices as the disks under them.  Separate from
   the stat () so tests can drive it with fixture device numbers.  Fails
   when sysfs cannot be read.  */
int nr_locality_volume_hints (const struct nr_config *config, const char *what, unsigned major,
                              unsigned minor, struct nr_request *req, nr_error_t *err);

/* Is NAME acceptable as a network interface name: 1-15 of
   [A-Za-z0-9_.:-], not "." or ".."?  Nothing else may become a path.  */
bool nr_locality_ifname_valid (const char *name);

#endif
