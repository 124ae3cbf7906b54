/* numa-runtime: what kubelet's static CPU and Memory Managers already gave
 * the node's other pods, read from their checkpoints in kubelet's root
 * directory ([kubelet] root, /var/lib/kubelet by default):
 *
 *   cpu_manager_state     {"policyName": "static", "defaultCpuSet": "2-7",
 *                          "entries": {POD_UID: {CONTAINER: "0-1"}},
 *                          "checksum": N}
 *                         (v1, before kubelet 1.18: entries is
 *                          {CONTAINER_ID: "0-1"})
 *   memory_manager_state  {"policyName": "Static",
 *                          "machineState": {"0": {"memoryMap": {"memory":
 *                            {"total": ..., "reserved": N, ...},
 *                            "hugepages-2Mi": {...}}, ...}},
 *                          "entries": ..., "checksum": N}
 *
 * The CPUs in cpu_manager_state's entries are held by one container each:
 * placement never hands them out.  What machineState says is reserved on a
 * node is taken there.  The checksum is kubelet's (an FNV hash of Go's
 * printed form of its structs) and is not verified: a checkpoint is read
 * for what it holds, each value checked for itself.  */
#ifndef NR_KUBELET_STATE_H
#define NR_KUBELET_STATE_H

#include "cpuset.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NR_KUBELET_CPU_STATE "cpu_manager_state"
#define NR_KUBELET_MEMORY_STATE "memory_manager_state"

/* A checkpoint larger than this is not kubelet's (110 pods' worth is a
   few tens of KiB).  */
#define NR_KUBELET_STATE_MAX (1024 * 1024)

/* What the Memory Manager reserved on one node.  */
struct nr_kubelet_reservation
{
  int node;
  int64_t memory;    /* bytes of "memory" reserved */
  int64_t hugepages; /* bytes of every "hugepages-*" reserved */
};

struct nr_kubelet_state
{
  bool cpu_static;                         /* cpu_manager_state's policyName is "static" */
  nr_set_t exclusive_cpus;                 /* CPUs its entries give to single containers */
  bool memory_static;                      /* memory_manager_state's policyName is "Static" */
  struct nr_kubelet_reservation *reserved; /* per node with a reservation, owned */
  size_t n_reserved;
};

/* Parse a cpu_manager_state of LEN bytes (TEXT NUL-terminated) into OUT's
   cpu_static and exclusive_cpus.  Returns 0, or -1 with *ERR filled and
   OUT's CPU fields cleared.  No I/O.  */
int nr_kubelet_parse_cpu_state (const char *text, size_t len, struct nr_kubelet_state *out,
                                nr_error_t *err);

/* Parse a memory_manager_state into OUT's memory_static and reserved
   (replaced).  Returns 0, or -1 with *ERR filled and them cleared.  */
int nr_kubelet_parse_memory_state (const char *text, size_t len, struct nr_kubelet_state *out,
                                   nr_error_t *err);

/* Read both checkpoints under ROOT (NULL: none) into OUT.  Never fails: a
   checkpoint that is missing (while ROOT exists), unreadable or garbled is
   a warning and counts as nothing taken.  A ROOT that does not exist is a
   node without kubelet: nothing is said.  Release OUT with
   nr_kubelet_state_free.  */
void nr_kubelet_state_read (const char *root, struct nr_kubelet_state *out);

/* Bytes reserved on NODE: memory into *MEMORY, hugepages into *HUGEPAGES
   (0 when none).  */
void nr_kubelet_reserved_on (const struct nr_kubelet_state *state, int node, int64_t *memory,
                             int64_t *hugepages);

void nr_kubelet_state_free (struct nr_kubelet_state *state);

#endif
