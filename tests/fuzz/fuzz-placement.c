/* Placement over a random topology (1-8 nodes, CPUs, memory, hugepages,
   distances), random ledger usage (any int64, as a hand-edited ledger
   can hold) and a random request and configuration.  Property: a
   placement that succeeds names existing nodes, and CPUs of those nodes
   (unless kubelet's cpuset is kept); exclusive CPUs are among them.  */
#include "fuzz.h"

#include "placement.h"
#include "util.h"

static int64_t
extreme (struct fuzz_bytes *b)
{
  static const int64_t values[] = {
    0, 1, -1, 1000, INT64_MAX, INT64_MIN, INT64_MAX / 2, (INT64_C (1) << 62) - 1
  };
  uint64_t pick = fuzz_u64 (b, 1);

  if (pick < 128)
    return values[pick % (sizeof (values) / sizeof (values[0]))];
  return (int64_t) fuzz_u64 (b, 8);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static struct nr_config config;
  static bool loaded;
  struct fuzz_bytes b = { data, size };
  struct nr_topology topo = { 0 };
  struct nr_node nodes[8];
  struct nr_node_usage usage[8];
  int distance[64];
  nr_set_t llc[64];
  int llc_node[64];
  struct nr_request req = { 0 };
  struct nr_placement_input in = { 0 };
  struct nr_placement out = { 0 };
  nr_error_t err = NULL;
  uint64_t flags, more;
  int cpu = 0;

  fuzz_quiet ();
  if (! loaded)
    {
      FUZZ_CHECK (nr_config_load_file (&config, "/nonexistent/numa-runtime.conf", false, NULL) == 0,
                  "defaults");
      loaded = true;
    }
  memset (nodes, 0, sizeof (nodes));
  memset (usage, 0, sizeof (usage));
  topo.n_nodes = 1 + (int) (fuzz_u64 (&b, 1) % 8);
  topo.nodes = nodes;
  topo.distance = distance;
  for (int i = 0; i < topo.n_nodes; i++)
    {
      int n_cpus = (int) (fuzz_u64 (&b, 1) % 9);
      nodes[i].id = i * (1 + (int) (fuzz_u64 (&b, 1) % 2)); /* ascending, maybe with gaps */
      if (i > 0 && nodes[i].id <= nodes[i - 1].id)
        nodes[i].id = nodes[i - 1].id + 1;
      for (int c = 0; c < n_cpus; c++, cpu++)
        nr_set_add (&nodes[i].cpus, cpu);
      nr_set_union (&topo.online_cpus, &nodes[i].cpus);
      nodes[i].memory_total = (uint64_t) extreme (&b);
      nodes[i].memory_free = nodes[i].memory_total;
      nodes[i].hugepages_total = (uint64_t) extreme (&b);
      usage[i].node = nodes[i].id;
      usage[i].load = extreme (&b);
      usage[i].millicpus = extreme (&b);
      usage[i].memory = extreme (&b);
      usage[i].hugepages = extreme (&b);
      if (cpu > 0 && (fuzz_u64 (&b, 1) & 1))
        nr_set_add (&usage[i].exclusive, cpu - 1);
    }
  for (int i = 0; i < topo.n_nodes; i++)
    for (int j = 0; j < topo.n_nodes; j++)
      distance[i * topo.n_nodes + j] = i == j ? 10 : 10 + (int) (fuzz_u64 (&b, 1) % 246);

  /* Cache groups: each node's CPUs cut into runs of 1-4; an isolated CPU.  */
  topo.llc = llc;
  topo.llc_node = llc_node;
  for (int i = 0; i < topo.n_nodes && (fuzz_u64 (&b, 1) & 1); i++)
    {
      int run = 1 + (int) (fuzz_u64 (&b, 1) % 4), k = 0;
      for (int c = nr_set_next (&nodes[i].cpus, 0); c >= 0; c = nr_set_next (&nodes[i].cpus, c + 1))
        {
          if (k++ % run == 0)
            {
              nr_set_clear (&llc[topo.n_llc]);
              llc_node[topo.n_llc++] = i;
            }
          nr_set_add (&llc[topo.n_llc - 1], c);
        }
    }
  if (cpu > 0 && (fuzz_u64 (&b, 1) & 1))
    nr_set_add (&topo.isolated, (int) (fuzz_u64 (&b, 1) % (uint64_t) cpu));
  req.isolated = fuzz_u64 (&b, 1) & 1;

  flags = fuzz_u64 (&b, 2);
  config.policy = (enum nr_policy) (1 + flags % 3);
  config.cpu_exclusive = flags & 4;
  config.spread = (flags & 8) ? NR_SPREAD_DISTRIBUTE : NR_SPREAD_PACK;
  config.kubelet_override = flags & 16;
  config.reserved_memory = (flags & 32) ? extreme (&b) & INT64_MAX : 0;
  nr_set_clear (&config.reserved_cpus);
  if (flags & 64)
    nr_set_add (&config.reserved_cpus, 0);

  req.id = "fuzz";
  req.millicpus = extreme (&b);
  req.memory = extreme (&b);
  req.hugepages = extreme (&b);
  req.sandbox = flags & 128;
  if (flags & 256)
    {
      req.has_cpus = true;
      nr_set_add (&req.cpus, (int) (fuzz_u64 (&b, 1) % 64));
    }
  if (flags & 512)
    {
      req.has_mems = true;
      nr_set_add (&req.mems, nodes[fuzz_u64 (&b, 1) % (uint64_t) topo.n_nodes].id);
    }
  if (flags & 1024)
    nr_set_add (&req.nodes_wanted, (int) (fuzz_u64 (&b, 1) % 16));
  req.span = (int) (fuzz_u64 (&b, 1) % 4);
  if (flags & 2048)
    nr_request_add_hint (&req, (int) (fuzz_u64 (&b, 1) % 16), "fuzz device");
  if (flags & 4096)
    {
      req.has_exclusive = true;
      req.exclusive = flags & 8192;
    }
  if (flags & 16384)
    nr_set_add (&in.pod_nodes, nodes[fuzz_u64 (&b, 1) % (uint64_t) topo.n_nodes].id);
  in.pod_reserved = flags & 32768;
  /* Read last, so that the corpus keeps its meaning: which nodes' pools
     have sharers, and [placement] shared_nodes.  */
  more = fuzz_u64 (&b, 2);
  config.shared_gather = more & 1;
  for (int i = 0; i < topo.n_nodes; i++)
    if (more & (2u << i))
      {
        usage[i].sharing = 1;
        usage[i].containers = 1;
      }

  in.topo = &topo;
  in.usage = usage;
  in.req = &req;
  in.config = &config;
  if (nr_place (&in, &out, &err) < 0)
    {
      FUZZ_CHECK (err != NULL, "a failure without a message");
      nr_error_release (&err);
    }
  else if (! out.keep_mems)
    {
      nr_set_t node_cpus;
      FUZZ_CHECK (! nr_set_is_empty (&out.nodes),
                  "placed on no node (policy %d, span %d, warning: %s)", (int) config.policy,
                  req.span, out.warning ? out.warning : "none");
      for (int n = nr_set_next (&out.nodes, 0); n >= 0; n = nr_set_next (&out.nodes, n + 1))
        FUZZ_CHECK (nr_topology_index (&topo, n) >= 0, "placed on node %d, which does not exist",
                    n);
      nr_topology_cpus_of (&topo, &out.nodes, &node_cpus);
      FUZZ_CHECK (out.keep_cpus || nr_set_is_subset (&out.cpus, &node_cpus),
                  "CPUs outside the chosen nodes");
      FUZZ_CHECK (nr_set_is_subset (&out.exclusive, &out.cpus), "exclusive CPUs not in cpus");
      FUZZ_CHECK (! nr_set_is_empty (&out.exclusive) || out.keep_cpus
                      || ! nr_set_intersects (&out.cpus, &topo.isolated)
                      || nr_set_is_subset (&node_cpus, &topo.isolated),
                  "a shared cpuset holds an isolated CPU");
      FUZZ_CHECK (out.memory >= 0 || req.memory < 0, "a negative memory charge");
    }
  nr_placement_free (&out);
  nr_request_free (&req);
  return 0;
}
