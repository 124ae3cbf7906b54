/* fast-runtime: a stand-in for runc that costs next to nothing, for the
 * ledger tests, stress runs and benchmarks.
 *
 * It keeps state the way runc does, as far as numa-runtime looks at it:
 *   create|run ID   writes <root>/<id>/state.json holding the id and a
 *                   "bundle=<absolute bundle>" label under config.labels,
 *                   then exits 0
 *   delete ID       removes <root>/<id> (fails with 1 when it is absent,
 *                   unless --force)
 *   anything else   exits 0
 * Global flags as runc (--root X, --root=X, -root X, ...); the root
 * defaults to /run/runc.  Environment, for tests:
 *   FAST_RUNTIME_CREATE_SLEEP_MS  sleep this long in create before writing
 *                                 the state (a slow runc create)
 *   FAST_RUNTIME_CREATE_STATUS    exit with this status from create without
 *                                 writing any state (a failed runc create)
 *   FAST_RUNTIME_NO_STATE=1       write no state at all (a bare /bin/true)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int
die (const char *what, const char *arg)
{
  fprintf (stderr, "fast-runtime: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
  return 1;
}

/* Flag NAME (without dashes) given as ARGV[*I]: "-name", "--name",
   "-name=v", "--name=v".  Returns the value (moving *I past a separate
   one) or NULL when ARGV[*I] is not that flag.  */
static const char *
flag_value (char **argv, int argc, int *i, const char *name)
{
  const char *a = argv[*i];
  size_t n = strlen (name);

  if (a[0] != '-')
    return NULL;
  a += a[1] == '-' ? 2 : 1;
  if (strncmp (a, name, n) != 0)
    return NULL;
  if (a[n] == '=')
    return a + n + 1;
  if (a[n] != '\0' || *i + 1 >= argc)
    return NULL;
  return argv[++*i];
}

static int
create (const char *root, const char *bundle, const char *id)
{
  const char *sleep_ms = getenv ("FAST_RUNTIME_CREATE_SLEEP_MS");
  const char *status = getenv ("FAST_RUNTIME_CREATE_STATUS");
  char dir[PATH_MAX], path[PATH_MAX + 16], abs_bundle[PATH_MAX], text[2 * PATH_MAX + 128];
  int fd, len;

  if (sleep_ms && atoi (sleep_ms) > 0)
    {
      struct timespec ts = { atoi (sleep_ms) / 1000, (atoi (sleep_ms) % 1000) * 1000000L };
      while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
        ;
    }
  if (status && atoi (status) != 0)
    {
      fprintf (stderr, "fast-runtime: create %s failed (FAST_RUNTIME_CREATE_STATUS)\n", id);
      return atoi (status);
    }
  if (getenv ("FAST_RUNTIME_NO_STATE"))
    return 0;
  if (realpath (bundle, abs_bundle) == NULL)
    return die ("bundle", bundle);
  snprintf (dir, sizeof (dir), "%s/%s", root, id);
  snprintf (path, sizeof (path), "%s/state.json", dir);
  mkdir (root, 0711);
  if (mkdir (dir, 0711) < 0)
    return die (errno == EEXIST ? "container already exists" : "mkdir", dir);
  len = snprintf (text, sizeof (text),
                  "{\"id\":\"%s\",\"init_process_pid\":%d,\"config\":{\"labels\":"
                  "[\"bundle=%s\"]}}\n",
                  id, (int) getpid (), abs_bundle);
  fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write (fd, text, (size_t) len) != len || close (fd) < 0)
    return die ("write", path);
  return 0;
}

static int
delete (const char *root, const char *id, int force)
{
  char dir[PATH_MAX], path[PATH_MAX + 16];

  if (getenv ("FAST_RUNTIME_NO_STATE"))
    return 0;
  snprintf (dir, sizeof (dir), "%s/%s", root, id);
  snprintf (path, sizeof (path), "%s/state.json", dir);
  unlink (path);
  if (rmdir (dir) < 0 && ! (force && errno == ENOENT))
    return die (errno == ENOENT ? "container does not exist" : "rmdir", id);
  return 0;
}

int
main (int argc, char **argv)
{
  const char *root = "/run/runc", *bundle = ".", *cmd = NULL, *id = NULL, *v;
  int force = 0;
  int i;

  for (i = 1; i < argc && argv[i][0] == '-'; i++)
    {
      if ((v = flag_value (argv, argc, &i, "root")))
        root = v;
      else if (flag_value (argv, argc, &i, "log") || flag_value (argv, argc, &i, "log-format")
               || flag_value (argv, argc, &i, "criu") || flag_value (argv, argc, &i, "rootless"))
        continue;
    }
  if (i >= argc)
    return 0; /* --version and friends */
  cmd = argv[i++];
  for (; i < argc; i++)
    {
      if ((v = flag_value (argv, argc, &i, "bundle")) || (v = flag_value (argv, argc, &i, "b")))
        bundle = v;
      else if (flag_value (argv, argc, &i, "pid-file")
               || flag_value (argv, argc, &i, "console-socket"))
        continue;
      else if (strcmp (argv[i], "--force") == 0 || strcmp (argv[i], "-f") == 0)
        force = 1;
      else if (argv[i][0] != '-' && id == NULL)
        id = argv[i];
    }
  if (strcmp (cmd, "create") == 0 || strcmp (cmd, "run") == 0)
    return id ? create (root, bundle, id) : die ("container id cannot be empty", NULL);
  if (strcmp (cmd, "delete") == 0)
    return id ? delete (root, id, force) : die ("container id cannot be empty", NULL);
  return 0;
}
