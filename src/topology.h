/* numa-runtime: what the host has — NUMA nodes, their CPUs, memory and
   distances — read from sysfs (or a fixture tree laid out like it).  */
#ifndef NR_TOPOLOGY_H
#define NR_TOPOLOGY_H

#include "cpuset.h"
#include "error.h"

#include <stdint.h>

/* What a node's memory is, for placement (see docs: "Memory tiers").  */
enum nr_mem_kind
{
  NR_MEM_CPU,    /* a node with CPUs: CPUs and memory go there */
  NR_MEM_TIER,   /* memory only (CXL, HBM, ...): memory may spill there */
  NR_MEM_DEVICE, /* memory of a device (coherent GPU memory): never used */
  NR_MEM_UNSURE, /* memory only, but we cannot tell whose: not used */
  NR_MEM_NONE,   /* no memory at all */
};

struct nr_node
{
  int id;
  bool has_cpu;             /* node/has_cpu lists it (or it has online CPUs) */
  int tier;                 /* N of the memory_tierN holding it; -1: none known */
  int weight;               /* weighted-interleave weight; 0: not read/none */
  enum nr_mem_kind kind;    /* set by nr_topology_classify; NR_MEM_CPU before */
  const char *kind_why;     /* why a CPU-less node is not NR_MEM_TIER (static) */
  nr_set_t cpus;            /* online CPUs of the node */
  uint64_t memory_total;    /* bytes */
  uint64_t memory_free;     /* bytes, at load time */
  uint64_t hugepages_total; /* bytes, all sizes */
  uint64_t hugepages_free;  /* bytes */
};

struct nr_topology
{
  int n_nodes;
  struct nr_node *nodes; /* ascending id */
  nr_set_t online_cpus;
  /* distance[i * n_nodes + j]: SLIT distance between nodes[i] and
     nodes[j] (10 = local); 10/20 defaults when the files are missing.  */
  int *distance;
  /* thread_siblings[cpu]: the CPUs sharing cpu's core (cpu itself
     included); NULL until nr_topology_load_siblings.  N_SIBLINGS entries.  */
  nr_set_t *thread_siblings;
  int n_siblings;
  /* Cache groups (cpu_groups.c): the CPUs sharing a last-level cache,
     cut to their node, N_LLC of them in node then CPU order; LLC_NODE[g] is
     the topo index of group g's node.  Empty when the kernel shows no
     cache shared by more than one core.  */
  int n_llc;
  nr_set_t *llc;
  int *llc_node;
  /* core_leader[cpu]: the lowest CPU of cpu's core, -1 offline;
     N_CPU_SLOTS entries (read with the groups and cached with them, so
     that nr_topology_load_siblings needs no I/O).  NULL when not read.  */
  int *core_leader;
  int n_cpu_slots;
  nr_set_t isolated;   /* devices/system/cpu/isolated and nohz_full */
  bool has_tiers;      /* the kernel lists memory tiers (memory_tiering) */
  bool has_weights;    /* weights read (nr_topology_load_weights) and present */
  bool hugepages_read; /* nr_topology_load_hugepages ran */
};

/* Read the topology under SYSFS_ROOT ("/sys" on a real host).  A kernel
   without NUMA support (no devices/system/node) is one node 0 holding every
   online CPU.  */
int nr_topology_load (const char *sysfs_root, struct nr_topology *topo, nr_error_t *err);

/* nr_topology_load through CACHE_DIR/topology-cache (topology_cache.c):
   the same result, from one file while CPUs and memory stay as they were
   (same boot id, sysfs root, online CPUs and nodes, has_cpu, has_memory
   and MemTotal under PROC_ROOT).  */
int nr_topology_load_cached (const char *sysfs_root, const char *proc_root, const char *cache_dir,
                             const char *boot_id, struct nr_topology *topo, nr_error_t *err);

/* Index of node ID in topo->nodes, or -1.  */
int nr_topology_index (const struct nr_topology *topo, int id);

/* One past the highest CPU TOPO can hold, to stop walks and counts of
   its CPU sets there instead of at the end of an 8192-bit set.  */
