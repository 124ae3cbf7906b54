/* A reference model of kubelet's CPU Manager static policy, written for
 * this benchmark from KEP-4800 (uncore cache alignment) and the published
 * behaviour of pkg/kubelet/cm/cpumanager/cpu_assignment.go
 * (takeByTopologyNUMAPacked with the packed sorting strategy): nothing of
 * kubelet's code is copied.  What it does, in order:
 *
 *  - full-pcpus-only: a request that is not a multiple of the threads per
 *    core is refused (SMTAlignmentError); too few free CPUs is refused;
 *  - whole NUMA nodes while the request needs at least one;
 *  - prefer-align-cpus-by-uncorecache: uncore caches are visited NUMA node
 *    by NUMA node, the nodes with the fewest free CPUs first (packing), and
 *    within a node the caches with the fewest free CPUs first; a wholly
 *    free cache is taken while the request needs at least a cache's worth,
 *    else the remainder comes from the first visited cache with enough
 *    free whole cores;
 *  - then whole cores, then single threads, in the same packed order.
 *
 * Simplifications: the Topology Manager is left out (policy none, as the
 * CPU Manager alone packs); an uncore cache is our cache group, cut per
 * NUMA node (kubelet's cadvisor ids would keep an SNC socket's L3 whole);
 * CPUs without a group count as one cache per node.  */
#include <config.h>

#include "kubelet_model.h"
#include "util.h"

#include <stdlib.h>

void
kubelet_model_init (struct kubelet_model *m, const struct nr_topology *topo,
                    const nr_set_t *reserved)
{
  m->topo = topo;
  nr_set_difference (&m->free_cpus, &topo->online_cpus, reserved);
  m->cpus_per_core = 1;
  for (int c = 0; c < topo->n_siblings; c++)
    if (nr_set_count (&topo->thread_siblings[c]) > m->cpus_per_core)
      m->cpus_per_core = nr_set_count (&topo->thread_siblings[c]);
}

/* The free CPUs of CPU's core, when the whole core is free; else empty.  */
static void
free_core (const struct kubelet_model *m, int cpu, nr_set_t *core)
{
  *core = m->topo->thread_siblings[cpu];
  if (! nr_set_is_subset (core, &m->free_cpus))
    nr_set_clear (core);
}

/* Take up to NEED CPUs of CANDIDATES into OUT: whole free cores only when
   WHOLE, lowest first.  Returns how many.  */
static int
take (struct kubelet_model *m, const nr_set_t *candidates, int need, bool whole, nr_set_t *out)
{
  int got = 0;

  for (int c = nr_set_next (candidates, 0); c >= 0 && got < need;
       c = nr_set_next (candidates, c + 1))
    {
      nr_set_t core;

      if (! nr_set_has (&m->free_cpus, c))
        continue;
      if (! whole)
        {
          nr_set_add (out, c);
          nr_set_remove (&m->free_cpus, c);
          got++;
          continue;
        }
      free_core (m, c, &core);
      if (nr_set_is_empty (&core) || nr_set_count (&core) > need - got)
        continue;
      nr_set_union (out, &core);
      nr_set_subtract (&m->free_cpus, &core);
      got += nr_set_count (&core);
    }
  return got;
}

static int
free_in (const struct kubelet_model *m, const nr_set_t *cpus)
{
  nr_set_t f = *cpus;
  nr_set_intersect (&f, &m->free_cpus);
  return nr_set_count (&f);
}

/* The caches (groups) in packed order: nodes with the fewest free CPUs
   first, then within a node the caches with the fewest free CPUs.  Fills
   ORDER with set pointers into GROUPS; returns how many.  */
struct cache
{
  nr_set_t cpus;
  int node_free, cache_free, node;
};

static int
by_packing (const void *pa, const void *pb)
{
  const struct cache *a = pa, *b = pb;
  if (a->node != b->node)
    return a->node_free != b->node_free ? a->node_free - b->node_free : a->node - b->node;
  return a->cache_free - b->cache_free;
}

static int
sorted_caches (const struct kubelet_model *m, struct cache **out)
{
  const struct nr_topology *topo = m->topo;
  struct cache *caches = xmalloc ((size_t) (topo->n_llc + topo->n_nodes) * sizeof (*caches));
  int n = 0;

  for (int i = 0; i < topo->n_nodes; i++)
    {
      nr_set_t rest = topo->nodes[i].cpus;
      int node_free = free_in (m, &topo->nodes[i].cpus);
      for (int g = 0; g < topo->n_llc; g++)
        if (topo->llc_node[g] == i)
          {
            caches[n++] = (struct cache){ topo->llc[g], node_free, free_in (m, &topo->llc[g]), i };
            nr_set_subtract (&rest, &topo->llc[g]);
          }
      if (! nr_set_is_empty (&rest))
        caches[n++] = (struct cache){ rest, node_free, free_in (m, &rest), i };
    }
  /* Stable enough: ties keep the id order qsort was given.  */
  qsort (caches, (size_t) n, sizeof (*caches), by_packing);
  *out = caches;
  return n;
}

bool
kubelet_model_allocate (struct kubelet_model *m, int count, nr_set_t *out)
{
  struct cache *caches = NULL;
  int n, got = 0;

  nr_set_clear (out);
  if (count % m->cpus_per_core != 0 || nr_set_count (&m->free_cpus) < count)
    return false;
  /* Whole NUMA nodes.  */
  for (int i = 0; i < m->topo->n_nodes && got < count; i++)
    {
      int size = nr_set_count (&m->topo->nodes[i].cpus);
      if (size > 0 && count - got >= size && free_in (m, &m->topo->nodes[i].cpus) == size)
        got += take (m, &m->topo->nodes[i].cpus, size, false, out);
    }
  n = sorted_caches (m, &caches);
  for (int k = 0; k < n && got < count; k++)
    {
      int size = nr_set_count (&caches[k].cpus);
      int free_here = free_in (m, &caches[k].cpus);

      if (free_here == size && count - got >= size)
        got += take (m, &caches[k].cpus, size, true, out);
      else if (free_here >= count - got)
        {
          /* Partial: only when its free whole cores hold the rest.  */
          nr_set_t trial = m->free_cpus, picked;
          int whole;

          nr_set_clear (&picked);
          whole = take (m, &caches[k].cpus, count - got, true, &picked);
          if (whole == count - got)
            {
              nr_set_union (out, &picked);
              got += whole;
            }
          else
            m->free_cpus = trial;
        }
    }
  /* Whole cores, then threads, in packed order.  */
  for (int k = 0; k < n && got < count; k++)
    got += take (m, &caches[k].cpus, count - got, true, out);
  for (int k = 0; k < n && got < count; k++)
    got += take (m, &caches[k].cpus, count - got, false, out);
  free (caches);
  return got == count;
}

void
kubelet_model_release (struct kubelet_model *m, const nr_set_t *cpus)
{
  nr_set_union (&m->free_cpus, cpus);
}
