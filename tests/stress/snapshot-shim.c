/* snapshot-shim.so: LD_PRELOAD'ed into numa-runtime by the parallel stress
 * test, keeps a copy of every ledger version numa-runtime commits.
 *
 * The ledger at P is an index plus shard files under P.d (docs/LEDGER.md).
 * numa-runtime commits by rename (P.tmp, P) while holding the ledger's
 * flock; at that moment P.tmp holds the new index and every shard file it
 * lists exists (superseded ones are unlinked only after the rename).  So
 * copying the index from P.tmp and the files it lists, just before that
 * rename, under the same lock, records every committed version exactly
 * once and in commit order, as a directory laid out like P's own:
 *   $NR_SNAPSHOT_DIR/<sequence>/<basename of P>      the index
 *   $NR_SNAPSHOT_DIR/<sequence>/<each "file" it lists, e.g. P.d/07-42.json>
 * Shard files are written once and never modified, so a hard link is a
 * faithful copy (the file is copied when it cannot be linked).  A listed
 * file that does not exist at the rename is left out, which the reader of
 * the snapshot reports.  Test-only; numa-runtime itself has no hook for
 * this.
 *   NR_SNAPSHOT_LEDGER  the ledger path P exactly as in the config
 *   NR_SNAPSHOT_DIR     where the snapshots go (must exist)
 *   NR_SNAPSHOT_MARKERS a directory whose file names are listed, one a
 *                       line, in $NR_SNAPSHOT_DIR/<sequence>.markers with
 *                       each snapshot (the stress test marks containers it
 *                       started deleting)
 * rename, renameat and renameat2 are all watched; a relative path is taken
 * from the current directory or the directory file descriptor.  */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "A/B" into OUT; false when it does not fit (the file is then left out of
   the snapshot, and the check reports it).  */
static int
join (char *out, size_t size, const char *a, const char *b)
{
  int n = snprintf (out, size, "%s/%s", a, b);
  return n >= 0 && (size_t) n < size;
}

