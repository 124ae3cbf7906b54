/* numa-runtime: a placed container's init and cgroups.  See enforced.h.  */
#include <config.h>

#include "enforced.h"

#include "json.h"
#include "reclaim.h"
#include "spec.h"
#include "util.h"

#include <string.h>
#include <unistd.h>

/* runc's state.json embeds the whole container config (as rebuild.c
   reads it); crun's status file is a few hundred bytes.  */
#define RUNTIME_STATE_MAX_SIZE (4 * NR_SPEC_MAX_SIZE)

void
nr_enforced_ctx_init (struct nr_enforced_ctx *ctx, const struct nr_config *config)
{
  long page = sysconf (_SC_PAGESIZE);

  ctx->config = config;
  ctx->layout = nr_cgroup_layout (config->cgroup_root);
  ctx->page_size = page > 0 ? (uint64_t) page : 4096;
}

static long long
json_int (yajl_val obj, const char *key)
{
  yajl_val v = nr_json_get (obj, key);
  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
}

/* The pid (and, when recorded, the start time) that the state file FILE
   of E's runtime names under PID_KEY and START_KEY; 0 when it cannot be
   read or names none.  */
static int
pid_from_state (const struct nr_enforced_ctx *ctx, const struct nr_ledger_entry *e,
                const char *file, const char *pid_key, const char *start_key)
{
  cleanup_free char *path = xasprintf ("%s/%s/%s", e->root, e->id, file);
  cleanup_free char *text = NULL;
  cleanup_json yajl_val state = NULL;
  long long pid, start;
  size_t len;

  if (read_file (path, RUNTIME_STATE_MAX_SIZE, &text, &len, NULL) < 0
      || nr_json_parse (text, len, &state, NULL) < 0)
    return 0;
  pid = json_int (state, pid_key);
  start = json_int (state, start_key);
  if (pid <= 0 || pid > INT32_MAX)
    return 0;
  /* A recycled pid is another process: trust it only with the start time
     the runtime saw, when it recorded one.  */
  if (start > 0 ? nr_process_start_time (ctx->config->proc_root, (int) pid) != (uint64_t) start
                : nr_process_start_time (ctx->config->proc_root, (int) pid) == 0)
    return 0;
  return (int) pid;
}

int
nr_enforced_init_pid (const struct nr_enforced_ctx *ctx, const struct nr_ledger_entry *e)
{
  int pid;

  if (e->root == NULL || e->id == NULL || strchr (e->id, '/'))
    return 0;
  pid = pid_from_state (ctx, e, "state.json", "init_process_pid", "init_process_start");
  if (pid == 0)
    pid = pid_from_state (ctx, e, "status", "pid", "process-start-time");
  return pid;
}

char *
nr_enforced_cgroup_dir (const struct nr_enforced_ctx *ctx, const struct nr_ledger_entry *e,
                        const char *controller, int *pid)
{
  cleanup_free char *rel = nr_cgroup_from_spec (e->cgroup);
  char *dir;

  if (ctx->layout == NR_CGROUP_UNKNOWN)
    return NULL;
  /* The spec's path when it is one the kernel took as written: no state
     file to parse, which is what keeps 200 containers cheap.  */
  if (rel)
    {
      dir = nr_cgroup_dir (ctx->config->cgroup_root, ctx->layout, controller, rel);
      if (access (dir, F_OK) == 0)
        return dir;
      free (dir);
    }
  if (*pid < 0)
    *pid = nr_enforced_init_pid (ctx, e);
  free (rel);
  rel = *pid > 0 ? nr_cgroup_of_pid (ctx->config->proc_root, *pid, ctx->layout, controller) : NULL;
  return rel ? nr_cgroup_dir (ctx->config->cgroup_root, ctx->layout, controller, rel) : NULL;
}

/* Largest /proc/PID/environ read: the kernel's own bound on a process's
   arguments and environment together (ARG_MAX, 2 MiB with the default
   stack limit) is far above what a container's init carries.  */
#define ENVIRON_MAX_SIZE (2 * 1024 * 1024)

static int
parse_list (const char *text, size_t len, const char *what, nr_set_t *out, nr_error_t *err)
{
  cleanup_free char *list = xstrndup (text, len);

  if (nr_set_parse (list, out, err) < 0)
    return nr_error_wrap (err, "%s", what);
  return 1;
}

