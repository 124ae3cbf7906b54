/* bench-placement: placement quality under churn, numa-runtime's placement
 * (nr_place, the code create runs) against a model of kubelet's static
 * policy (kubelet_model.c), on fixture machines.
 *
 *   bench-placement [-e EVENTS] [-s SEED] [-S SHARED_ONE_IN]
 *                   [-N spread|gather] [-P pods|containers] NAME=SYSFS_ROOT...
 *
 * For each machine and each fill level (60, 80, 95% of the assignable
 * CPUs), a seeded trace of arrivals and departures: exclusive containers
 * of 1, 2, 4, 6, 8, 12 or 16 CPUs and shared containers (250 millicpu).
 * Arrivals come while what the live containers asked for is under the
 * fill level, departures (a random live container) once above it; both
 * allocators replay the same trace, each with its own state.  After a
 * warm-up of a quarter of the events, every exclusive arrival is scored:
 *   fewest-L3  its CPUs touch no more cache groups than the fewest an empty
 *              machine would need for its size (groups largest first)
 *   spans      its CPUs are on more than one NUMA node
 *   admitted   it got its CPUs exclusively (numa-runtime's best-effort
 *              falls back to the shared pool: counted as refused)
 *   stranded   free CPUs in partly used groups, after it (mean)
 *   µs         the decision's wall time (mean)
 * -N gather places numa-runtime's shared containers as [placement]
 * shared_nodes = gather does (spread: the default).  -P pods brings each
 * of numa-runtime's containers in a pod, as kubelet does: its sandbox
 * (charged the pod's CPUs, placed first), then the container.
 * Output: one Markdown table row per machine, fill and allocator.  */
#include <config.h>

#include "kubelet_model.h"
#include "placement.h"
#include "resolve.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const int sizes[] = { 1, 2, 4, 6, 8, 12, 16 };
#define SHARED_MILLICPUS 250

/* One arrival in SHARED_ONE_IN is a shared container (-S; 0: none, to
   see what the shared containers' own room costs the exclusive ones).  */
static int shared_one_in = 5;

/* numa-runtime's [placement] shared_nodes (-N): gather, else spread.  */
static bool shared_gather;

/* -P pods: each container of numa-runtime's comes as kubelet brings it, in
   a pod: its sandbox first (charged the pod's CPUs, placed by itself),
   then the container, which follows the sandbox's node.  */
static bool as_pods;

struct score
{
  int arrivals, admitted, fewest, fewest_now, spans, samples;
  double stranded, micros;
};

/* One allocator under test: place COUNT CPUs (0: a shared container) as
   container ID, or release ID.  */
struct allocator
{
  const char *name;
  bool (*place) (void *state, int id, int count, nr_set_t *cpus);
  void (*release) (void *state, int id);
  void *state;
};

static double
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

/* Cache groups an empty machine needs for COUNT CPUs: the largest first.  */
static int
fewest_groups (const struct nr_topology *topo, int count)
{
  int largest = 0;
  for (int g = 0; g < topo->n_llc; g++)
    if (nr_set_count (&topo->llc[g]) > largest)
      largest = nr_set_count (&topo->llc[g]);
  return largest > 0 ? (count + largest - 1) / largest : 0;
}

static int
groups_touched (const struct nr_topology *topo, const nr_set_t *cpus)
{
  int n = 0;
  for (int g = 0; g < topo->n_llc; g++)
    n += nr_set_intersects (&topo->llc[g], cpus);
  return n;
}

static bool
spans_nodes (const struct nr_topology *topo, const nr_set_t *cpus)
{
  int n = 0;
  for (int i = 0; i < topo->n_nodes; i++)
    n += nr_set_intersects (&topo->nodes[i].cpus, cpus);
  return n > 1;
}