static int
copy_file (const char *from, const char *to)
{
  char buf[65536];
  int in = open (from, O_RDONLY | O_CLOEXEC);
  int out = in < 0 ? -1 : open (to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  ssize_t r = -1;

  while (in >= 0 && out >= 0 && (r = read (in, buf, sizeof (buf))) > 0)
    if (write (out, buf, (size_t) r) != r)
      {
        r = -1;
        break;
      }
  if (in >= 0)
    close (in);
  if (out >= 0)
    close (out);
  return in >= 0 && out >= 0 && r == 0 ? 0 : -1;
}

/* The whole of FROM, NUL-terminated, or NULL.  */
static char *
read_file (const char *from)
{
  size_t len = 0, size = 65536;
  char *text = malloc (size);
  int in = open (from, O_RDONLY | O_CLOEXEC);
  ssize_t r;

  if (text == NULL || in < 0)
    {
      free (text);
      if (in >= 0)
        close (in);
      return NULL;
    }
  while ((r = read (in, text + len, size - len - 1)) > 0)
    {
      len += (size_t) r;
      if (size - len - 1 == 0)
        {
          char *bigger = realloc (text, size * 2);
          if (bigger == NULL)
            break;
          text = bigger;
          size *= 2;
        }
    }
  close (in);
  text[len] = '\0';
  return text;
}

static int
write_file (const char *to, const char *text)
{
  int out = open (to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  size_t len = strlen (text);
  int ok;

  if (out < 0)
    return -1;
  ok = write (out, text, len) == (ssize_t) len;
  return close (out) == 0 && ok ? 0 : -1;
}

/* mkdir -p of the directory part of PATH below BASE (BASE exists).  */
static void
make_parents (const char *base, const char *rel)
{
  char path[PATH_MAX];
  const char *slash;

  for (slash = strchr (rel, '/'); slash; slash = strchr (slash + 1, '/'))
    {
      int n = snprintf (path, sizeof (path), "%s/%.*s", base, (int) (slash - rel), rel);
      if (n < 0 || (size_t) n >= sizeof (path) || (mkdir (path, 0700) < 0 && errno != EEXIST))
        return;
    }
}

/* Link (else copy) every file the index TEXT lists ("file":"<path relative
   to the ledger's directory>") from LEDGER_DIR into SNAP.  */
static void
snapshot_shards (const char *text, const char *ledger_dir, const char *snap)
{
  static const char key[] = "\"file\":\"";
  const char *p;

  for (p = strstr (text, key); p; p = strstr (p, key))
    {
      char rel[PATH_MAX], from[PATH_MAX], to[PATH_MAX];
      size_t n = 0;

      for (p += sizeof (key) - 1; *p && *p != '"' && n < sizeof (rel) - 1; p++)
        {
          if (*p == '\\' && p[1] == '/')
            p++; /* "\/" is a JSON spelling of "/" */
          rel[n++] = *p;
        }
      rel[n] = '\0';
      if (n == 0 || rel[0] == '/' || strstr (rel, "..") != NULL)
        continue; /* not a path this shim should touch; the check reports it */
      if (! join (from, sizeof (from), ledger_dir, rel) || ! join (to, sizeof (to), snap, rel))
        continue;
      make_parents (snap, rel);
      if (link (from, to) < 0 && errno != EEXIST)
        copy_file (from, to);
    }
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
  char path[PATH_MAX], buf[32] = "";
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

/* PATH as seen from directory descriptor DIRFD, in OUT.  */
static const char *
resolve (int dirfd, const char *path, char *out, size_t size)
{
  char link[64], dir[PATH_MAX];
  ssize_t n;

  if (path[0] == '/' || dirfd == AT_FDCWD)
    return path;
  snprintf (link, sizeof (link), "/proc/self/fd/%d", dirfd);
  n = readlink (link, dir, sizeof (dir) - 1);
  if (n < 0)
    return path;
  dir[n] = '\0';
  return join (out, size, dir, path) ? out : path;
}

/* LEDGER with its directory part resolved (the directory exists at every
   commit), in OUT: numa-runtime may name the ledger relative to an open
   directory, whose path the kernel gives in canonical form.  */
static const char *
canonical (const char *ledger, char *out, size_t size)
{
  const char *slash = strrchr (ledger, '/');
  char dir[PATH_MAX], real[PATH_MAX];

  if (slash == NULL)
    return ledger;
  snprintf (dir, sizeof (dir), "%.*s", slash == ledger ? 1 : (int) (slash - ledger), ledger);
  if (realpath (dir, real) == NULL)
    return ledger;
  return join (out, size, strcmp (real, "/") == 0 ? "" : real, slash + 1) ? out : ledger;
}

/* Called before every rename; snapshots when NEWPATH is the ledger.  */
static void
maybe_snapshot (int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
  const char *ledger = getenv ("NR_SNAPSHOT_LEDGER");
  const char *dir = getenv ("NR_SNAPSHOT_DIR");
  const char *markers = getenv ("NR_SNAPSHOT_MARKERS");
  char old_buf[PATH_MAX], new_buf[PATH_MAX], canon_buf[PATH_MAX], snap[PATH_MAX], to[PATH_MAX];
  char ledger_dir[PATH_MAX];
  const char *base, *index_path, *target;
  unsigned long seq;
  char *text;
  int saved = errno;

  if (ledger == NULL || dir == NULL)
    return;
  target = resolve (newdirfd, newpath, new_buf, sizeof (new_buf));
  if (strcmp (target, ledger) != 0
      && strcmp (target, canonical (ledger, canon_buf, sizeof (canon_buf))) != 0)
    return;
  index_path = resolve (olddirfd, oldpath, old_buf, sizeof (old_buf));
  base = strrchr (ledger, '/');
  snprintf (ledger_dir, sizeof (ledger_dir), "%.*s", base ? (int) (base - ledger) : 1,
            base ? ledger : ".");
  base = base ? base + 1 : ledger;

  seq = next_sequence (dir);
  if (markers)
    {
      snprintf (to, sizeof (to), "%s/%08lu.markers", dir, seq);
      list_markers (markers, to);
    }
  snprintf (snap, sizeof (snap), "%s/%08lu", dir, seq);
  mkdir (snap, 0700);
  text = join (to, sizeof (to), snap, base) ? read_file (index_path) : NULL;
  if (text)
    {
      write_file (to, text);
      snapshot_shards (text, ledger_dir, snap);
      free (text);
    }
  errno = saved;
}

int
rename (const char *oldpath, const char *newpath)
{
  static int (*real) (const char *, const char *);

  if (real == NULL)
    real = (int (*) (const char *, const char *)) dlsym (RTLD_NEXT, "rename");
  maybe_snapshot (AT_FDCWD, oldpath, AT_FDCWD, newpath);
  return real (oldpath, newpath);
}

int
renameat (int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
  static int (*real) (int, const char *, int, const char *);

  if (real == NULL)
    real = (int (*) (int, const char *, int, const char *)) dlsym (RTLD_NEXT, "renameat");
  maybe_snapshot (olddirfd, oldpath, newdirfd, newpath);
  return real (olddirfd, oldpath, newdirfd, newpath);
}

int
renameat2 (int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)
{
  static int (*real) (int, const char *, int, const char *, unsigned int);

  if (real == NULL)
    real = (int (*) (int, const char *, int, const char *, unsigned int)) dlsym (RTLD_NEXT,
                                                                                 "renameat2");
  maybe_snapshot (olddirfd, oldpath, newdirfd, newpath);
  return real (olddirfd, oldpath, newdirfd, newpath, flags);
}
