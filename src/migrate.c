/* numa-runtime: migrate_pages(2) over a cgroup's processes.  See
   migrate.h.  Like mempolicy.c's set_mempolicy, through syscall(2):
   libnuma is not linked (docs/ARCHITECTURE.md).  */
#include <config.h>

#include "migrate.h"

#include "numastat.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Bits of the masks handed to the kernel: its MAX_NUMNODES at most.  */
#define MASK_BITS NR_NUMASTAT_MAX_NODES
#define MASK_WORDS (MASK_BITS / (8 * sizeof (unsigned long)))

/* Nesting of cgroups below a container's own followed (crun's
   "container" child, systemd's sub-scopes): deeper is not a layout any
   runtime makes.  */
#define MAX_DEPTH 16

static int
add_procs (const char *dir, int **pids, size_t *n, size_t *cap, nr_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/cgroup.procs", dir);
  cleanup_free char *text = NULL;
  size_t len;
  char *p, *end;

  if (read_file (path, 16 * 1024 * 1024, &text, &len, NULL) < 0)
    return 0; /* removed meanwhile */
  for (p = text; *p; p = end)
    {
      long pid = strtol (p, &end, 10);
      if (end == p)
        break;
      if (pid <= 0 || pid > INT32_MAX)
        continue;
      if (*n >= NR_MIGRATE_MAX_TASKS)
        return nr_make_error (err, 0, "`%s`: more than %d processes", dir, NR_MIGRATE_MAX_TASKS);
      if (*n == *cap)
        {
          *cap = *cap ? 2 * *cap : 64;
          *pids = xrealloc (*pids, *cap * sizeof (**pids));
        }
      (*pids)[(*n)++] = (int) pid;
    }
  return 0;
}

static int
walk (const char *dir, int depth, int **pids, size_t *n, size_t *cap, nr_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  if (add_procs (dir, pids, n, cap, err) < 0)
    return -1;
  if (depth >= MAX_DEPTH || (d = opendir (dir)) == NULL)
    return 0;
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *sub = NULL;
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      sub = xasprintf ("%s/%s", dir, de->d_name);
      if (walk (sub, depth + 1, pids, n, cap, err) < 0)
        return -1;
    }
  return 0;
}

int
nr_migrate_tasks (const char *dir, int **pids, size_t *n, nr_error_t *err)
{
  size_t cap = 0;

  *pids = NULL;
  *n = 0;
  if (walk (dir, 0, pids, n, &cap, err) < 0)
    {
      free (*pids);
      *pids = NULL;
      *n = 0;
      return -1;
    }
  return 0;
}

static void
to_mask (const nr_set_t *set, unsigned long *mask)
{
  const size_t word_bits = 8 * sizeof (unsigned long);

  memset (mask, 0, MASK_WORDS * sizeof (*mask));
  for (int node = nr_set_next (set, 0); node >= 0 && node < MASK_BITS;
       node = nr_set_next (set, node + 1))
    mask[(size_t) node / word_bits] |= 1UL << ((size_t) node % word_bits);
}

long
nr_migrate_pages (int pid, const nr_set_t *from, const nr_set_t *to)
{
  unsigned long old_nodes[MASK_WORDS], new_nodes[MASK_WORDS];

  to_mask (from, old_nodes);
  to_mask (to, new_nodes);
  /* maxnode is one past the last bit, as libnuma passes it.  */
  return syscall (SYS_migrate_pages, pid, (unsigned long) MASK_BITS + 1, old_nodes, new_nodes);
}
