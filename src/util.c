/* numa-runtime: memory, cleanup attributes and file helpers.  */
#include <config.h>

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

void
cleanup_freep (void *p)
{
  free (*(void **) p);
}

void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}

void
cleanup_fclosep (FILE **f)
{
  if (*f != NULL)
    fclose (*f);
}

void
cleanup_closedirp (DIR **d)
{
  if (*d != NULL)
    closedir (*d);
}

void
cleanup_strvp (void *p)
{
  char **strv = *(char ***) p;
  if (strv == NULL)
    return;
  for (char **s = strv; *s; s++)
    free (*s);
  free (strv);
}

static void
out_of_memory (void)
{
  static const char msg[] = "numa-runtime: out of memory\n";
  if (write (STDERR_FILENO, msg, sizeof (msg) - 1) < 0)
    _exit (1);
  abort ();
}

void *
xmalloc (size_t size)
{
  void *p = malloc (size ? size : 1);
  if (p == NULL)
    out_of_memory ();
  return p;
}

void *
xmalloc0 (size_t size)
{
  void *p = calloc (1, size ? size : 1);
  if (p == NULL)
    out_of_memory ();
  return p;
}

void *
xrealloc (void *ptr, size_t size)
{
  void *p = realloc (ptr, size ? size : 1);
  if (p == NULL)
    out_of_memory ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *p = strdup (s);
  if (p == NULL)
    out_of_memory ();
  return p;
}

char *
nr_shown (const char *text, size_t max)
{
  size_t len = strnlen (text, max);
  char *out = xmalloc (len + sizeof ("..."));

  for (size_t i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) text[i];
      out[i] = (char) (c >= 0x20 && c < 0x7f && c != '`' ? c : '?');
    }
  strcpy (out + len, text[len] ? "..." : "");
  return out;
}

char *
nr_path_dir (const char *path)
{
  cleanup_free char *copy = xstrdup (path);
  return xstrdup (dirname (copy));
}

char *
xstrndup (const char *s, size_t n)
{
  char *p = strndup (s, n);
  if (p == NULL)
    out_of_memory ();
  return p;
}

char *
xmemdup (const char *s, size_t n)
{
  char *p = xmalloc (n + 1);

  memcpy (p, s, n);
  p[n] = '\0';
  return p;
}

char *
xasprintf (const char *fmt, ...)
{
  char *out;
  va_list ap;

  va_start (ap, fmt);
  out = try_vasprintf (fmt, ap);
  va_end (ap);
  if (out == NULL)
    out_of_memory ();
  return out;
}

char *
try_vasprintf (const char *fmt, va_list ap)
{
  char *out = NULL;

  if (vasprintf (&out, fmt, ap) < 0)
    return NULL;
  return out;
}

int
read_fd (int fd, size_t max_size, const char *what, char **out, size_t *len, nr_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t used = 0, cap = 0;

  for (;;)
    {
      ssize_t n;

      if (used + 4096 + 1 > cap)
        {
          cap = cap ? cap * 2 : 16384;
          buf = xrealloc (buf, cap);
        }
      n = read (fd, buf + used, cap - used - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return nr_make_error (err, errno, "read %s", what);
      if (n == 0)
        break;
      used += (size_t) n;
      if (used > max_size)
        return nr_make_error (err, 0, "%s is over the limit of %zu bytes", what, max_size);
    }
  buf[used] = '\0';
  *len = used;
  *out = steal_pointer (&buf);
  return 0;
}

int
read_file (const char *path, size_t max_size, char **out, size_t *len, nr_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *what = NULL;
  struct stat st;

  /* Non-blocking: opening a FIFO for reading would wait for a writer.
     Not through a symbolic link: the files read this way (the runtime
     features cache in the ledger directory, a container's state.json,
     update's --resources, which the runtime reads its own way when we
     cannot) are never links, and one there is someone else's doing.  */
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
  if (fd < 0)
    return nr_make_error (err, errno, "open `%s`", path);
  if (fstat (fd, &st) < 0)
    return nr_make_error (err, errno, "stat `%s`", path);
  if (! S_ISREG (st.st_mode))
    return nr_make_error (err, 0, "`%s` is not a regular file", path);
  if ((size_t) st.st_size > max_size)
    return nr_make_error (err, 0, "`%s` is %lld bytes, over the limit of %zu", path,
                          (long long) st.st_size, max_size);
  what = xasprintf ("`%s`", path);
  return read_fd (fd, max_size, what, out, len, err);
}

int
open_regular (const char *path, int flags)
{
  int fd = open (path, flags | O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  struct stat st;

  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0 || ! S_ISREG (st.st_mode))
    {
      int saved = fstat (fd, &st) < 0 ? errno : S_ISDIR (st.st_mode) ? EISDIR : EINVAL;
      close (fd);
      errno = saved;
      return -1;
    }
  return fd;
}

FILE *
fopen_regular (const char *path)
{
  int fd = open_regular (path, 0);
  FILE *f;

  if (fd < 0)
    return NULL;
  f = fdopen (fd, "re");
  if (f == NULL)
    close (fd);
  return f;
}

int
read_small_file (const char *path, char *buf, size_t size)
{
  cleanup_close int fd = open_regular (path, 0);
  ssize_t r;

  if (fd < 0)
    return -1;
  do
    r = read (fd, buf, size - 1);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -1;
  buf[r] = '\0';
  while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == ' '))
    buf[--r] = '\0';
  return 0;
}

