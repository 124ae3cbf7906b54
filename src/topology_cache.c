/* numa-runtime: the topology as create last read it, kept in one file so
 * that a create costs the same on 64 nodes as on 2.
 *
 * Reading the topology costs three sysfs files per node (cpulist, meminfo,
 * distance): on 64 nodes most of a create.  What they say only changes
 * when CPUs or memory go on- or offline, so create keeps the parsed result
 * in CACHE_DIR/topology-cache with a key made of what does change then:
 * the boot id, the sysfs root, cpu/online, node/online, node/has_cpu,
 * node/has_memory and the machine's MemTotal (PROC_ROOT/meminfo, which
 * any memory hot-plug moves).  A file whose key differs, or that does not
 * parse, is read again from sysfs and rewritten (temp file + rename).
 * The cached MemFree is as old as the file; placement does not use it.
 *
 * Layout (host byte order; written and read by the same binary):
 *   "NRTOPO2\n", u32 key length, key, i32 n_nodes, u8 has_tiers,
 *   u32 length + online CPU list, then per node
 *   i32 id, u8 has_cpu, i32 tier, u64 memory_total, u64 memory_free,
 *   u32 length + CPU list; then n_nodes * n_nodes i32 distances; then the
 *   CPU groups (cpu_groups.c): i32 n_cpu_slots, as many i32 core leaders,
 *   u32 length + isolated CPU list, i32 n_llc, per group i32 node index and
 *   u32 length + CPU list.  */
#include <config.h>

#include "topology.h"
#include "util.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_NAME "topology-cache"
#define MAGIC "NRTOPO3\n"
#define MAX_CACHE (16 << 20)

struct buf
{
  char *data;
  size_t len, cap;
};

static void
put (struct buf *b, const void *p, size_t n)
{
  if (n == 0)
    return;
  if (b->len + n > b->cap)
    {
      b->cap = (b->len + n) * 2;
      b->data = xrealloc (b->data, b->cap);
    }
  memcpy (b->data + b->len, p, n);
  b->len += n;
}

static void
put_string (struct buf *b, const char *s)
{
  uint32_t n = (uint32_t) strlen (s);
  put (b, &n, sizeof (n));
  put (b, s, n);
}

struct reader
{
  const char *p, *end;
};

static bool
get (struct reader *r, void *out, size_t n)
{
  if ((size_t) (r->end - r->p) < n)
    return false;
  memcpy (out, r->p, n);
  r->p += n;
  return true;
}

/* A list string of the file, parsed into OUT.  */
static bool
get_set (struct reader *r, nr_set_t *out)
{
  char text[8192];
  uint32_t n;

  if (! get (r, &n, sizeof (n)) || n >= sizeof (text) || ! get (r, text, n))
    return false;
  text[n] = '\0';
  return nr_set_parse (text, out, NULL) == 0;
}

/* The key: what changes when the topology may have.  */
static char *
cache_key (const char *sysfs_root, const char *proc_root, const char *boot_id)
{
  static const char *const files[] = { "devices/system/cpu/online", "devices/system/node/online",
                                       "devices/system/node/has_cpu",
                                       "devices/system/node/has_memory" };
  struct buf b = { 0 };
  char text[8192];
  cleanup_free char *meminfo = xasprintf ("%s/meminfo", proc_root);
  char *nl;

  put (&b, boot_id ? boot_id : "-", strlen (boot_id ? boot_id : "-"));
  put (&b, "\n", 1);
  put (&b, sysfs_root, strlen (sysfs_root));
  put (&b, "\n", 1);
  for (size_t i = 0; i < sizeof (files) / sizeof (files[0]); i++)
    {
      cleanup_free char *path = xasprintf ("%s/%s", sysfs_root, files[i]);
      if (read_small_file (path, text, sizeof (text)) < 0)
        strcpy (text, "-\n");
      put (&b, text, strlen (text));
    }
  /* The first line: MemTotal.  */
  if (read_small_file (meminfo, text, sizeof (text)) < 0)
    strcpy (text, "-\n");
  if ((nl = strchr (text, '\n')))
    nl[1] = '\0';
  put (&b, text, strlen (text) + 1);
  return b.data;
}