int nr_topology_cpu_end (const struct nr_topology *topo);

/* Union of the CPUs of the nodes in NODES.  */
void nr_topology_cpus_of (const struct nr_topology *topo, const nr_set_t *nodes, nr_set_t *cpus);

/* Distance between nodes with index I and J.  */
int nr_topology_distance (const struct nr_topology *topo, int i, int j);

/* Read each online CPU's thread_siblings_list: needed only to hand out
   whole cores, so not part of every load.  Missing files leave a CPU its
   own core.  */
void nr_topology_load_siblings (const char *sysfs_root, struct nr_topology *topo);

/* Read the cache groups, each CPU's core and the isolated CPUs
   (cpu_groups.c).  A CPU without cache files is in no group; the highest
   unified cache level shared by more than one core is the group; a group
   spanning nodes (Sub-NUMA Clustering) is cut per node.  */
void nr_cpu_groups_load (const char *sysfs_root, struct nr_topology *topo);

/* How many CPUs of cache group G are in EXCLUSIVE.  */
int nr_llc_held (const struct nr_topology *topo, int g, const nr_set_t *exclusive);

/* The dies (LIST_NAME "die_cpus_list") or clusters ("cluster_cpus_list")
   of node index I that are smaller than the node and hold more than one
   core, read from sysfs (cpu_domains.c).  Returns how many; *DOMAINS is
   the caller's to free (NULL when none, or the kernel gives no such
   file).  */
int nr_cpu_domains_read (const char *sysfs_root, const struct nr_topology *topo, int i,
                         const char *list_name, nr_set_t **domains);

/* Hugepage totals and free counts per node: only a container asking for
   hugepages (and status) needs them, so not part of every load.  */
void nr_topology_load_hugepages (const char *sysfs_root, struct nr_topology *topo);

/* The kernel's weighted-interleave weights
   (kernel/mm/mempolicy/weighted_interleave/nodeN, kernel >= 6.9) of the
   nodes in NODES; topo->has_weights says whether the kernel has them.  */
void nr_topology_load_weights (const char *sysfs_root, const nr_set_t *nodes,
                               struct nr_topology *topo);

/* Decide each CPU-less node's kind.  ALLOWED (non-NULL): the admin's list
   of memory-only nodes placement may use ([memory] tier_nodes), which
   replaces detection.  Otherwise (auto) a node with memory and no CPU is
   NR_MEM_DEVICE when node/has_generic_initiator lists it or a GPU driver
   names it (PROC_ROOT/driver/nvidia/gpus/ADDR/numa_status "Node: N"),
   NR_MEM_UNSURE when the kernel shows no memory tiers or none holds it,
   NR_MEM_TIER otherwise.  */
void nr_topology_classify (const char *sysfs_root, const char *proc_root, const nr_set_t *allowed,
                           struct nr_topology *topo);

/* Short name of KIND for status ("cpu", "tier", "device", "unsure",
   "none").  */
const char *nr_mem_kind_name (enum nr_mem_kind kind);

/* What one container needs of the topology (nr_topology_load_for).  */
struct nr_topology_needs
{
  /* The topology cache's directory and the boot id it is valid for
     (nr_topology_load_cached); CACHE_DIR NULL: read sysfs, write no
     cache.  */
  const char *cache_dir;
  const char *boot_id;
  bool whole_cores;           /* it holds CPUs exclusively: thread siblings */
  bool hugepages;             /* it asks for hugepages */
  bool weights;               /* its memory interleaves over tiers: the kernel's weights */
  const nr_set_t *tier_nodes; /* [memory] tier_nodes, or NULL: detect */
};

/* The topology a container is placed on (topology_cache.c):
   nr_topology_load (through the cache when NEEDS->cache_dir), each
   CPU-less node classified, and only what NEEDS asks for of the rest (the
   weights of the nodes with memory).  */
int nr_topology_load_for (const char *sysfs_root, const char *proc_root,
                          const struct nr_topology_needs *needs, struct nr_topology *topo,
                          nr_error_t *err);

void nr_topology_free (struct nr_topology *topo);

#endif
