/* numa-runtime: the topology view inside a container ([placement]
   topology_view = container, annotation numa-runtime.io/topology-view):
   its /sys/devices/system/node lists only the nodes it was given, each
   node's CPUs cut to its cpuset, so that software binding itself to what
   sysfs lists (libnuma, vLLM, torchrun) binds to CPUs it may use.
 *
 * The tree is generated under the ledger's directory,
 * <dir>/topology-views/<id>/node, bind-mounted read-only over the
 * container's /sys/devices/system/node; each listed node's meminfo and
 * numastat are bind mounts of the kernel's live files on top of it.  The
 * tree goes with `delete`, `gc` (no ledger entry left) and a create that
 * fails.  */
#ifndef NR_TOPOLOGY_VIEW_H
#define NR_TOPOLOGY_VIEW_H

#include "conf.h"
#include "error.h"
#include "json.h"
#include "ledger.h"
#include "request.h"
#include "topology.h"

#include <stddef.h>

/* Where the per-container trees live, under the ledger's directory.  */
#define NR_VIEW_DIR_NAME "topology-views"

/* Where the tree appears inside the container.  */
#define NR_VIEW_MOUNT_POINT "/sys/devices/system/node"

/* What the host's node directory says beyond the topology.  */
struct nr_view_host
{
  nr_set_t has_memory;
  nr_set_t has_normal_memory;
  int cpu_bits; /* the kernel's nr_cpu_ids: the width of every cpumap */
};

/* One generated file: PATH relative to the tree ("online",
   "node1/cpulist"); TEXT as the kernel prints it.  Live files (meminfo,
   numastat) are not generated: they are listed in the tree's LIVE.  */
struct nr_view_file
{
  char *path;
  char *text;
};

struct nr_view_tree
{
  size_t n_files;
  struct nr_view_file *files;
  nr_set_t nodes; /* the nodes listed */
};

/* The tree for a container on NODES (those absent from TOPO dropped)
   holding CPUS, pure: no I/O.  Returns 0, or -1 with *ERR set when no
   node of NODES is in TOPO.  TREE is the caller's (nr_view_tree_free).  */
int nr_view_render (const struct nr_topology *topo, const struct nr_view_host *host,
                    const nr_set_t *nodes, const nr_set_t *cpus, struct nr_view_tree *tree,
                    nr_error_t *err);

void nr_view_tree_free (struct nr_view_tree *tree);

/* CPUS as the kernel prints a cpumap of BITS bits: 32-bit hex words, most
   significant first, comma separated, the first word only as wide as its
   bits need.  Owned by the caller.  */
char *nr_view_cpumap (const nr_set_t *cpus, int bits);

/* Does the container of REQ get the view (its annotation, else the
   config)?  */
bool nr_view_wanted (const struct nr_request *req, const struct nr_config *config);

/* Read has_memory, has_normal_memory and the cpumap width (cpu/possible)
   under SYSFS_ROOT; what is missing falls back to TOPO.  */
void nr_view_host_read (const char *sysfs_root, const struct nr_topology *topo,
                        struct nr_view_host *host);

/* Write the tree of container ID (TOPO, and the cpuset and mems SPEC
   carries once placed) and add its mounts to SPEC.  A spec without a /sys
   mount is left alone (a warning: there is nothing to show the view in).
   On failure nothing is left on disk.  Returns 1 when the view was added,
   0 when not, -1 with *ERR set.  */
int nr_view_add (yajl_val spec, const struct nr_config *config, const char *id,
                 const struct nr_topology *topo, nr_error_t *err);

/* Rewrite the tree of container ID, if it has one, for its new NODES
   (mems) and CPUS after its pod moved: the files it lists change in
   place, the directories of nodes it lost go, those of nodes it gained
   come with a copy of their live files taken now (the live mounts are
   made at create only).  Returns 1 when rewritten, 0 when there is no
   tree, -1 with *ERR set.  */
int nr_view_refresh (const struct nr_config *config, const char *id, const struct nr_topology *topo,
                     const nr_set_t *nodes, const nr_set_t *cpus, nr_error_t *err);

/* Remove the tree of container ID, if any (a debug line when it was
   there).  */
void nr_view_remove (const struct nr_config *config, const char *id);

/* Remove every tree whose container has no entry in LEDGER (open for
   writing: its lock keeps creates out).  Returns how many went.  */
size_t nr_view_sweep (const struct nr_config *config, struct nr_ledger *ledger);

#endif