/* Free CPUs (of ASSIGNABLE, not in HELD) in groups partly held.  */
static int
stranded (const struct nr_topology *topo, const nr_set_t *assignable, const nr_set_t *held)
{
  int n = 0;
  for (int g = 0; g < topo->n_llc; g++)
    {
      nr_set_t in = topo->llc[g], free_cpus;
      nr_set_intersect (&in, assignable);
      nr_set_difference (&free_cpus, &in, held);
      if (nr_set_intersects (&in, held) && ! nr_set_is_empty (&free_cpus))
        n += nr_set_count (&free_cpus);
    }
  return n;
}

/* CPUs of the cores HELD touches: a core part of which is held can give
   no other container exclusive CPUs, so it counts as full.  */
static void
cores_set (const struct nr_topology *topo, const nr_set_t *held, nr_set_t *cores)
{
  *cores = *held;
  for (int c = nr_set_next (held, 0); c >= 0; c = nr_set_next (held, c + 1))
    nr_set_union (cores, &topo->thread_siblings[c]);
}

static int
cores_of (const struct nr_topology *topo, const nr_set_t *held)
{
  nr_set_t cores;
  cores_set (topo, held, &cores);
  return nr_set_count (&cores);
}

/* The fewest groups COUNT CPUs could take among those of node index NODE
   (-1: every node) given FREE: the largest first.  INT32_MAX when they do
   not fit.  */
static int
groups_needed (const struct nr_topology *topo, const nr_set_t *free_cpus, int node, int count)
{
  int n_free[NR_SET_MAX / 8], n = 0, used = 0;

  for (int g = 0; g < topo->n_llc && n < NR_SET_MAX / 8; g++)
    if (node < 0 || topo->llc_node[g] == node)
      {
        nr_set_t in = topo->llc[g];
        nr_set_intersect (&in, free_cpus);
        n_free[n++] = nr_set_count (&in);
      }
  while (count > 0)
    {
      int best = -1;
      for (int k = 0; k < n; k++)
        if (n_free[k] > 0 && (best < 0 || n_free[k] > n_free[best]))
          best = k;
      if (best < 0)
        return INT32_MAX;
      count -= n_free[best];
      n_free[best] = 0;
      used++;
    }
  return used;
}

/* The fewest groups any choice could have given COUNT CPUs just before
   the decision: on one node if one holds them, else over the machine.  */
static int
fewest_now (const struct nr_topology *topo, const nr_set_t *assignable, const nr_set_t *held,
            int count)
{
  nr_set_t cores, free_cpus;
  int best = INT32_MAX;

  cores_set (topo, held, &cores);
  nr_set_difference (&free_cpus, assignable, &cores);
  for (int i = 0; i < topo->n_nodes; i++)
    {
      int k = groups_needed (topo, &free_cpus, i, count);
      if (k < best)
        best = k;
    }
  return best < INT32_MAX ? best : groups_needed (topo, &free_cpus, -1, count);
}

static void
score_one (struct score *s, const struct nr_topology *topo, int size, const nr_set_t *cpus,
           bool held, double micros, int stranded_now, int possible_now)
{
  s->arrivals++;
  s->micros += micros;
  s->stranded += stranded_now;
  s->samples++;
  if (! held)
    return;
  s->admitted++;
  s->fewest += groups_touched (topo, cpus) <= fewest_groups (topo, size);
  s->fewest_now += groups_touched (topo, cpus) <= possible_now;
  s->spans += spans_nodes (topo, cpus);
}

/* ---- numa-runtime: nr_place over per-node sums, as create does ---- */

struct ours
{
  struct nr_topology *topo;
  const struct nr_config *config;
  struct nr_node_usage *usage;
  struct nr_ledger_entry *entries;   /* per container id */
  struct nr_ledger_entry *sandboxes; /* per container id, with -P */
};

/* Place REQ (with IN's pod fields) and charge it as ENTRY.  */
static bool
ours_place_one (struct ours *o, struct nr_request *req, const nr_set_t *pod_nodes,
                struct nr_ledger_entry *entry)
{
  struct nr_placement_input in = {
    .topo = o->topo, .usage = o->usage, .req = req, .config = o->config
  };
  struct nr_placement p;
  struct nr_resolved resolved;
  nr_error_t err = NULL;
  int count = req->sandbox ? 0 : (int) (req->millicpus / 1000);

