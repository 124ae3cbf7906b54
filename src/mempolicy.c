/* numa-runtime: the container's NUMA memory policy.  */
#include <config.h>

#include "mempolicy.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <numaif.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

/* Older numaif.h lacks the newer modes and flags; the values are kernel
   ABI.  */
#ifndef MPOL_WEIGHTED_INTERLEAVE
#define MPOL_WEIGHTED_INTERLEAVE 6
#endif
#ifndef MPOL_F_STATIC_NODES
#define MPOL_F_STATIC_NODES (1 << 15)
#endif

#define FEATURES_TIMEOUT_MS 10000
#define FEATURES_MAX_SIZE (1024 * 1024)
#define CACHE_FILE "runtime-features"
#define CACHE_MAX_ENTRIES 8

/* Every mode the runtime-spec (v1.3) names, with the kernel's value.  */
static const struct
{
  const char *oci_name;
  int kmode;
} oci_modes[] = {
  { "MPOL_DEFAULT", MPOL_DEFAULT },
  { "MPOL_PREFERRED", MPOL_PREFERRED },
  { "MPOL_BIND", MPOL_BIND },
  { "MPOL_INTERLEAVE", MPOL_INTERLEAVE },
  { "MPOL_LOCAL", MPOL_LOCAL },
  { "MPOL_PREFERRED_MANY", MPOL_PREFERRED_MANY },
  { "MPOL_WEIGHTED_INTERLEAVE", MPOL_WEIGHTED_INTERLEAVE },
};
#define N_OCI_MODES (sizeof (oci_modes) / sizeof (oci_modes[0]))

/* The modes numa-runtime may write (see nr_mpol_kernel_mode).  */
#define MODES_WE_WRITE                                                                             \
  ((1u << MPOL_BIND) | (1u << MPOL_PREFERRED) | (1u << MPOL_PREFERRED_MANY)                        \
   | (1u << MPOL_INTERLEAVE))

int
nr_mpol_kernel_mode (enum nr_mpol mode, int n_nodes)
{
  switch (mode)
    {
    case NR_MPOL_PREFERRED:
      return n_nodes > 1 ? MPOL_PREFERRED_MANY : MPOL_PREFERRED;
    case NR_MPOL_INTERLEAVE:
      return MPOL_INTERLEAVE;
    case NR_MPOL_WEIGHTED_INTERLEAVE:
      return MPOL_WEIGHTED_INTERLEAVE;
    case NR_MPOL_BIND:
    default:
      return MPOL_BIND;
    }
}

const char *
nr_mpol_oci_name (int kmode)
{
  for (size_t i = 0; i < N_OCI_MODES; i++)
    if (oci_modes[i].kmode == kmode)
      return oci_modes[i].oci_name;
  return NULL;
}

enum nr_mpol
nr_mempolicy_choose (const struct nr_config *config, const struct nr_request *req, bool distributed)
{
  if (req->has_mpol)
    return req->mpol;
  /* distribute spreads CPUs evenly over the nodes; memory follows the same
     way, as the CPU Manager's distribute-cpus-across-numa intends.  */
  if (distributed)
    return NR_MPOL_INTERLEAVE;
  return config->memory_policy;
}

/* ---- asking the runtime ------------------------------------------------ */

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
reap (pid_t pid, int *wstatus)
{
  while (waitpid (pid, wstatus, 0) < 0 && errno == EINTR)
    ;
}

/* Run `RUNTIME features` and collect its stdout (at most
   FEATURES_MAX_SIZE bytes).  *EXITED_OK: it exited 0.  */