static int
read_cpuset (const struct nr_enforced_ctx *ctx, const struct nr_ledger_entry *e, bool mems,
             int *pid, nr_set_t *out, nr_error_t *err)
{
  cleanup_free char *dir = nr_enforced_cgroup_dir (ctx, e, "cpuset", pid);
  const char *file = ctx->layout == NR_CGROUP_V2
                         ? (mems ? "cpuset.mems.effective" : "cpuset.cpus.effective")
                         : (mems ? "cpuset.effective_mems" : "cpuset.effective_cpus");
  cleanup_free char *path = NULL;
  char buf[16384];

  if (dir == NULL)
    return 0;
  path = xasprintf ("%s/%s", dir, file);
  if (read_small_file (path, buf, sizeof (buf)) < 0)
    return 0;
  return parse_list (buf, strlen (buf), path, out, err);
}

/* NUMA_NODE=... in PID's environment (NUL-separated).  */
static int
read_numa_node (const struct nr_enforced_ctx *ctx, int pid, nr_set_t *out, nr_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%d/environ", ctx->config->proc_root, pid);
  cleanup_free char *text = NULL;
  size_t len;

  if (read_file (path, ENVIRON_MAX_SIZE, &text, &len, NULL) < 0)
    return 0;
  for (size_t i = 0; i < len; i += strlen (text + i) + 1)
    if (strncmp (text + i, "NUMA_NODE=", 10) == 0)
      return parse_list (text + i + 10, strlen (text + i + 10), "NUMA_NODE", out, err);
  return 0;
}

/* A line "KEY:\tLIST" of PID's status.  */
static int
read_mems_allowed (const struct nr_enforced_ctx *ctx, int pid, nr_set_t *out, nr_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%d/status", ctx->config->proc_root, pid);
  cleanup_free char *text = NULL;
  const char *line, *end;
  size_t len;

  if (read_file (path, 64 * 1024, &text, &len, NULL) < 0)
    return 0;
  line = strstr (text, "\nMems_allowed_list:");
  if (line == NULL)
    return 0;
  line += strlen ("\nMems_allowed_list:");
  line += strspn (line, " \t");
  end = strchrnul (line, '\n');
  return parse_list (line, (size_t) (end - line), "Mems_allowed_list", out, err);
}

/* The policy of the first mapping in PID's numa_maps ("<addr> bind:0-1
   ..."), which is the process's own unless that mapping has one: the
   nodes after the colon of bind, interleave, preferred, ...  */
static int
read_policy_nodes (const struct nr_enforced_ctx *ctx, int pid, nr_set_t *out, nr_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%d/numa_maps", ctx->config->proc_root, pid);
  char buf[4096];
  const char *policy, *colon;
  size_t n;

  if (read_small_file (path, buf, sizeof (buf)) < 0 || (policy = strchr (buf, ' ')) == NULL)
    return 0;
  policy++;
  n = strcspn (policy, " \n");
  colon = memchr (policy, ':', n);
  if (colon == NULL)
    return 0; /* default, local */
  /* "interleave=static:0-1" and "bind=relative:0" carry flags.  */
  return parse_list (colon + 1, n - (size_t) (colon + 1 - policy), "numa_maps policy", out, err);
}

int
nr_enforced_read (const struct nr_enforced_ctx *ctx, const struct nr_ledger_entry *e,
                  enum nr_enforced_what what, int *pid, nr_set_t *out, nr_error_t *err)
{
  nr_set_clear (out);
  if (what == NR_ENFORCED_CPUS || what == NR_ENFORCED_MEMS)
    return read_cpuset (ctx, e, what == NR_ENFORCED_MEMS, pid, out, err);
  if (*pid < 0)
    *pid = nr_enforced_init_pid (ctx, e);
  if (*pid <= 0)
    return 0;
  switch (what)
    {
    case NR_ENFORCED_NUMA_NODE:
      return read_numa_node (ctx, *pid, out, err);
    case NR_ENFORCED_MEMS_ALLOWED:
      return read_mems_allowed (ctx, *pid, out, err);
    case NR_ENFORCED_POLICY_NODES:
      return read_policy_nodes (ctx, *pid, out, err);
    default:
      return 0;
    }
}
