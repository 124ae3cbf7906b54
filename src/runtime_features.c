/* numa-runtime: asking the runtime which memory policy modes it takes in
   linux.memoryPolicy (`RUNTIME features`), and remembering the answer on
   disk per runtime binary.  See runtime_features.h.  */
#include <config.h>

#include "runtime_features.h"
#include "json.h"
#include "mpol_modes.h"
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#define FEATURES_TIMEOUT_MS 10000
#define FEATURES_MAX_SIZE (1024 * 1024)
#define CACHE_FILE "runtime-features"
#define CACHE_MAX_ENTRIES 8

/* Run `RUNTIME features` and collect its stdout (at most
   FEATURES_MAX_SIZE bytes).  *EXITED_OK: it exited 0.  */
static int
run_features (const char *runtime, char **out, bool *exited_ok, nr_error_t *err)
{
  char *argv[] = { (char *) "runtime", (char *) "features", NULL };
  struct nr_spawn spec = { .path = runtime,
                           .argv = argv,
                           .capture = true,
                           .output_max = FEATURES_MAX_SIZE,
                           .timeout_ms = FEATURES_TIMEOUT_MS };
  struct nr_spawn_result result;

  if (nr_spawn (&spec, &result, err) < 0)
    return -1;
  *exited_ok = ! result.too_big && result.status == 0;
  if (result.status == 127 && result.output_len == 0)
    {
      free (result.output);
      return nr_make_error (err, 0, "cannot run `%s features`", runtime);
    }
  *out = result.output;
  return 0;
}

/* NR_MPOL_STATIC_NODES_KNOWN when FLAGS, a features document's
   linux.memoryPolicy.flags, lists MPOL_F_STATIC_NODES.  `flags` is
   optional: without it, every flag of the spec is known.  */
static unsigned
static_nodes_from_flags (yajl_val flags)
{
  if (flags == NULL || flags->type != yajl_t_array)
    return NR_MPOL_STATIC_NODES_KNOWN;
  for (size_t i = 0; i < flags->u.array.len; i++)
    {
      yajl_val f = flags->u.array.values[i];
      if (f && f->type == yajl_t_string && strcmp (f->u.string, "MPOL_F_STATIC_NODES") == 0)
        return NR_MPOL_STATIC_NODES_KNOWN;
    }
  return 0;
}

/* The modes a features document lists under linux.memoryPolicy, and
   whether it takes MPOL_F_STATIC_NODES.  */
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
  mask = static_nodes_from_flags (nr_json_get (mpol, "flags"));
  modes = nr_json_get (mpol, "modes");
  /* `modes` is optional: without it, every mode of the spec is known.  */
  if (modes == NULL || modes->type != yajl_t_array)
    {
      return mask | nr_mpol_all_modes ();
    }
  for (size_t i = 0; i < modes->u.array.len; i++)
    {
      yajl_val m = modes->u.array.values[i];
      int kmode = m && m->type == yajl_t_string ? nr_mpol_kernel_mode_of (m->u.string) : -1;
      if (kmode >= 0)
        mask |= 1u << kmode;
    }
  return mask;
}

/* ---- the cache ------------------------------------------------------------
 * One line per runtime binary: "v2 <dev> <ino> <size> <mtime s> <mtime ns>
 * <modes hex>" (v1 lines, from before the mask said whether the runtime
 * takes MPOL_F_STATIC_NODES, are asked again).  Newest first, at most
 * CACHE_MAX_ENTRIES.  Concurrent
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
      if (sscanf (line, "v2 %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNd64 " %" SCNd64 " %x",
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

  out = xasprintf ("v2 %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %x\n", id->dev,
                   id->ino, id->size, id->mtime_s, id->mtime_ns, modes);
  if (read_file (cache, 64 * 1024, &old, &len, NULL) == 0)
    for (char *line = strtok_r (old, "\n", &save); line && kept < CACHE_MAX_ENTRIES;
         line = strtok_r (NULL, "\n", &save))
      {
        uint64_t dev, ino;
        char *joined;
        /* Another version of the same file (same device and inode) is
           stale; keep the other runtimes' lines.  */
        if (sscanf (line, "v2 %" SCNu64 " %" SCNu64, &dev, &ino) != 2
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
  *out = (modes & nr_mpol_modes_we_write ()) == nr_mpol_modes_we_write ();
  return 0;
}
