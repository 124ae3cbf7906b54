/* numa-runtime: what kubelet's device manager already allocated to a pod,
   read from its checkpoint file
   (<kubelet root>/device-plugins/kubelet_internal_checkpoint).
 *
 * The file is kubelet's (pkg/kubelet/cm/devicemanager/checkpoint):
 *   {"Data":{"PodDeviceEntries":[{"PodUID":"…","ContainerName":"…",
 *            "ResourceName":"…","DeviceIDs":{"<numa node>":["id",…]},
 *            "AllocResp":"<base64>"}],
 *            "RegisteredDevices":{"<resource>":["id",…]}},
 *    "Checksum":N, "BootID":"…"}
 * kubelet writes it after the device plugin's Allocate and before the
 * pod's sandbox is created, so a sandbox can be placed where its pod's
 * devices are.  A device without topology is keyed -1.  The Checksum is
 * not verified: it is FNV-32a over Go's spew dump of the struct, which
 * only Go reproduces; instead every field read is checked for type and
 * range, and a BootID (kubelet >= 1.36) other than ours marks the file as
 * stale.  */
#ifndef NR_KUBELET_CHECKPOINT_H
#define NR_KUBELET_CHECKPOINT_H

#include "conf.h"
#include "error.h"
#include "json.h"
#include "request.h"

#include <stddef.h>

/* Largest checkpoint read: kubelet's own for a node running a thousand
   pods with a dozen devices each stays under 2 MiB.  */
#define NR_CHECKPOINT_MAX_SIZE (16 * 1024 * 1024)
/* Most devices taken from it for one pod.  */
#define NR_CHECKPOINT_MAX_DEVICES 1024

/* One device of the pod and the node kubelet saw it on.  */
struct nr_pod_device
{
  int node;
  char *resource; /* e.g. "nvidia.com/gpu", owned */
  char *id;       /* the device plugin's id, owned */
};

struct nr_pod_devices
{
  struct nr_pod_device *v;
  size_t n;
};

/* The devices checkpoint TEXT (LEN bytes, NUL-terminated) gives pod
   POD_UID: those of container CONTAINER, or of every container when
   CONTAINER is NULL.  Devices without topology (-1) are left out.  BOOT_ID
   (may be NULL) is the current boot's: a checkpoint from another boot
   gives nothing.  Fails on anything that is not kubelet's format; OUT is
   then empty.  The caller frees OUT with nr_pod_devices_free.  */
int nr_checkpoint_pod_devices (const char *text, size_t len, const char *pod_uid,
                               const char *container, const char *boot_id,
                               struct nr_pod_devices *out, nr_error_t *err);

void nr_pod_devices_free (struct nr_pod_devices *devices);

/* The pod UID and container name engines write into SPEC's annotations
   (containerd's io.kubernetes.cri.sandbox-uid, CRI-O's
   io.kubernetes.pod.uid), NULL when absent; borrowed from SPEC.  */
const char *nr_spec_pod_uid (yajl_val spec);
const char *nr_spec_container_name (yajl_val spec);

/* Add to REQ a locality hint for each device kubelet's checkpoint (under
   CONFIG->kubelet_root) gives its pod: the whole pod's for a sandbox, the
   container's own for a container that brings no hint of its own.  Never
   fails: a missing file is silent, an unreadable or malformed one a
   warning, and REQ is left as it was.  */
void nr_kubelet_add_hints (yajl_val spec, const struct nr_config *config, const char *boot_id,
                           struct nr_request *req);

#endif