static int
run_features (const char *runtime, char **out, bool *exited_ok, nr_error_t *err)
{
  cleanup_free char *buf = NULL;
  cleanup_close int rd = -1;
  size_t len = 0, cap = 0;
  int64_t deadline = now_ms () + FEATURES_TIMEOUT_MS;
  int fds[2], wstatus = 0;
  bool too_big = false;
  pid_t pid;

  if (pipe2 (fds, O_CLOEXEC) < 0)
    return nr_make_error (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return nr_make_error (err, errno, "fork");
    }
  if (pid == 0)
    {
      int null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
      /* Only stdout is ours to read; the runtime's chatter on stderr must
         not reach the engine, which reads our stderr as the error.  */
      if (dup2 (fds[1], 1) < 0
          || (null_fd >= 0 && (dup2 (null_fd, 0) < 0 || dup2 (null_fd, 2) < 0)))
        _exit (127);
      execl (runtime, runtime, "features", (char *) NULL);
      _exit (127);
    }
  close (fds[1]);
  rd = fds[0];

  for (;;)
    {
      struct pollfd pfd = { rd, POLLIN, 0 };
      int64_t left = deadline - now_ms ();
      ssize_t n;
      int r;

      if (left <= 0)
        {
          kill (pid, SIGKILL);
          reap (pid, &wstatus);
          return nr_make_error (err, 0, "`%s features` did not answer within %d s", runtime,
                                FEATURES_TIMEOUT_MS / 1000);
        }
      r = poll (&pfd, 1, (int) left);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        continue;
      if (len + 4096 + 1 > cap)
        {
          cap = cap ? cap * 2 : 16384;
          buf = xrealloc (buf, cap);
        }
      n = read (rd, buf + len, cap - len - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      len += (size_t) n;
      if (len > FEATURES_MAX_SIZE)
        {
          too_big = true;
          kill (pid, SIGKILL);
          break;
        }
    }
  reap (pid, &wstatus);
  *exited_ok = ! too_big && WIFEXITED (wstatus) && WEXITSTATUS (wstatus) == 0;
  if (WIFEXITED (wstatus) && WEXITSTATUS (wstatus) == 127 && len == 0)
    return nr_make_error (err, 0, "cannot run `%s features`", runtime);
  if (buf == NULL)
    buf = xstrdup ("");
  else
    buf[len] = '\0';
  *out = steal_pointer (&buf);
  return 0;
}

/* The modes a features document lists under linux.memoryPolicy.  */
static unsigned
modes_from_features (const char *text)
{
  static const char *const path[] = { "linux", "memoryPolicy", NULL };
  cleanup_json yajl_val doc = NULL;
  yajl_val mpol, modes;
  unsigned mask = 0;

  if (nr_json_parse (text, strlen (text), &doc, NULL) < 0)
    return 0;
  mpol = nr_json_get_path (doc, path);
  if (mpol == NULL || mpol->type != yajl_t_object)
    return 0;
  modes = nr_json_get (mpol, "modes");
  /* `modes` is optional: without it, every mode of the spec is known.  */
  if (modes == NULL || modes->type != yajl_t_array)
    {
      for (size_t i = 0; i < N_OCI_MODES; i++)
        mask |= 1u << oci_modes[i].kmode;
      return mask;
    }
  for (size_t i = 0; i < modes->u.array.len; i++)
    {
      yajl_val m = modes->u.array.values[i];
      for (size_t j = 0; m && m->type == yajl_t_string && j < N_OCI_MODES; j++)
        if (strcmp (m->u.string, oci_modes[j].oci_name) == 0)
          mask |= 1u << oci_modes[j].kmode;
    }
  return mask;
}

/* ---- the cache ------------------------------------------------------------
 * One line per runtime binary: "v1 <dev> <ino> <size> <mtime s> <mtime ns>
 * <modes hex>".  Newest first, at most CACHE_MAX_ENTRIES.  Concurrent
 * writers each replace the file atomically; losing another writer's line
 * only costs one more `features` run.  */

struct identity
{
  uint64_t dev, ino, size;
  int64_t mtime_s, mtime_ns;
};

static bool
cache_lookup (const char *cache, const struct identity *id, unsigned *modes)
{
  cleanup_free char *text = NULL;
  size_t len;
  char *save = NULL;

  if (read_file (cache, 64 * 1024, &text, &len, NULL) < 0)
    return false;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct identity got;
      unsigned m;
      if (sscanf (line, "v1 %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNd64 " %" SCNd64 " %x",
                  &got.dev, &got.ino, &got.size, &got.mtime_s, &got.mtime_ns, &m)
              == 6
          && memcmp (&got, id, sizeof (got)) == 0)
        {
          *modes = m;
          return true;
        }
    }
  return false;
}

static void
cache_store (const char *cache, const struct identity *id, unsigned modes)
{
  cleanup_free char *old = NULL;
  cleanup_free char *out = NULL;
  nr_error_t err = NULL;
  size_t len = 0;
  char *save = NULL;
  int kept = 1;

  out = xasprintf ("v1 %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %x\n", id->dev,
                   id->ino, id->size, id->mtime_s, id->mtime_ns, modes);
  if (read_file (cache, 64 * 1024, &old, &len, NULL) == 0)
    for (char *line = strtok_r (old, "\n", &save); line && kept < CACHE_MAX_ENTRIES;
         line = strtok_r (NULL, "\n", &save))
      {
        uint64_t dev, ino;
        char *joined;
        /* Another version of the same file (same device and inode) is
           stale; keep the other runtimes' lines.  */
        if (sscanf (line, "v1 %" SCNu64 " %" SCNu64, &dev, &ino) != 2
            || (dev == id->dev && ino == id->ino))
          continue;
        joined = xasprintf ("%s%s\n", out, line);
        free (out);
        out = joined;
        kept++;
      }
  if (write_file_atomic (cache, out, strlen (out), 0600, false, &err) < 0)
    {
      /* The answer is still good; we only ask again next time.  */
      nr_debug ("cannot cache the runtime's features: %s", err->msg);
      nr_error_release (&err);
    }
}

