/* numa-runtime: what the host has — NUMA nodes, their CPUs, memory and
   distances — read from sysfs (or a fixture tree laid out like it).  */
#ifndef NR_TOPOLOGY_H
#define NR_TOPOLOGY_H

#include "cpuset.h"
#include "error.h"

#include <stdint.h>

struct nr_node
{
  int id;
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
};

/* Read the topology under SYSFS_ROOT ("/sys" on a real host).  A kernel
   without NUMA support (no devices/system/node) is one node 0 holding every
   online CPU.  */
int nr_topology_load (const char *sysfs_root, struct nr_topology *topo, nr_error_t *err);

/* Index of node ID in topo->nodes, or -1.  */
int nr_topology_index (const struct nr_topology *topo, int id);

/* Union of the CPUs of the nodes in NODES.  */
void nr_topology_cpus_of (const struct nr_topology *topo, const nr_set_t *nodes, nr_set_t *cpus);

/* Distance between nodes with index I and J.  */
int nr_topology_distance (const struct nr_topology *topo, int i, int j);

/* Read each online CPU's thread_siblings_list: needed only to hand out
   whole cores, so not part of every load.  Missing files leave a CPU its
   own core.  */
void nr_topology_load_siblings (const char *sysfs_root, struct nr_topology *topo);

void nr_topology_free (struct nr_topology *topo);

#endif
