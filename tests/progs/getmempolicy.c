/* getmempolicy: print the calling process's NUMA memory policy, for tests
   that run it inside a container (built static: the rootfs is busybox).
 *
 *   getmempolicy [--bind NODE]
 *
 * Prints "mode=MPOL_BIND flags=static nodes=0" (flags "-" when none; nodes
 * as a list).  With --bind NODE it first calls set_mempolicy(MPOL_BIND,
 * NODE) and on failure prints "set_mempolicy: <error>" and exits 1, as
 * numactl does.  Syscalls are made directly: no libnuma in the rootfs.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_NODES 1024
#define BITS (8 * sizeof (unsigned long))

static const char *const mode_names[]
    = { "MPOL_DEFAULT", "MPOL_PREFERRED", "MPOL_BIND", "MPOL_INTERLEAVE",
        "MPOL_LOCAL", "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE" };

int
main (int argc, char **argv)
{
  unsigned long mask[MAX_NODES / BITS] = { 0 };
  int mode = -1, base, first = 1;

  if (argc == 3 && strcmp (argv[1], "--bind") == 0)
    {
      unsigned long want[MAX_NODES / BITS] = { 0 };
      int node = atoi (argv[2]);
      want[node / BITS] |= 1UL << (node % BITS);
      if (syscall (SYS_set_mempolicy, 2 /* MPOL_BIND */, want, MAX_NODES + 1UL) < 0)
        {
          printf ("set_mempolicy: %s\n", strerror (errno));
          return 1;
        }
    }
  else if (argc != 1)
    {
      fprintf (stderr, "usage: getmempolicy [--bind NODE]\n");
      return 2;
    }
  if (syscall (SYS_get_mempolicy, &mode, mask, MAX_NODES + 1UL, NULL, 0UL) < 0)
    {
      printf ("get_mempolicy: %s\n", strerror (errno));
      return 1;
    }
  base = mode & 0xff;
  printf ("mode=%s flags=", base < 7 ? mode_names[base] : "?");
  if (mode & (1 << 15))
    printf ("static");
  else if (mode & (1 << 14))
    printf ("relative");
  else
    printf ("-");
  printf (" nodes=");
  for (int n = 0; n < MAX_NODES; n++)
    if (mask[n / BITS] & (1UL << (n % BITS)))
      {
        printf ("%s%d", first ? "" : ",", n);
        first = 0;
      }
  printf ("%s\n", first ? "-" : "");
  return 0;
}