int
nr_runtime_memory_policy_modes (const char *runtime, const char *cache_dir, unsigned *modes,
                                nr_error_t *err)
{
  cleanup_free char *cache = cache_dir ? xasprintf ("%s/" CACHE_FILE, cache_dir) : NULL;
  cleanup_free char *text = NULL;
  struct identity id;
  struct stat st;
  bool exited_ok = false;

  if (stat (runtime, &st) < 0)
    return nr_make_error (err, errno, "stat `%s`", runtime);
  memset (&id, 0, sizeof (id));
  id.dev = (uint64_t) st.st_dev;
  id.ino = (uint64_t) st.st_ino;
  id.size = (uint64_t) st.st_size;
  id.mtime_s = (int64_t) st.st_mtim.tv_sec;
  id.mtime_ns = (int64_t) st.st_mtim.tv_nsec;

  if (cache && cache_lookup (cache, &id, modes))
    return 0;
  if (run_features (runtime, &text, &exited_ok, err) < 0)
    return -1;
  /* A runtime too old to have `features` fails: it knows no memoryPolicy
     either.  The answer belongs to this binary, so it is cached too.  */
  *modes = exited_ok ? modes_from_features (text) : 0;
  nr_debug ("`%s features`: linux.memoryPolicy modes mask %#x", runtime, *modes);
  if (cache)
    cache_store (cache, &id, *modes);
  return 0;
}

int
nr_runtime_supports_memory_policy (const char *runtime, const char *cache_dir, bool *out,
                                   nr_error_t *err)
{
  unsigned modes = 0;

  if (nr_runtime_memory_policy_modes (runtime, cache_dir, &modes, err) < 0)
    return -1;
  *out = (modes & MODES_WE_WRITE) == MODES_WE_WRITE;
  return 0;
}

/* ---- handing it over ------------------------------------------------------ */

int
nr_mempolicy_write_spec (yajl_val spec, enum nr_mpol mode, const nr_set_t *nodes, nr_error_t *err)
{
  cleanup_free char *list = nr_set_format (nodes);
  yajl_val linux_obj, mpol;

  if (nr_set_is_empty (nodes))
    return nr_make_error (err, 0, "memory policy without nodes");
  if (nr_json_ensure_object (spec, "linux", "linux", &linux_obj, err) < 0)
    return -1;
  mpol = nr_json_new_object ();
  nr_json_set (
      mpol, "mode",
      nr_json_new_string (nr_mpol_oci_name (nr_mpol_kernel_mode (mode, nr_set_count (nodes)))));
  nr_json_set (mpol, "nodes", nr_json_new_string (list));
  nr_json_set (linux_obj, "memoryPolicy", mpol);
  return 0;
}

#define MASK_BITS (8 * sizeof (unsigned long))
#define MASK_WORDS (NR_SET_MAX / MASK_BITS)
/* The kernel reads maxnode - 1 bits (an off-by-one kept for ABI).  */
#define MAXNODE (NR_SET_MAX + 1)

