/* The sysfs and procfs readers over a machine made of the input: file
   parts "<path>\n<contents>" with PATH under sys/ or proc/ (the seeds are
   the fixture machines of tests/fixtures, so the fuzzer mutates a real
   tree).  Property: the topology loaded through the cache (written by the
   first load, read by the second) equals the one read from sysfs; then
   the other readers (siblings, hugepages, weights, memory kinds, the boot
   id, a process's start time) run on it; never a crash.  */
#include "fuzz-world.h"

#include "cpuset.h"
#include "ledger.h"
#include "reclaim.h"
#include "topology.h"

static bool
same_node (const struct nr_node *a, const struct nr_node *b)
{
  return a->id == b->id && a->has_cpu == b->has_cpu && a->tier == b->tier
         && nr_set_equal (&a->cpus, &b->cpus) && a->memory_total == b->memory_total
         && a->memory_free == b->memory_free;
}

static void
check_same (const struct nr_topology *read, const struct nr_topology *cached, const char *how)
{
  size_t n;

  FUZZ_CHECK (read->n_nodes == cached->n_nodes, "%s: %d nodes, sysfs says %d", how, cached->n_nodes,
              read->n_nodes);
  FUZZ_CHECK (nr_set_equal (&read->online_cpus, &cached->online_cpus), "%s: online CPUs differ",
              how);
  FUZZ_CHECK (read->has_tiers == cached->has_tiers, "%s: has_tiers differs", how);
  for (int i = 0; i < read->n_nodes; i++)
    FUZZ_CHECK (same_node (&read->nodes[i], &cached->nodes[i]), "%s: node %d differs", how,
                read->nodes[i].id);
  n = (size_t) read->n_nodes * (size_t) read->n_nodes;
  FUZZ_CHECK (n == 0 || memcmp (read->distance, cached->distance, n * sizeof (int)) == 0,
              "%s: distances differ", how);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *dir = fuzz_scratch_dir ("sysfs");
  cleanup_free char *sys = xasprintf ("%s/sys", dir);
  cleanup_free char *proc = xasprintf ("%s/proc", dir);
  cleanup_free char *cache = xasprintf ("%s/cache", dir);
  cleanup_free char *boot_id = NULL;
  struct nr_topology read, cached;
  struct fuzz_parts parts;
  nr_error_t err = NULL;
  int r;

  fuzz_quiet ();
  fuzz_clear (dir, 16);
  fuzz_split (data, size, &parts);
  mkdir (cache, 0700);
  for (size_t i = 0; i < parts.n; i++)
    fuzz_write_file_part (dir, parts.text[i], parts.len[i], 12);
  boot_id = nr_read_boot_id (proc);

  r = nr_topology_load (sys, &read, &err);
  nr_error_release (&err);
  for (int pass = 0; pass < 2; pass++)
    {
      /* The first writes the cache, the second reads it.  */
      int rc = nr_topology_load_cached (sys, proc, cache, boot_id, &cached, &err);
      nr_error_release (&err);
      FUZZ_CHECK ((rc < 0) == (r < 0), "the cached load %s where the sysfs load %s",
                  rc < 0 ? "fails" : "succeeds", r < 0 ? "fails" : "succeeds");
      if (rc == 0)
        check_same (&read, &cached, pass == 0 ? "loaded and cached" : "from the cache");
      nr_topology_free (&cached);
    }
  if (r == 0)
    {
      nr_set_t all;
      nr_set_clear (&all);
      for (int i = 0; i < read.n_nodes; i++)
        nr_set_add (&all, read.nodes[i].id);
      nr_topology_load_siblings (sys, &read);
      nr_topology_load_hugepages (sys, &read);
      nr_topology_load_weights (sys, &all, &read);
      nr_topology_classify (sys, proc, NULL, &read);
    }
  nr_topology_free (&read);
  (void) nr_process_start_time (proc, 1);
  return 0;
}