  nr_request_resolve (req, o->config, &resolved);

  if (pod_nodes)
    {
      in.pod_nodes = *pod_nodes;
      in.pod_reserved = true;
    }
  if (nr_place (&in, &p, &err) < 0)
    {
      nr_error_release (&err);
      return false;
    }
  /* Best-effort shares the pool when it cannot hold them: a refusal of
     exclusive CPUs, and nothing charged.  */
  if (req->millicpus % 1000 == 0 && count > 0 && nr_set_count (&p.exclusive) != count)
    {
      nr_placement_free (&p);
      return false;
    }
  *entry = (struct nr_ledger_entry){ .nodes = p.nodes,
                                     .exclusive = p.exclusive,
                                     .load = p.load,
                                     .millicpus = p.millicpus,
                                     .sandbox = req->sandbox,
                                     .exclusive_pod = resolved.exclusive_pod_cpus > 0 };
  nr_usage_account (o->usage, (size_t) o->topo->n_nodes, entry, +1);
  nr_placement_free (&p);
  return true;
}

static bool
ours_place (void *state, int id, int count, nr_set_t *cpus)
{
  struct ours *o = state;
  struct nr_request req = { .id = "bench", .millicpus = count ? count * 1000 : SHARED_MILLICPUS };
  struct nr_request sandbox = { .id = "sandbox", .millicpus = req.millicpus, .sandbox = true };

  nr_set_clear (cpus);
  if (as_pods && ! ours_place_one (o, &sandbox, NULL, &o->sandboxes[id]))
    return false;
  if (! ours_place_one (o, &req, as_pods ? &o->sandboxes[id].nodes : NULL, &o->entries[id]))
    {
      if (as_pods)
        nr_usage_account (o->usage, (size_t) o->topo->n_nodes, &o->sandboxes[id], -1);
      return false;
    }
  *cpus = o->entries[id].exclusive;
  return true;
}

/* numa-runtime's row, saying how it was run.  */
static const char *
ours_name (void)
{
  if (as_pods)
    return shared_gather ? "numa-runtime, pods, gather" : "numa-runtime, pods";
  return shared_gather ? "numa-runtime, gather" : "numa-runtime";
}

static void
ours_release (void *state, int id)
{
  struct ours *o = state;
  nr_usage_account (o->usage, (size_t) o->topo->n_nodes, &o->entries[id], -1);
  if (as_pods)
    nr_usage_account (o->usage, (size_t) o->topo->n_nodes, &o->sandboxes[id], -1);
}

/* ---- the kubelet model: shared containers take no exclusive CPUs ---- */

struct kubelet
{
  struct kubelet_model model;
  nr_set_t *cpus;    /* per container id */
  int64_t *requests; /* per container id: millicpus asked */
  int64_t requested; /* the scheduler's sum of requests on the node */
  int64_t allocatable;
};

static bool
kubelet_place (void *state, int id, int count, nr_set_t *cpus)
{
  struct kubelet *k = state;

  int64_t request = count ? count * 1000 : SHARED_MILLICPUS;

  nr_set_clear (cpus);
  /* The scheduler admits no more requests than the node's allocatable.  */
  if (k->requested + request > k->allocatable)
    return false;
  if (count > 0 && ! kubelet_model_allocate (&k->model, count, cpus))
    return false;
  k->cpus[id] = *cpus;
  k->requests[id] = request;
  k->requested += request;
  return true;
}

static void
kubelet_release (void *state, int id)
{
  struct kubelet *k = state;
  kubelet_model_release (&k->model, &k->cpus[id]);
  k->requested -= k->requests[id];
}

/* ---- the churn ---------------------------------------------------- */

/* EVENTS events through A, the machine kept at FILL percent of ASSIGNABLE
   by what A actually holds: arrivals while under, departures of a random
   live container while over.  Sizes come from their own seeded stream, so
   every allocator is offered the same sequence.  */
