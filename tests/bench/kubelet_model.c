/* A reference model of kubelet's CPU Manager static policy, written for
 * this benchmark from KEP-4800 (uncore cache alignment) and the published
 * behaviour of pkg/kubelet/cm/cpumanager/cpu_assignment.go
 * (takeByTopologyNUMAPacked, packed sorting strategy, as of kubelet 1.36):
 * nothing of kubelet's code is copied.  What it does, in order:
 *
 *  - full-pcpus-only: a request that is not a multiple of the threads per
 *    core is refused (SMTAlignmentError); too few free CPUs is refused;
 *  - whole NUMA nodes, in id order, while the request needs at least a
 *    node's worth (takeFullFirstLevel);
 *  - prefer-align-cpus-by-uncorecache (takeUncoreCache): the uncore caches
 *    with free CPUs are visited node by node, the nodes with the fewest free
 *    CPUs first, within a node the caches with the fewest free CPUs first.
 *    At each one: while the request still needs at least CPUsPerUncore
 *    (all CPUs / all caches, one machine-wide average) CPUs, every wholly
 *    free cache no larger than what is still needed is taken, in cache id
 *    order over the whole machine (takeFullUncore); then the visited cache
 *    is taken for the rest only when the first cores of it with a free CPU,
 *    as many as the rest needs, hold exactly the rest (takePartialUncore,
 *    first fit).  A rest that fits in no single cache is not aligned;
 *  - takeFullCores: whole free cores, nodes with the fewest free CPUs
 *    first, cores in id order within a node (not cache by cache: this is
 *    where a request that missed the cache step spreads over caches);
 *  - takeRemainingCPUs: single threads in the same node order.
 *
 * Simplifications, each one in kubelet's favour or neutral here:
 *  - the Topology Manager is left out (policy none), as the CPU Manager
 *    alone packs;
 *  - the second level (whole sockets) is skipped: no request of the
 *    traces is a socket large;
 *  - an uncore cache is our cache group, cut per NUMA node (kubelet's
 *    cadvisor ids would keep an SNC socket's L3 whole, which makes its
 *    caches larger, not its alignment better); CPUs in no group take no
 *    part in the cache step;
 *  - full-pcpus-only's check of the free physical cores against the
 *    request (availablePhysicalCPUs) is left out: with one reserved thread
 *    the difference is one core;
 *  - core and cache ids are our CPU order (the lowest CPU of a core, the
 *    group index), which is what cadvisor reports on the fixtures.  */
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

/* A cache group and its order key: its node's free CPUs, its own.  */
struct cache
{
  int group, node_free, cache_free, node;
};

static int
by_packing (const void *pa, const void *pb)
{
  const struct cache *a = pa, *b = pb;
  if (a->node != b->node)
    return a->node_free != b->node_free ? a->node_free - b->node_free : a->node - b->node;
  if (a->cache_free != b->cache_free)
    return a->cache_free - b->cache_free;
  return a->group - b->group;
}

/* The groups with a free CPU in packed order (sortAvailableUncoreCaches).
   Returns how many; *OUT is the caller's.  */
static int
sorted_caches (const struct kubelet_model *m, struct cache **out)
{
  const struct nr_topology *topo = m->topo;
  struct cache *caches = xmalloc ((size_t) (topo->n_llc + 1) * sizeof (*caches));
  int n = 0;

  for (int g = 0; g < topo->n_llc; g++)
    {
      int node = topo->llc_node[g], cache_free = free_in (m, &topo->llc[g]);
      if (cache_free > 0)
        caches[n++] = (struct cache){ g, free_in (m, &topo->nodes[node].cpus), cache_free, node };
    }
  qsort (caches, (size_t) n, sizeof (*caches), by_packing);
  *out = caches;
  return n;
}

/* Node indexes, the fewest free CPUs first, then id (the packed order of
   sortAvailableNUMANodes).  Fills ORDER; returns how many.  */
static int
sorted_nodes (const struct kubelet_model *m, int *order)
{
  const struct nr_topology *topo = m->topo;
  int n = topo->n_nodes;

  for (int i = 0; i < n; i++)
    order[i] = i;
  /* Insertion sort: a handful of nodes.  */
  for (int i = 1; i < n; i++)
    for (int k = i; k > 0; k--)
      {
        int a = order[k - 1], b = order[k];
        if (free_in (m, &topo->nodes[a].cpus) <= free_in (m, &topo->nodes[b].cpus))
          break;
        order[k - 1] = b;
        order[k] = a;
      }
  return n;
}

