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
  if (start > 0
      ? nr_process_start_time (ctx->config->proc_root, (int) pid) != (uint64_t) start
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
