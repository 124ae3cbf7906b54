/* snapshot-shim.so: LD_PRELOAD'ed into numa-runtime by the parallel stress
 * test, keeps a copy of every ledger version numa-runtime commits.
 *
 * numa-runtime commits by rename (<ledger>.tmp, <ledger>) while holding the
 * ledger's flock, so copying the temp file just before that rename, under
 * the same lock, records every committed version exactly once and in commit
 * order: $NR_SNAPSHOT_DIR/<sequence>.json.  Test-only; numa-runtime itself
 * has no hook for this.
 *   NR_SNAPSHOT_LEDGER  the ledger path exactly as in the config
 *   NR_SNAPSHOT_DIR     where the copies go (must exist)
 *   NR_SNAPSHOT_MARKERS a directory whose file names are listed, one a
 *                       line, in <sequence>.markers with each copy (the
 *                       stress test marks containers it started deleting)  */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
copy_file (const char *from, const char *to)
{
  char buf[65536];
  int in = open (from, O_RDONLY | O_CLOEXEC);
  int out = open (to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  ssize_t r;

  while (in >= 0 && out >= 0 && (r = read (in, buf, sizeof (buf))) > 0)
    if (write (out, buf, (size_t) r) != r)
      break;
  if (in >= 0)
    close (in);
  if (out >= 0)
    close (out);
}

static void
list_markers (const char *markers, const char *to)
{
  DIR *d = opendir (markers);
  FILE *out = fopen (to, "we");
  struct dirent *de;

  while (d && out && (de = readdir (d)) != NULL)
    if (de->d_name[0] != '.')
      fprintf (out, "%s\n", de->d_name);
  if (d)
    closedir (d);
  if (out)
    fclose (out);
}

/* The next sequence number, from DIR/seq (safe: we run under the lock).  */
static unsigned long
next_sequence (const char *dir)
{
  char path[4096], buf[32] = "";
  unsigned long seq;
  int fd;
  ssize_t r;

  snprintf (path, sizeof (path), "%s/seq", dir);
  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return 0;
  r = pread (fd, buf, sizeof (buf) - 1, 0);
  buf[r > 0 ? r : 0] = '\0';
  seq = strtoul (buf, NULL, 10) + 1;
  r = snprintf (buf, sizeof (buf), "%lu\n", seq);
  if (pwrite (fd, buf, (size_t) r, 0) != r)
    seq = 0;
  close (fd);
  return seq;
}

int
rename (const char *oldpath, const char *newpath)
{
  static int (*real_rename) (const char *, const char *);
  const char *ledger = getenv ("NR_SNAPSHOT_LEDGER");
  const char *dir = getenv ("NR_SNAPSHOT_DIR");

  if (real_rename == NULL)
    real_rename = (int (*) (const char *, const char *)) dlsym (RTLD_NEXT, "rename");
  if (ledger && dir && strcmp (newpath, ledger) == 0)
    {
      const char *markers = getenv ("NR_SNAPSHOT_MARKERS");
      unsigned long seq = next_sequence (dir);
      char to[4096];

      if (markers)
        {
          snprintf (to, sizeof (to), "%s/%08lu.markers", dir, seq);
          list_markers (markers, to);
        }
      snprintf (to, sizeof (to), "%s/%08lu.json", dir, seq);
      copy_file (oldpath, to);
    }
  return real_rename (oldpath, newpath);
}
