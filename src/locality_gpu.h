/* numa-runtime: GPUs the driver registers no class device for, found
   through the NVIDIA driver's proc files and the AMD kfd topology
   (locality_gpu.c).  */
#ifndef NR_LOCALITY_GPU_H
#define NR_LOCALITY_GPU_H

#include "error.h"
#include "locality_walk.h"

#include <stdbool.h>
#include <stddef.h>

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
