/* A reference model of kubelet's CPU Manager static policy with the
   options full-pcpus-only and prefer-align-cpus-by-uncorecache, for
   `make bench-placement` to compare numa-runtime's placement against.  See
   kubelet_model.c for what it follows and where it simplifies.  */
#ifndef NR_KUBELET_MODEL_H
#define NR_KUBELET_MODEL_H

#include "topology.h"

struct kubelet_model
{
  const struct nr_topology *topo; /* groups and thread_siblings loaded */
  nr_set_t free_cpus;             /* assignable: not reserved, not held */
  int cpus_per_core;
};

/* A model of TOPO with RESERVED kept out (kubelet's reservedSystemCPUs).  */
void kubelet_model_init (struct kubelet_model *m, const struct nr_topology *topo,
                         const nr_set_t *reserved);

/* Allocate COUNT exclusive CPUs into *OUT.  False when kubelet would
   refuse the pod (too few free CPUs, or COUNT not a multiple of the
   threads of a core under full-pcpus-only).  */
bool kubelet_model_allocate (struct kubelet_model *m, int count, nr_set_t *out);

/* Give CPUS back.  */
void kubelet_model_release (struct kubelet_model *m, const nr_set_t *cpus);

#endif
