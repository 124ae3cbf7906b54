/* kill-at USEC COMMAND [ARG...]: run COMMAND in a process group of its
 * own and SIGKILL the whole group USEC microseconds after starting it,
 * unless it finished first.  Prints "killed" or "exited STATUS".  Used by
 * sigkill.sh to interrupt numa-runtime at random moments; the group takes
 * the runtime child of `delete` along.  */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  struct timespec delay;
  long usec;
  pid_t pid;
  int status;

  if (argc < 3)
    {
      fprintf (stderr, "usage: kill-at USEC COMMAND [ARG...]\n");
      return 2;
    }
  usec = strtol (argv[1], NULL, 10);
  delay.tv_sec = usec / 1000000;
  delay.tv_nsec = (usec % 1000000) * 1000;
  pid = fork ();
  if (pid < 0)
    return perror ("fork"), 2;
  if (pid == 0)
    {
      setpgid (0, 0);
      execvp (argv[2], argv + 2);
      _exit (127);
    }
  setpgid (pid, pid);
  while (nanosleep (&delay, &delay) < 0 && errno == EINTR)
    ;
  kill (-pid, SIGKILL);
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return perror ("waitpid"), 2;
  if (WIFSIGNALED (status))
    printf ("killed\n");
  else
    printf ("exited %d\n", WEXITSTATUS (status));
  return 0;
}
