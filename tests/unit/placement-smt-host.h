/* The machine test-placement*.c place on: nodes of consecutive CPUs in
   SMT pairs, and the ledger charges placing leaves on it.  */
#ifndef NR_PLACEMENT_SMT_HOST_H
#define NR_PLACEMENT_SMT_HOST_H

#include "placement-fixtures.h"

/* A host: NODES nodes of CPUS CPUs each (consecutive numbers, SMT pairs
   2k/2k+1 as siblings), MEM_GIB each, 21 between nodes (10 local).  */
static inline void
host_init (struct host *h, int nodes, int cpus, int mem_gib)
{
  int n_cpus = nodes * cpus;

  host_alloc (h, nodes);
  h->topo.n_siblings = n_cpus;
  h->topo.thread_siblings = xmalloc0 ((size_t) n_cpus * sizeof (nr_set_t));
  for (int i = 0; i < nodes; i++)
    {
      h->topo.nodes[i].memory_total = (uint64_t) mem_gib * GiB;
      for (int c = 0; c < cpus; c++)
        nr_set_add (&h->topo.nodes[i].cpus, i * cpus + c);
      for (int j = 0; j < nodes; j++)
        h->topo.distance[i * nodes + j] = i == j ? 10 : 21;
    }
  for (int c = 0; c < n_cpus; c++)
    {
      nr_set_add (&h->topo.online_cpus, c);
      nr_set_add (&h->topo.thread_siblings[c], c);
      nr_set_add (&h->topo.thread_siblings[c], c ^ 1);
    }
}

/* Record placement P in the host's usage as the ledger does.  */
static inline void
charge (struct host *h, const struct nr_placement *p)
{
  struct nr_ledger_entry e = { .nodes = p->nodes,
                               .exclusive = p->exclusive,
                               .load = p->load,
                               .millicpus = p->millicpus,
                               .memory = p->memory,
                               .hugepages = p->hugepages };
  nr_usage_account (h->usage, (size_t) h->topo.n_nodes, &e, +1);
}

/* Node index I of H holds the CPUs of HELD exclusively (a ledger entry
   charged a CPU's load for each).  */
static inline void
hold (struct host *h, int i, const char *held)
{
  h->usage[i].exclusive = set_of (held);
  h->usage[i].load = (int64_t) nr_set_count (&h->usage[i].exclusive) * 1000;
}

#endif