static void
churn (const struct nr_topology *topo, const nr_set_t *assignable, int fill, int events,
       unsigned seed, const struct allocator *a, struct score *s)
{
  cleanup_free int *live = xmalloc ((size_t) events * sizeof (int));
  cleanup_free nr_set_t *cpus = xmalloc ((size_t) events * sizeof (nr_set_t));
  unsigned size_seed = seed, pick_seed = seed ^ 0x5eed;
  int n_live = 0, next_id = 0, capacity = nr_set_count (assignable);
  bool refused = false;
  nr_set_t held;

  nr_set_clear (&held);
  for (int e = 0; e < events; e++)
    {
      int size, id, possible, kind;
      double t0, t1;
      bool ok;

      /* Over the fill level, or full for what comes (the last arrival
         was refused): someone leaves.  */
      if (n_live > 0 && (refused || cores_of (topo, &held) * 100 >= capacity * fill))
        {
          refused = false;
          int k = (int) (rand_r (&pick_seed) % (unsigned) n_live);
          id = live[k];
          a->release (a->state, id);
          nr_set_subtract (&held, &cpus[id]);
          live[k] = live[--n_live];
          continue;
        }
      kind = rand_r (&size_seed);
      size = shared_one_in > 0 && kind % shared_one_in == 0 ? 0 : sizes[rand_r (&size_seed) % 7];
      id = next_id++;
      possible = size > 0 && topo->n_llc > 0 ? fewest_now (topo, assignable, &held, size) : 0;
      t0 = now_us ();
      ok = a->place (a->state, id, size, &cpus[id]);
      t1 = now_us ();
      refused = ! ok;
      if (ok)
        {
          live[n_live++] = id;
          nr_set_union (&held, &cpus[id]);
        }
      if (size > 0 && e >= events / 4)
        score_one (s, topo, size, &cpus[id], ok, t1 - t0, stranded (topo, assignable, &held),
                   possible);
    }
  while (n_live > 0)
    a->release (a->state, live[--n_live]);
}

static void
print_row (const char *machine, int fill, const char *who, const struct score *s,
           const struct nr_topology *topo)
{
  double admitted = s->admitted ? s->admitted : 1;
  char fewest[16], fewest_now[16];

  if (topo->n_llc > 0)
    {
      snprintf (fewest, sizeof (fewest), "%.1f", 100.0 * s->fewest / admitted);
      snprintf (fewest_now, sizeof (fewest_now), "%.1f", 100.0 * s->fewest_now / admitted);
    }
  else
    snprintf (fewest, sizeof (fewest), "-"), snprintf (fewest_now, sizeof (fewest_now), "-");
  printf ("| %s | %d%% | %s | %s | %s | %.1f | %d / %d | %.1f | %.1f |\n", machine, fill, who,
          fewest_now, fewest, 100.0 * s->spans / admitted, s->admitted, s->arrivals - s->admitted,
          s->samples ? s->stranded / s->samples : 0, s->samples ? s->micros / s->samples : 0);
}