int
nr_mempolicy_apply_self (enum nr_mpol mode, const nr_set_t *nodes, nr_error_t *err)
{
  unsigned long mask[MASK_WORDS] = { 0 };
  unsigned long allowed_mask[MASK_WORDS] = { 0 };
  nr_set_t allowed;
  int kmode;

  if (nr_set_is_empty (nodes))
    return nr_make_error (err, 0, "memory policy without nodes");
  for (int n = nr_set_next (nodes, 0); n >= 0; n = nr_set_next (nodes, n + 1))
    mask[n / MASK_BITS] |= 1UL << (n % MASK_BITS);

  /* The kernel refuses nodes outside our own cpuset with a bare EINVAL;
     say which.  */
  if (syscall (SYS_get_mempolicy, NULL, allowed_mask, (unsigned long) MAXNODE, NULL,
               MPOL_F_MEMS_ALLOWED)
      == 0)
    {
      nr_set_clear (&allowed);
      for (int n = 0; n < NR_SET_MAX; n++)
        if (allowed_mask[n / MASK_BITS] & (1UL << (n % MASK_BITS)))
          nr_set_add (&allowed, n);
      if (! nr_set_is_subset (nodes, &allowed))
        {
          cleanup_free char *want = nr_set_format (nodes);
          cleanup_free char *have = nr_set_format (&allowed);
          return nr_make_error (err, 0,
                                "memory policy on node(s) %s: numa-runtime itself may only use "
                                "node(s) %s (its cpuset)",
                                want, have);
        }
    }

  /* MPOL_F_STATIC_NODES: `runc init` moves into the container's cgroup,
     whose cpuset.mems is these same nodes.  Without the flag the kernel
     would remap the node mask relative to the old and new mems_allowed
     (mpol_rebind_nodemask), which for, say, nodes 1,3 out of 0-3 yields
     node 3 alone.  Static nodes are kept as given.  */
  kmode = nr_mpol_kernel_mode (mode, nr_set_count (nodes));
  if (syscall (SYS_set_mempolicy, kmode | MPOL_F_STATIC_NODES, mask, (unsigned long) MAXNODE) < 0)
    {
      cleanup_free char *want = nr_set_format (nodes);
      return nr_make_error (err, errno, "set_mempolicy (%s, node(s) %s)", nr_mpol_oci_name (kmode),
                            want);
    }
  return 0;
}

/* ---- create's use ---------------------------------------------------------- */

static char *
dir_of (const char *path)
{
  char *dir = xstrdup (path);
  char *slash = strrchr (dir, '/');

  if (slash == NULL)
    strcpy (dir, ".");
  else if (slash == dir)
    dir[1] = '\0';
  else
    *slash = '\0';
  return dir;
}

int
nr_mempolicy_prepare (yajl_val spec, const struct nr_config *config, const char *runtime,
                      const struct nr_request *req, const struct nr_placement *placement,
                      struct nr_mempolicy_plan *plan, nr_error_t *err)
{
  /* Its memory may use the tier nodes too (placement_tiers.c).  */
  const nr_set_t *nodes = nr_set_is_empty (&placement->mems) ? &placement->nodes : &placement->mems;
  static const char *const mpol_path[] = { "linux", "memoryPolicy", NULL };
  yajl_val existing = nr_json_get_path (spec, mpol_path);
  cleanup_free char *cache_dir = dir_of (config->ledger_path);
  nr_error_t probe_err = NULL;
  unsigned modes = 0;
  int kmode;

  memset (plan, 0, sizeof (*plan));
  if (nr_set_is_empty (nodes))
    return 0;
  if (existing && existing->type != yajl_t_null)
    {
      nr_debug ("container %s: keeps the linux.memoryPolicy of its spec", req->id);
      return 0;
    }
  plan->mode = nr_mempolicy_choose (config, req, placement->interleave);
  /* tiers = interleave: weighted by the kernel's weights when it has
     them (the kernel applies its own sysfs weights; [memory] weights only
     change what the ledger charges), else plain interleave.  */
  if (placement->tier_interleave && ! req->has_mpol)
    plan->mode = placement->weighted ? NR_MPOL_WEIGHTED_INTERLEAVE : NR_MPOL_INTERLEAVE;
  plan->nodes = *nodes;
  kmode = nr_mpol_kernel_mode (plan->mode, nr_set_count (nodes));

  if (nr_runtime_memory_policy_modes (runtime, cache_dir, &modes, &probe_err) < 0)
    {
      nr_warn ("container %s: %s; applying the memory policy with set_mempolicy", req->id,
               probe_err->msg);
      nr_error_release (&probe_err);
    }
  if (modes & (1u << kmode))
    return nr_mempolicy_write_spec (spec, plan->mode, nodes, err);

  if (strcmp (config->sysfs_root, "/sys") != 0)
    {
      nr_debug ("container %s: topology from %s is not this kernel's; no set_mempolicy", req->id,
                config->sysfs_root);
      return 0;
    }
  plan->apply_self = true;
  return 0;
}

void
nr_mempolicy_finish (const struct nr_mempolicy_plan *plan, const char *id)
{
  nr_error_t err = NULL;

  if (! plan->apply_self)
    return;
  if (nr_mempolicy_apply_self (plan->mode, &plan->nodes, &err) < 0)
    {
      nr_warn ("container %s: memory policy not applied (cpuset.mems still confines its "
               "memory): %s",
               id, err->msg);
      nr_error_release (&err);
    }
}