static bool
parse_groups (struct reader *r, struct nr_topology *topo)
{
  int32_t slots, n_llc;

  if (! get (r, &slots, sizeof (slots)) || slots < 0 || slots > NR_SET_MAX)
    return false;
  topo->n_cpu_slots = slots;
  topo->core_leader = xmalloc ((size_t) slots * sizeof (int) + 1);
  if (! get (r, topo->core_leader, (size_t) slots * sizeof (int)))
    return false;
  for (int c = 0; c < slots; c++)
    if (topo->core_leader[c] < -1 || topo->core_leader[c] > c)
      return false;
  if (! get_set (r, &topo->isolated) || ! get (r, &n_llc, sizeof (n_llc)) || n_llc < 0
      || n_llc > NR_SET_MAX)
    return false;
  topo->llc = xmalloc ((size_t) n_llc * sizeof (nr_set_t) + 1);
  topo->llc_node = xmalloc ((size_t) n_llc * sizeof (int) + 1);
  for (int g = 0; g < n_llc; g++)
    {
      int32_t node;
      if (! get (r, &node, sizeof (node)) || node < 0 || node >= topo->n_nodes
          || ! get_set (r, &topo->llc[g]))
        return false;
      topo->llc_node[g] = node;
      topo->n_llc = g + 1;
    }
  return true;
}

static void
put_groups (struct buf *b, const struct nr_topology *topo)
{
  int32_t slots = topo->n_cpu_slots, n_llc = topo->n_llc;
  cleanup_free char *isolated = nr_set_format (&topo->isolated);

  put (b, &slots, sizeof (slots));
  put (b, topo->core_leader, (size_t) slots * sizeof (int));
  put_string (b, isolated);
  put (b, &n_llc, sizeof (n_llc));
  for (int g = 0; g < n_llc; g++)
    {
      int32_t node = topo->llc_node[g];
      cleanup_free char *cpus = nr_set_format (&topo->llc[g]);
      put (b, &node, sizeof (node));
      put_string (b, cpus);
    }
}

static bool
parse_cache (const char *data, size_t len, const char *key, struct nr_topology *topo)
{
  struct reader r = { data, data + len };
  char magic[sizeof (MAGIC) - 1];
  uint32_t key_len;
  int32_t n;
  uint8_t flag;

  if (! get (&r, magic, sizeof (magic)) || memcmp (magic, MAGIC, sizeof (magic)) != 0
      || ! get (&r, &key_len, sizeof (key_len)) || key_len != strlen (key) + 1
      || (size_t) (r.end - r.p) < key_len || memcmp (r.p, key, key_len) != 0)
    return false;
  r.p += key_len;
  if (! get (&r, &n, sizeof (n)) || n < 1 || n > NR_SET_MAX || ! get (&r, &flag, sizeof (flag))
      || ! get_set (&r, &topo->online_cpus))
    return false;
  topo->has_tiers = flag != 0;
  /* Every field is set below: no need to zero 1 KiB a node first.  */
  topo->nodes = xmalloc ((size_t) n * sizeof (struct nr_node));
  topo->n_nodes = n;
  for (int i = 0; i < n; i++)
    {
      struct nr_node *node = &topo->nodes[i];
      int32_t id, tier;
      uint8_t has_cpu;
      uint64_t total, free_bytes;

      memset (node, 0, offsetof (struct nr_node, cpus));
      node->hugepages_total = node->hugepages_free = 0;
      if (! get (&r, &id, sizeof (id)) || ! get (&r, &has_cpu, sizeof (has_cpu))
          || ! get (&r, &tier, sizeof (tier)) || ! get (&r, &total, sizeof (total))
          || ! get (&r, &free_bytes, sizeof (free_bytes)) || ! get_set (&r, &node->cpus))
        return false;
      node->id = id;
      node->has_cpu = has_cpu != 0;
      node->tier = tier;
      node->memory_total = total;
      node->memory_free = free_bytes;
    }
  /* int is int32_t on every platform we build for: one copy.  */
  _Static_assert(sizeof (int) == sizeof (int32_t), "int is 32 bits");
  topo->distance = xmalloc ((size_t) n * (size_t) n * sizeof (int));
  if (! get (&r, topo->distance, (size_t) n * (size_t) n * sizeof (int)))
    return false;
  return parse_groups (&r, topo) && r.p == r.end;
}