static int
bench_machine (const char *name, const char *sysfs_root, int events, unsigned seed)
{
  static const int fills[] = { 60, 80, 95 };
  struct nr_topology topo;
  struct nr_config config = { 0 };
  nr_error_t err = NULL;
  nr_set_t assignable;

  if (nr_topology_load (sysfs_root, &topo, &err) < 0)
    {
      fprintf (stderr, "bench-placement: %s: %s\n", name, err->msg);
      nr_error_release (&err);
      return -1;
    }
  nr_topology_load_siblings (sysfs_root, &topo);
  nr_topology_classify (sysfs_root, "/nonexistent", NULL, &topo);
  config.policy = NR_POLICY_BEST_EFFORT;
  config.cpu_exclusive = true;
  config.best_effort_millicpus = 100;
  config.shared_gather = shared_gather;
  /* kubelet's static policy needs reserved CPUs: core 0 for both.  */
  config.reserved_cpus = topo.thread_siblings[nr_set_next (&topo.online_cpus, 0)];
  nr_set_difference (&assignable, &topo.online_cpus, &config.reserved_cpus);
  nr_set_subtract (&assignable, &topo.isolated);
  for (size_t f = 0; f < sizeof (fills) / sizeof (fills[0]); f++)
    {
      cleanup_free struct nr_node_usage *usage = xmalloc0 ((size_t) topo.n_nodes * sizeof (*usage));
      cleanup_free struct nr_ledger_entry *entries = xmalloc0 ((size_t) events * sizeof (*entries));
      cleanup_free nr_set_t *kcpus = xmalloc0 ((size_t) events * sizeof (*kcpus));
      cleanup_free struct nr_ledger_entry *sandboxes =
          xmalloc0 ((size_t) events * sizeof (*sandboxes));
      struct ours o = { &topo, &config, usage, entries, sandboxes };
      cleanup_free int64_t *requests = xmalloc0 ((size_t) events * sizeof (*requests));
      struct kubelet k = { .cpus = kcpus, .requests = requests };
      struct allocator mine = { ours_name (), ours_place, ours_release, &o };
      struct allocator model = { "kubelet model", kubelet_place, kubelet_release, &k };
      struct score ours_score = { 0 }, kubelet_score = { 0 };
      nr_set_t kubelet_reserved = config.reserved_cpus;

      for (int i = 0; i < topo.n_nodes; i++)
        usage[i].node = topo.nodes[i].id;
      /* Isolated CPUs are in no pool of ours; an admin keeps them out of
         kubelet's with reservedSystemCPUs.  */
      nr_set_union (&kubelet_reserved, &topo.isolated);
      kubelet_model_init (&k.model, &topo, &kubelet_reserved);
      k.allocatable = (int64_t) nr_set_count (&k.model.free_cpus) * 1000;
      churn (&topo, &assignable, fills[f], events, seed, &mine, &ours_score);
      churn (&topo, &assignable, fills[f], events, seed, &model, &kubelet_score);
      print_row (name, fills[f], mine.name, &ours_score, &topo);
      print_row (name, fills[f], model.name, &kubelet_score, &topo);
    }
  nr_topology_free (&topo);
  return 0;
}

int
main (int argc, char **argv)
{
  int events = 4000, status = 0;
  unsigned seed = 4800;
  int i = 1;

  for (; i + 1 < argc && argv[i][0] == '-'; i += 2)
    {
      if (strcmp (argv[i], "-e") == 0)
        events = atoi (argv[i + 1]);
      else if (strcmp (argv[i], "-s") == 0)
        seed = (unsigned) strtoul (argv[i + 1], NULL, 10);
      else if (strcmp (argv[i], "-S") == 0)
        shared_one_in = atoi (argv[i + 1]);
      else if (strcmp (argv[i], "-P") == 0 && strcmp (argv[i + 1], "pods") == 0)
        as_pods = true;
      else if (strcmp (argv[i], "-P") == 0 && strcmp (argv[i + 1], "containers") == 0)
        as_pods = false;
      else if (strcmp (argv[i], "-N") == 0 && strcmp (argv[i + 1], "spread") == 0)
        shared_gather = false;
      else if (strcmp (argv[i], "-N") == 0 && strcmp (argv[i + 1], "gather") == 0)
        shared_gather = true;
      else
        break;
    }
  if (i >= argc || events < 8)
    {
      fprintf (stderr,
               "usage: bench-placement [-e EVENTS] [-s SEED] [-S SHARED_ONE_IN] [-N spread|gather] "
               "[-P pods|containers] NAME=SYSFS_ROOT...\n");
      return 2;
    }
  printf ("| machine | fill | allocator | fewest L3 possible %% | fewest L3 on empty %% "
          "| spanning nodes %% | admitted / refused | stranded free CPUs | decision µs |\n");
  printf ("|---|---|---|---|---|---|---|---|---|\n");
  for (; i < argc; i++)
    {
      char *eq = strchr (argv[i], '=');
      if (eq == NULL)
        return 2;
      *eq = '\0';
      if (bench_machine (argv[i], eq + 1, events, seed) < 0)
        status = 1;
    }
  return status;
}
