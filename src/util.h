/* numa-runtime: memory, cleanup attributes and file helpers.  */
#ifndef NR_UTIL_H
#define NR_UTIL_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
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

/* Allocation failures abort: there is nothing sensible a runtime wrapper
   can do half-way through editing a bundle without memory.  */
void *xmalloc (size_t size);
void *xmalloc0 (size_t size);
void *xrealloc (void *ptr, size_t size);
char *xstrdup (const char *s);
char *xstrndup (const char *s, size_t n);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Read FD to its end (at most MAX_SIZE bytes, else an error naming WHAT)
   into a NUL-terminated buffer the caller frees.  Works for pipes and
   procfs files, whose size fstat cannot tell.  */
int read_fd (int fd, size_t max_size, const char *what, char **out, size_t *len, nr_error_t *err);

/* Read the whole file at PATH (at most MAX_SIZE bytes, else an error) into
   a NUL-terminated buffer the caller frees.  *LEN gets its length.  */
int read_file (const char *path, size_t max_size, char **out, size_t *len, nr_error_t *err);

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

/* True when PATH is on a tmpfs/ramfs (no fsync needed to survive a crash
   of the process; it does not survive a reboot anyway).  */
bool path_on_tmpfs (const char *path);

#endif