static void
write_cache (const char *path, const char *key, const struct nr_topology *topo)
{
  cleanup_free char *tmp = xasprintf ("%s.tmp.%d", path, (int) getpid ());
  struct buf b = { 0 };
  uint32_t key_len = (uint32_t) strlen (key) + 1;
  int32_t n = topo->n_nodes;
  uint8_t flag = topo->has_tiers;
  cleanup_free char *online = nr_set_format (&topo->online_cpus);
  int fd;

  put (&b, MAGIC, sizeof (MAGIC) - 1);
  put (&b, &key_len, sizeof (key_len));
  put (&b, key, key_len);
  put (&b, &n, sizeof (n));
  put (&b, &flag, sizeof (flag));
  put_string (&b, online);
  for (int i = 0; i < n; i++)
    {
      const struct nr_node *node = &topo->nodes[i];
      int32_t id = node->id, tier = node->tier;
      uint8_t has_cpu = node->has_cpu;
      uint64_t total = node->memory_total, free_bytes = node->memory_free;
      cleanup_free char *cpus = nr_set_format (&node->cpus);

      put (&b, &id, sizeof (id));
      put (&b, &has_cpu, sizeof (has_cpu));
      put (&b, &tier, sizeof (tier));
      put (&b, &total, sizeof (total));
      put (&b, &free_bytes, sizeof (free_bytes));
      put_string (&b, cpus);
    }
  for (int i = 0; i < n * n; i++)
    {
      int32_t d = topo->distance[i];
      put (&b, &d, sizeof (d));
    }
  put_groups (&b, topo);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      free (b.data);
      return;
    }
  if (write (fd, b.data, b.len) != (ssize_t) b.len || close (fd) != 0 || rename (tmp, path) < 0)
    {
      nr_debug ("topology cache `%s` not written: %s", path, strerror (errno));
      unlink (tmp);
    }
  free (b.data);
}

int
nr_topology_load_cached (const char *sysfs_root, const char *proc_root, const char *cache_dir,
                         const char *boot_id, struct nr_topology *topo, nr_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/" CACHE_NAME, cache_dir);
  cleanup_free char *key = cache_key (sysfs_root, proc_root, boot_id);
  cleanup_free char *data = NULL;
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  struct stat st;

  memset (topo, 0, sizeof (*topo));
  if (fd >= 0 && fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > 0
      && st.st_size < MAX_CACHE)
    {
      data = xmalloc ((size_t) st.st_size);
      if (read (fd, data, (size_t) st.st_size) == st.st_size
          && parse_cache (data, (size_t) st.st_size, key, topo))
        return 0;
      nr_topology_free (topo);
    }
  if (nr_topology_load (sysfs_root, topo, err) < 0)
    return -1;
  write_cache (path, key, topo);
  return 0;
}

/* The loader create and explain use, here rather than in topology.c:
   it picks between the cache and sysfs, and topology.c stays below the
   cache.  */
int
nr_topology_load_for (const char *sysfs_root, const char *proc_root,
                      const struct nr_topology_needs *needs, struct nr_topology *topo,
                      nr_error_t *err)
{
  int ret = needs->cache_dir ? nr_topology_load_cached (sysfs_root, proc_root, needs->cache_dir,
                                                        needs->boot_id, topo, err)
                             : nr_topology_load (sysfs_root, topo, err);

  if (ret < 0)
    return -1;
  /* Cores come from core_leader when the cache groups were read (no 1 KiB
     set per CPU to build); sibling lists only for a topology without.  */
  if (needs->whole_cores && topo->core_leader == NULL)
    nr_topology_load_siblings (sysfs_root, topo);
  if (needs->hugepages)
    nr_topology_load_hugepages (sysfs_root, topo);
  nr_topology_classify (sysfs_root, proc_root, needs->tier_nodes, topo);
  if (needs->weights)
    {
      nr_set_t with_memory;
      nr_set_clear (&with_memory);
      for (int i = 0; i < topo->n_nodes; i++)
        if (topo->nodes[i].memory_total > 0)
          nr_set_add (&with_memory, topo->nodes[i].id);
      nr_topology_load_weights (sysfs_root, &with_memory, topo);
    }
  return 0;
}
