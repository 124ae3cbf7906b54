/* numa-runtime: devices a container is handed other than by
   linux.devices — by environment (NVIDIA_VISIBLE_DEVICES, the SR-IOV
   device plugin's PCIDEVICE_*), by the NVIDIA volume-mounts strategy —
   and containers whose device list says nothing (privileged ones).  Pure
   parsing, no I/O: locality.c resolves what is found here.  */
#ifndef NR_LOCALITY_ENV_H
#define NR_LOCALITY_ENV_H

#include "error.h"
#include "json.h"
#include "locality_sysfs.h"

#include <stdbool.h>
#include <stddef.h>

/* Explicit limits: a value longer, or with more entries, is refused
   whole (a warning; the container gets no hint from it).  */
#define NR_ENV_DEVICES_VALUE_MAX 4096
#define NR_ENV_DEVICES_MAX 64
/* Where the NVIDIA volume-mounts strategy points each GPU: a mount whose
   destination is this directory and the GPU's index or UUID.  */
#define NR_NVIDIA_DEVICES_DIR "/var/run/nvidia-container-devices/"

/* One device an environment variable names.  */
struct nr_env_device
{
  bool is_gpu;
  struct nr_gpu_ref gpu; /* is_gpu */
  char pci[32];          /* ! is_gpu: a PCI address, lower case */
};

struct nr_env_devices
{
  struct nr_env_device items[NR_ENV_DEVICES_MAX];
  size_t n;
};

/* The devices environment entry ENTRY ("NAME=VALUE") names, into OUT
   (emptied first).  An entry that names no devices (another variable,
   NVIDIA_VISIBLE_DEVICES=all/none/void/empty) gives none.  Fails on a
   value that is malformed or over the limits, with OUT empty.  */
int nr_env_devices_parse (const char *entry, struct nr_env_devices *out, nr_error_t *err);

/* One NVIDIA device id as NVIDIA_VISIBLE_DEVICES and the volume-mounts
   strategy give it: an index, "GPU-<uuid>", a MIG device as "GPU:MIG"
   indices or "MIG-GPU-<uuid>/GI/CI" (both its parent GPU).  Fails for
   anything else, including the MIG-<uuid> form, which only NVML can tie
   to its GPU.  */
int nr_nvidia_id_parse (const char *id, struct nr_gpu_ref *out, nr_error_t *err);

/* Does SPEC (the config.json root) run a privileged container — every
   capability in the bounding set and no masked paths — whose
   linux.devices is every device of the host, so says nothing about
   where it should run?  */
bool nr_spec_privileged (yajl_val spec);

#endif
