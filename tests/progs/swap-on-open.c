/* swap-on-open.so: LD_PRELOAD'ed into numa-runtime by tests/04-errors-input.bats
 * to play, deterministically, the race a bundle's owner can run against
 * root: at the moment numa-runtime opens $NR_SWAP_PATH (config.json),
 * after whatever it checked before, the file is renamed to
 * $NR_SWAP_PATH.orig and a symbolic link to $NR_SWAP_TARGET put in its
 * place.  Then the real open runs.  A runtime that checks by path and
 * opens by path reads the target; one that opens without following links
 * refuses.  Only the first open of the path swaps.  Test-only.  */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int swapped;

static void
maybe_swap (const char *path)
{
  const char *watched = getenv ("NR_SWAP_PATH");
  const char *target = getenv ("NR_SWAP_TARGET");
  char aside[4096];

  if (swapped || watched == NULL || target == NULL || path == NULL || strcmp (path, watched) != 0)
    return;
  swapped = 1;
  snprintf (aside, sizeof (aside), "%s.orig", watched);
  if (rename (watched, aside) < 0 || symlink (target, watched) < 0)
    perror ("swap-on-open");
}

static mode_t
mode_of (int flags, va_list ap)
{
  return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t) va_arg (ap, int) : 0;
}

#define WRAP_OPEN(name)                                                                            \
  int name (const char *path, int flags, ...)                                                      \
  {                                                                                                \
    static int (*real) (const char *, int, ...);                                                   \
    va_list ap;                                                                                    \
    mode_t mode;                                                                                   \
    va_start (ap, flags);                                                                          \
    mode = mode_of (flags, ap);                                                                    \
    va_end (ap);                                                                                   \
    if (real == NULL)                                                                              \
      real = (int (*) (const char *, int, ...)) dlsym (RTLD_NEXT, #name);                          \
    maybe_swap (path);                                                                             \
    return real (path, flags, mode);                                                               \
  }

#define WRAP_OPENAT(name)                                                                          \
  int name (int dfd, const char *path, int flags, ...)                                             \
  {                                                                                                \
    static int (*real) (int, const char *, int, ...);                                              \
    va_list ap;                                                                                    \
    mode_t mode;                                                                                   \
    va_start (ap, flags);                                                                          \
    mode = mode_of (flags, ap);                                                                    \
    va_end (ap);                                                                                   \
    if (real == NULL)                                                                              \
      real = (int (*) (int, const char *, int, ...)) dlsym (RTLD_NEXT, #name);                     \
    maybe_swap (path);                                                                             \
    return real (dfd, path, flags, mode);                                                          \
  }

WRAP_OPEN (open)
WRAP_OPEN (open64)
WRAP_OPENAT (openat)
WRAP_OPENAT (openat64)
