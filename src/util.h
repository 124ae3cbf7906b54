/* numa-runtime: memory, cleanup attributes and file helpers.  */
#ifndef NR_UTIL_H
#define NR_UTIL_H

#include "error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

void cleanup_freep (void *p);
void cleanup_closep (int *fd);
void cleanup_fclosep (FILE **f);
void cleanup_closedirp (DIR **d);
/* A NULL-terminated array of strings, each freed, then the array.  */
void cleanup_strvp (void *p);
#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_file __attribute__ ((cleanup (cleanup_fclosep)))
#define cleanup_dir __attribute__ ((cleanup (cleanup_closedirp)))
#define cleanup_strv __attribute__ ((cleanup (cleanup_strvp)))

/* The number of elements of array A (not of a pointer).  */
#define NR_N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

/* Return *PP and set it to NULL: hands ownership to the caller.  */
static inline void *
take_ptr (void *pp)
{
  void **p = (void **) pp;
  void *v = *p;
  *p = NULL;
  return v;
}
#define steal_pointer(pp) ((__typeof__ (*(pp))) take_ptr (pp))

/* Return *FD and set it to -1: hands a descriptor to the caller.  */
static inline int
steal_fd (int *fd)
{
  int v = *fd;
  *fd = -1;
  return v;
}

/* Allocation failures abort: there is nothing sensible a runtime wrapper
   can do half-way through editing a bundle without memory.  */
void *xmalloc (size_t size);
void *xmalloc0 (size_t size);
void *xrealloc (void *ptr, size_t size);
char *xstrdup (const char *s);
char *xstrndup (const char *s, size_t n);
/* The N bytes at S, NUL bytes included, plus a terminating NUL: for
   text whose length is its own (a ledger line), where xstrndup would
   stop at the first NUL and leave the length pointing past the copy.  */
char *xmemdup (const char *s, size_t n);
/* The directory of PATH, as dirname(3) has it ("." for a bare name).  The
   one way numa-runtime finds the ledger's directory, where its caches
   live too.  Owned by the caller.  */
char *nr_path_dir (const char *path);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* TEXT fit for a message, which the caller frees: its first MAX bytes
   ("..." after them when cut), anything but printable ASCII and the
   backquote that quotes it replaced by '?'.  For what a pod or a spec
   wrote, which ends up in logs and in `kubectl describe`.  */
char *nr_shown (const char *text, size_t max);

/* FMT formatted with AP, or NULL when that fails: for the error, log and
   warning paths, which carry on without the text rather than abort.  */
char *try_vasprintf (const char *fmt, va_list ap) __attribute__ ((format (printf, 1, 0)));

/* Read FD to its end (at most MAX_SIZE bytes, else an error naming WHAT)
   into a NUL-terminated buffer the caller frees.  Works for pipes and
   procfs files, whose size fstat cannot tell.  */
int read_fd (int fd, size_t max_size, const char *what, char **out, size_t *len, nr_error_t *err);

/* Read the whole file at PATH (at most MAX_SIZE bytes, else an error) into
   a NUL-terminated buffer the caller frees.  *LEN gets its length.  A
   symbolic link at PATH is not followed (ELOOP).  */
int read_file (const char *path, size_t max_size, char **out, size_t *len, nr_error_t *err);

/* Open PATH for reading without blocking (a FIFO would wait for a
   writer) and only when it is a regular file, which sysfs attributes and
   proc files are too.  -1 with errno set (EISDIR for a directory, EINVAL
   for another type).  FLAGS adds open flags, e.g. O_NOFOLLOW.  */
int open_regular (const char *path, int flags);
/* The same as a stdio stream.  */
FILE *fopen_regular (const char *path);

/* Read a small sysfs/proc file, trailing newline stripped.  Returns 0, or
   -1 with errno set (no error object: absence is often normal there).  */
int read_small_file (const char *path, char *buf, size_t size);

/* Replace PATH with DATA atomically: write PATH.tmp.<pid> in the same
   directory with MODE, optionally fsync, rename over PATH, optionally fsync
   the directory.  The temp file is removed on failure.  */
int write_file_atomic (const char *path, const void *data, size_t len, mode_t mode, bool sync,
                       nr_error_t *err);

/* Write all of BUF to FD, retrying on EINTR and short writes.  */
int write_all (int fd, const void *buf, size_t len);

/* mkdir -p with MODE for each created component.  */
int mkdir_parents (const char *path, mode_t mode, nr_error_t *err);

/* DIR opened (O_DIRECTORY, O_NOFOLLOW), or -1 with an error naming it
   as WHAT, unless it is a directory, not a symbolic link, owned by our
   euid and not writable by group or others.  The checks are made on the
   descriptor, so what was checked is what the caller then uses (by
   openat): no window between a stat and an open.  Caller closes.  */
int open_private_dir (const char *dir, const char *what, nr_error_t *err);

/* True when PATH is on a tmpfs/ramfs (no fsync needed to survive a crash
   of the process; it does not survive a reboot anyway).  */
bool path_on_tmpfs (const char *path);

/* Saturating int64 arithmetic, for sums of values that come from a pod,
   the ledger or the kernel: an overflow sticks at INT64_MAX/INT64_MIN
   instead of wrapping (undefined behaviour in C).  */
static inline int64_t
sat_add (int64_t a, int64_t b)
{
  int64_t r;
  if (__builtin_add_overflow (a, b, &r))
    return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

static inline int64_t
sat_sub (int64_t a, int64_t b)
{
  int64_t r;
  if (__builtin_sub_overflow (a, b, &r))
    return b < 0 ? INT64_MAX : INT64_MIN;
  return r;
}

static inline int64_t
sat_mul (int64_t a, int64_t b)
{
  int64_t r;
  if (__builtin_mul_overflow (a, b, &r))
    return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
  return r;
}

/* ceil (A * MUL / DIV) for A >= 0, MUL >= 0, DIV > 0, saturating at
   INT64_MAX: a CPU quota of 2^63-1 is a huge request, not a wrapped,
   negative one.  */
static inline int64_t
sat_ceil_ratio (int64_t a, int64_t mul, int64_t div)
{
  __int128 r = ((__int128) a * mul + div - 1) / div;
  return r > INT64_MAX ? INT64_MAX : (int64_t) r;
}

/* Parse TEXT, a plain decimal from 0 to 1 ("0.95", "1"), into *OUT.
   Returns 0, or -1 for anything else (blanks, exponents, NaN).  */
int nr_parse_ratio (const char *text, double *out);

#endif
