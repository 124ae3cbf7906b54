/* numa-runtime: finding and running the real OCI runtime.  */
#include <config.h>

#include "runtime.h"
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

static bool
is_executable (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISREG (st.st_mode) && access (path, X_OK) == 0;
}

/* True when PATH is the binary we are running from.  */
static bool
is_self (const char *path)
{
  struct stat self, other;

  if (stat ("/proc/self/exe", &self) < 0 || stat (path, &other) < 0)
    return false;
  return self.st_dev == other.st_dev && self.st_ino == other.st_ino;
}

static char *
search_path (const char *name)
{
  const char *env = getenv ("PATH");
  cleanup_free char *copy =
      xstrdup (env && *env ? env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  char *save = NULL;

  for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      cleanup_free char *candidate = xasprintf ("%s/%s", *dir ? dir : ".", name);
      /* A `runc` on PATH that is really us (installed under that name)
         would exec itself forever.  */
      if (is_executable (candidate) && ! is_self (candidate))
        return steal_pointer (&candidate);
    }
  return NULL;
}

int
nr_runtime_resolve (const struct nr_config *config, char **path, nr_error_t *err)
{
  static const char *const candidates[] = { "runc", "crun", NULL };
  const char *configured = config->runtime_path;

  if (configured)
    {
      cleanup_free char *found =
          strchr (configured, '/') ? xstrdup (configured) : search_path (configured);
      if (found == NULL || ! is_executable (found))
        return nr_make_error (err, found ? errno : 0,
                              "the runtime `%s` ([runtime] path) is not an executable file",
                              configured);
      if (is_self (found))
        return nr_make_error (err, 0,
                              "the runtime `%s` ([runtime] path) is numa-runtime itself; "
                              "set it to the real runc or crun",
                              configured);
      *path = steal_pointer (&found);
      return 0;
    }
  for (const char *const *c = candidates; *c; c++)
    if ((*path = search_path (*c)))
      return 0;
  return nr_make_error (err, 0,
                        "no OCI runtime found: neither runc nor crun is on PATH; "
                        "set [runtime] path in the config file");
}

const char *
nr_runtime_argv0 (const char *runtime, const char *our_argv0)
{
  const char *slash = strrchr (runtime, '/');

  if ((our_argv0 && strchr (our_argv0, '/')) || slash == NULL)
    return runtime;
  return slash + 1;
}

int
nr_runtime_exec (const char *runtime, char **argv, nr_error_t *err)
{
  /* argv[0] names the runtime so its own messages read as usual.  */
  char *argv0 = argv[0];
  int saved;

  argv[0] = (char *) nr_runtime_argv0 (runtime, argv0);
  execv (runtime, argv);
  saved = errno;
  argv[0] = argv0; /* still the caller's array */
  return nr_make_error (err, saved, "exec `%s`", runtime);
}

int
nr_runtime_run (const char *runtime, char **argv, int *status, nr_error_t *err)
{
  struct nr_spawn spec = { .path = runtime,
                           .argv = argv,
                           .argv0 = nr_runtime_argv0 (runtime, argv[0]) };
  struct nr_spawn_result result;

  if (nr_spawn (&spec, &result, err) < 0)
    return -1;
  *status = result.status;
  return 0;
}
