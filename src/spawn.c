/* numa-runtime: running a program as our child.  See spawn.h.  */
#include <config.h>

#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define READ_CHUNK 4096

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
reap (pid_t pid, int *status)
{
  int wstatus = 0;
  pid_t r;

  do
    r = waitpid (pid, &wstatus, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -1;
  *status = WIFEXITED (wstatus) ? WEXITSTATUS (wstatus) : 128 + WTERMSIG (wstatus);
  return 0;
}

/* ARGV joined by spaces, for the debug log and messages.  */
static char *
command_line (const char *path, char **argv)
{
  char *line = xstrdup (path);
  for (char **a = argv + 1; *a; a++)
    {
      char *joined = xasprintf ("%s %s", line, *a);
      free (line);
      line = joined;
    }
  return line;
}

/* In the child: wire up stdio, exec.  Never returns.  */
static void
child (const struct nr_spawn *spec, int in_fd, int out_fd)
{
  int null_fd = -1;

  /* An ignored signal stays ignored across execve.  */
  signal (SIGPIPE, SIG_DFL);
  /* Our copy of the caller's array: argv[0] names the program.  */
  spec->argv[0] = (char *) (spec->argv0 ? spec->argv0 : spec->path);
  if (spec->capture)
    null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (in_fd >= 0 ? dup2 (in_fd, 0) < 0 : (null_fd >= 0 && dup2 (null_fd, 0) < 0))
    _exit (127);
  if (out_fd >= 0 && dup2 (out_fd, 1) < 0)
    _exit (127);
  if (null_fd >= 0 && dup2 (null_fd, 2) < 0)
    _exit (127);
  execv (spec->path, spec->argv);
  if (! spec->capture)
    fprintf (stderr, "numa-runtime: exec `%s`: %s\n", spec->path, strerror (errno));
  _exit (127);
}

/* Feed the input and collect the output until both are done, or the
   deadline.  Returns < 0 (errno set to ETIMEDOUT) past the deadline.  */
static int
pump (const struct nr_spawn *spec, int *in_fd, int *out_fd, pid_t pid,
      struct nr_spawn_result *result, size_t *cap, int *write_errno)
{
  int64_t deadline = spec->timeout_ms > 0 ? now_ms () + spec->timeout_ms : 0;
  size_t written = 0;

  while (*in_fd >= 0 || *out_fd >= 0)
    {
      struct pollfd pfd[2];
      nfds_t n = 0;
      int in_i = -1, out_i = -1, timeout = -1, r;

      if (*in_fd >= 0)
        {
          in_i = (int) n;
          pfd[n++] = (struct pollfd){ *in_fd, POLLOUT, 0 };
        }
      if (*out_fd >= 0)
        {
          out_i = (int) n;
          pfd[n++] = (struct pollfd){ *out_fd, POLLIN, 0 };
        }
      if (deadline)
        {
          int64_t left = deadline - now_ms ();
          if (left <= 0)
            {
              errno = ETIMEDOUT;
              return -1;
            }
          timeout = (int) left;
        }
      r = poll (pfd, n, timeout);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (in_i >= 0 && pfd[in_i].revents)
        {
          ssize_t w = write (*in_fd, spec->input + written, spec->input_len - written);
          if (w < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
          if (w < 0)
            *write_errno = errno;
          else
            written += (size_t) w;
          if (w < 0 || written == spec->input_len)
            {
              close (*in_fd);
              *in_fd = -1;
            }
        }
      if (out_i >= 0 && pfd[out_i].revents)
        {
          ssize_t got;
          if (result->output_len + READ_CHUNK + 1 > *cap)
            {
              *cap = *cap ? *cap * 2 : 4 * READ_CHUNK;
              result->output = xrealloc (result->output, *cap);
            }
          got = read (*out_fd, result->output + result->output_len, *cap - result->output_len - 1);
          if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
          if (got > 0)
            result->output_len += (size_t) got;
          if (got > 0 && result->output_len > spec->output_max)
            {
              result->too_big = true;
              kill (pid, SIGKILL);
            }
          if (got <= 0 || result->too_big)
            {
              close (*out_fd);
              *out_fd = -1;
            }
        }
    }
  return 0;
}

/* Close *FD if open, and mark it closed.  */
static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

int
nr_spawn (const struct nr_spawn *spec, struct nr_spawn_result *result, nr_error_t *err)
{
  cleanup_free char *command = NULL;
  struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
  /* Pipe ends: the child's (in_r, out_w) and ours (in_w, out_r).  */
  cleanup_close int in_r = -1, in_w = -1, out_r = -1, out_w = -1;
  int fds[2], write_errno = 0, pumped, pump_errno;
  size_t cap = 0;
  pid_t pid;

  memset (result, 0, sizeof (*result));
  command = command_line (spec->path, spec->argv);
  nr_debug ("run: %s", command);
  if (spec->input)
    {
      if (pipe2 (fds, O_CLOEXEC) < 0)
        return nr_make_error (err, errno, "pipe");
      in_r = fds[0];
      in_w = fds[1];
    }
  if (spec->capture)
    {
      if (pipe2 (fds, O_CLOEXEC) < 0)
        return nr_make_error (err, errno, "pipe");
      out_r = fds[0];
      out_w = fds[1];
    }
  sigemptyset (&ignore.sa_mask);
  sigaction (SIGPIPE, &ignore, &old);
  pid = fork ();
  if (pid == 0)
    child (spec, in_r, out_w);
  pump_errno = errno;
  close_fd (&in_r);
  close_fd (&out_w);
  if (pid < 0)
    {
      sigaction (SIGPIPE, &old, NULL);
      return nr_make_error (err, pump_errno, "fork");
    }
  if (in_w >= 0)
    fcntl (in_w, F_SETFL, O_NONBLOCK);
  pumped = pump (spec, &in_w, &out_r, pid, result, &cap, &write_errno);
  pump_errno = errno;
  close_fd (&in_w);
  close_fd (&out_r);
  if (pumped < 0)
    kill (pid, SIGKILL);
  if (reap (pid, &result->status) < 0)
    {
      int saved = errno;
      sigaction (SIGPIPE, &old, NULL);
      free (result->output);
      result->output = NULL;
      return nr_make_error (err, saved, "wait for `%s`", spec->path);
    }
  sigaction (SIGPIPE, &old, NULL);
  if (pumped < 0)
    {
      free (result->output);
      result->output = NULL;
      if (pump_errno == ETIMEDOUT)
        return nr_make_error (err, 0, "`%s` did not answer within %d s", command,
                              spec->timeout_ms / 1000);
      return nr_make_error (err, pump_errno, "run `%s`", command);
    }
  if (write_errno != 0 && write_errno != EPIPE)
    nr_warn ("pass the input to `%s`: %s", spec->path, strerror (write_errno));
  if (spec->capture)
    {
      if (result->output == NULL)
        result->output = xstrdup ("");
      else
        result->output[result->output_len] = '\0';
    }
  return 0;
}