int
write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;

  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return -1;
      p += w;
      len -= (size_t) w;
    }
  return 0;
}

static int
fsync_parent_dir (const char *path)
{
  cleanup_free char *copy = xstrdup (path);
  cleanup_close int dfd = open (dirname (copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (dfd < 0 || fsync (dfd) < 0)
    return -1;
  return 0;
}

int
write_file_atomic (const char *path, const void *data, size_t len, mode_t mode, bool sync,
                   nr_error_t *err)
{
  cleanup_free char *tmp = xasprintf ("%s.tmp.%d", path, (int) getpid ());
  cleanup_close int fd = -1;

  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0 && errno == EEXIST)
    {
      /* A previous process with our pid died half-way: its temp file is
         garbage by definition.  */
      unlink (tmp);
      fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    }
  if (fd < 0)
    return nr_make_error (err, errno, "create `%s`", tmp);
  /* The umask must not narrow the mode we were asked to keep.  */
  if (fchmod (fd, mode) < 0 || write_all (fd, data, len) < 0 || (sync && fsync (fd) < 0))
    {
      int saved = errno;
      unlink (tmp);
      return nr_make_error (err, saved, "write `%s`", tmp);
    }
  if (close (fd) < 0)
    {
      int saved = errno;
      fd = -1;
      unlink (tmp);
      return nr_make_error (err, saved, "close `%s`", tmp);
    }
  fd = -1;
  if (rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return nr_make_error (err, saved, "rename `%s` to `%s`", tmp, path);
    }
  if (sync && fsync_parent_dir (path) < 0)
    return nr_make_error (err, errno, "fsync the directory of `%s`", path);
  return 0;
}

int
mkdir_parents (const char *path, mode_t mode, nr_error_t *err)
{
  cleanup_free char *copy = xstrdup (path);

  for (char *p = copy + 1; *p; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (copy, mode) < 0 && errno != EEXIST)
        return nr_make_error (err, errno, "mkdir `%s`", copy);
      *p = '/';
    }
  if (mkdir (copy, mode) < 0 && errno != EEXIST)
    return nr_make_error (err, errno, "mkdir `%s`", copy);
  return 0;
}

bool
path_on_tmpfs (const char *path)
{
  struct statfs sfs;

  if (statfs (path, &sfs) < 0)
    return false;
  return sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC;
}

int
open_private_dir (const char *dir, const char *what, nr_error_t *err)
{
  /* Not O_DIRECTORY: with it, a link is ENOTDIR like a file, and the
     message could not say which.  O_NONBLOCK: a FIFO there must not
     block the open.  */
  cleanup_close int fd = open (dir, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  struct stat st;

  if (fd < 0 && errno == ELOOP)
    return nr_make_error (err, 0, "%s `%s` is a symbolic link", what, dir);
  if (fd < 0 || fstat (fd, &st) < 0)
    return nr_make_error (err, errno, "open %s `%s`", what, dir);
  if (! S_ISDIR (st.st_mode))
    return nr_make_error (err, 0, "%s `%s` is not a directory", what, dir);
  if (st.st_uid != geteuid ())
    return nr_make_error (err, 0, "%s `%s` is owned by uid %u, not %u", what, dir,
                          (unsigned) st.st_uid, (unsigned) geteuid ());
  if (st.st_mode & 022)
    return nr_make_error (err, 0, "%s `%s` is writable by %s (mode %04o)", what, dir,
                          st.st_mode & 002 ? "others" : "its group",
                          (unsigned) (st.st_mode & 07777));
  return steal_fd (&fd);
}

int
nr_parse_ratio (const char *text, double *out)
{
  const char *p = text;
  char *end;
  double v;

  /* Digits and at most one dot: strtod alone takes "inf", "0x1p-1", " 1".  */
  if (*p == '\0' || strspn (p, "0123456789.") != strlen (p) || strchr (p, '.') != strrchr (p, '.'))
    return -1;
  errno = 0;
  v = strtod (p, &end);
  if (errno != 0 || *end != '\0' || end == p || v < 0 || v > 1)
    return -1;
  *out = v;
  return 0;
}
