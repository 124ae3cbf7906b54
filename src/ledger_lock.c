/* numa-runtime: the ledger's lock, taken within a bounded time.
 *
 * Every command that reads or writes the ledger holds an exclusive flock
 * on "<ledger>.lock" while it does.  A holder that is stopped (SIGSTOP, a
 * debugger, a frozen cgroup) must not stop every create on the node
 * forever: the wait is bounded by [ledger] lock_timeout, after which the
 * command fails, having changed nothing, with the name of the lock and of
 * its holder.
 *
 * The wait is a blocking flock interrupted by SIGALRM, not a polling
 * loop: waiters stay queued in the kernel, which wakes them when the lock
 * is released.  The timer repeats after its first expiry, so that a
 * signal landing just before flock blocks again is followed by another.  */
#include <config.h>

#include "ledger_lock.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <time.h>

/* /proc/locks with thousands of locks is a few hundred KB.  */
#define PROC_LOCKS_MAX (16 * 1024 * 1024)
/* After the first expiry, how often the timer fires again (see above).  */
#define REARM_USEC 20000

static unsigned lock_timeout = NR_LEDGER_LOCK_TIMEOUT_DEFAULT;

void
nr_ledger_set_lock_timeout (unsigned seconds)
{
  lock_timeout = seconds;
}

static void
on_alarm (int sig)
{
  (void) sig; /* only there to interrupt flock */
}

long
ledger_lock_holder_in (const char *locks_text, unsigned long long dev_major,
                       unsigned long long dev_minor, unsigned long long ino)
{
  for (const char *line = locks_text; line && *line; line = strchr (line, '\n'))
    {
      char kind[16], arrow[4];
      unsigned long long maj, min, inode;
      long pid;

      if (*line == '\n')
        line++;
      /* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; the lines of
         waiters have "->" after the number and are skipped.  */
      if (sscanf (line, "%*[0-9]: %3s", arrow) == 1 && strcmp (arrow, "->") == 0)
        continue;
      if (sscanf (line, "%*[0-9]: %15s %*s %*s %ld %llx:%llx:%llu", kind, &pid, &maj, &min, &inode)
              == 5
          && strcmp (kind, "FLOCK") == 0 && maj == dev_major && min == dev_minor && inode == ino)
        return pid;
    }
  return -1;
}

/* The pid the kernel says holds the lock on FD's file, or -1.  */
static long
lock_holder (int fd)
{
  cleanup_close int locks_fd = open_regular ("/proc/locks", 0);
  cleanup_free char *text = NULL;
  struct stat st;
  size_t len;

  if (locks_fd < 0 || fstat (fd, &st) < 0
      || read_fd (locks_fd, PROC_LOCKS_MAX, "/proc/locks", &text, &len, NULL) < 0)
    return -1;
  return ledger_lock_holder_in (text, major (st.st_dev), minor (st.st_dev),
                                (unsigned long long) st.st_ino);
}

static double
now_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Wait for the lock on FD, at most TIMEOUT seconds: 0, or -1 with errno
   (ETIMEDOUT when the time ran out).  */
static int
flock_within (int fd, unsigned timeout)
{
  struct sigaction sa = { .sa_handler = on_alarm }, old_sa;
  struct itimerval timer = { .it_value = { .tv_sec = timeout },
                             .it_interval = { .tv_usec = REARM_USEC } };
  struct itimerval old_timer, off = { { 0, 0 }, { 0, 0 } };
  double deadline = now_seconds () + timeout;
  int r, saved;

  sigemptyset (&sa.sa_mask); /* no SA_RESTART: the signal ends the wait */
  if (sigaction (SIGALRM, &sa, &old_sa) < 0)
    return -1;
  if (setitimer (ITIMER_REAL, &timer, &old_timer) < 0)
    {
      saved = errno;
      sigaction (SIGALRM, &old_sa, NULL);
      errno = saved;
      return -1;
    }
  while ((r = flock (fd, LOCK_EX)) < 0 && errno == EINTR && now_seconds () < deadline)
    ;
  saved = r < 0 && errno == EINTR ? ETIMEDOUT : errno;
  setitimer (ITIMER_REAL, &off, NULL);
  sigaction (SIGALRM, &old_sa, NULL);
  errno = saved;
  return r;
}

int
ledger_lock_take (int dir_fd, const char *name, const char *path, int *fd, nr_error_t *err)
{
  cleanup_close int lock_fd =
      openat (dir_fd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  long holder;

  if (lock_fd < 0)
    return nr_make_error (err, errno, "open the ledger lock `%s`", path);
  if (flock (lock_fd, LOCK_EX | LOCK_NB) == 0)
    {
      *fd = steal_fd (&lock_fd);
      return 0;
    }
  if (errno != EWOULDBLOCK && errno != EINTR)
    return nr_make_error (err, errno, "lock `%s`", path);
  nr_debug ("the ledger lock `%s` is held; waiting up to %u s", path, lock_timeout);
  if (flock_within (lock_fd, lock_timeout) == 0)
    {
      *fd = steal_fd (&lock_fd);
      return 0;
    }
  if (errno != ETIMEDOUT)
    return nr_make_error (err, errno, "lock `%s`", path);
  holder = lock_holder (lock_fd);
  if (holder > 0)
    return nr_make_error (err, 0,
                          "the ledger lock `%s` is still held by pid %ld after %u s "
                          "([ledger] lock_timeout); nothing was changed",
                          path, holder, lock_timeout);
  return nr_make_error (err, 0,
                        "the ledger lock `%s` is still held after %u s ([ledger] lock_timeout); "
                        "nothing was changed",
                        path, lock_timeout);
}