/* takeFullUncore: every wholly free cache no larger than NEED, in id
   order.  Returns the CPUs taken.  */
static int
take_full_caches (struct kubelet_model *m, int need, nr_set_t *out)
{
  int got = 0;

  for (int g = 0; g < m->topo->n_llc && got < need; g++)
    {
      int size = nr_set_count (&m->topo->llc[g]);
      if (free_in (m, &m->topo->llc[g]) == size && size <= need - got)
        got += take (m, &m->topo->llc[g], size, false, out);
    }
  return got;
}

/* takePartialUncore: the first NEED / cpus_per_core cores of group G with
   a free CPU, taken only when their free CPUs are exactly NEED.  */
static int
take_partial_cache (struct kubelet_model *m, int g, int need, nr_set_t *out)
{
  const nr_set_t *cpus = &m->topo->llc[g];
  int cores_needed = need / m->cpus_per_core, cores = 0;
  nr_set_t chosen, seen;

  nr_set_clear (&chosen);
  nr_set_clear (&seen);
  for (int c = nr_set_next (cpus, 0); c >= 0 && cores < cores_needed; c = nr_set_next (cpus, c + 1))
    {
      nr_set_t core = m->topo->thread_siblings[c];

      if (nr_set_has (&seen, c) || ! nr_set_intersects (&core, &m->free_cpus))
        continue;
      nr_set_union (&seen, &core);
      nr_set_intersect (&core, &m->free_cpus);
      nr_set_union (&chosen, &core);
      cores++;
    }
  if (cores < cores_needed || nr_set_count (&chosen) != need)
    return 0;
  nr_set_union (out, &chosen);
  nr_set_subtract (&m->free_cpus, &chosen);
  return need;
}

/* takeUncoreCache.  Returns the CPUs taken.  */
static int
take_by_cache (struct kubelet_model *m, int need, nr_set_t *out)
{
  struct cache *caches = NULL;
  int n = sorted_caches (m, &caches), got = 0;
  int per_cache = m->topo->n_llc > 0 ? nr_set_count (&m->topo->online_cpus) / m->topo->n_llc : 0;

  for (int k = 0; k < n && got < need; k++)
    {
      if (per_cache > 0 && need - got >= per_cache)
        got += take_full_caches (m, need - got, out);
      if (got < need)
        got += take_partial_cache (m, caches[k].group, need - got, out);
    }
  free (caches);
  return got;
}

bool
kubelet_model_allocate (struct kubelet_model *m, int count, nr_set_t *out)
{
  const struct nr_topology *topo = m->topo;
  cleanup_free int *nodes = xmalloc ((size_t) topo->n_nodes * sizeof (int) + 1);
  int n_nodes, got = 0;

  nr_set_clear (out);
  if (count % m->cpus_per_core != 0 || nr_set_count (&m->free_cpus) < count)
    return false;
  /* Whole NUMA nodes.  */
  for (int i = 0; i < topo->n_nodes && got < count; i++)
    {
      int size = nr_set_count (&topo->nodes[i].cpus);
      if (size > 0 && count - got >= size && free_in (m, &topo->nodes[i].cpus) == size)
        got += take (m, &topo->nodes[i].cpus, size, false, out);
    }
  if (got < count && topo->n_llc > 0)
    got += take_by_cache (m, count - got, out);
  /* Whole cores, then threads, nodes in packed order, CPUs in id order.  */
  n_nodes = sorted_nodes (m, nodes);
  for (int k = 0; k < n_nodes && got < count; k++)
    got += take (m, &topo->nodes[nodes[k]].cpus, count - got, true, out);
  for (int k = 0; k < n_nodes && got < count; k++)
    got += take (m, &topo->nodes[nodes[k]].cpus, count - got, false, out);
  return got == count;
}

void
kubelet_model_release (struct kubelet_model *m, const nr_set_t *cpus)
{
  nr_set_union (&m->free_cpus, cpus);
}
