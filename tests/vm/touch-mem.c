/* touch-mem [MIB]: allocate MIB MiB (default 64) of anonymous memory, write
 * to every page so the kernel really backs it, print "ready", then sleep
 * until killed.  Used inside the test VM to see on which NUMA node a
 * container's memory lands (checks.sh reads /proc/PID/numa_maps).
 * Built with gcc -static so it runs in a bare busybox rootfs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  long mib = 64;
  if (argc > 1)
    {
      char *end;
      mib = strtol (argv[1], &end, 10);
      if (*end != '\0' || mib <= 0 || mib > 4096)
        {
          fprintf (stderr, "touch-mem: bad size `%s'\n", argv[1]);
          return 2;
        }
    }

  size_t size = (size_t) mib << 20;
  unsigned char *buf = malloc (size);
  if (buf == NULL)
    {
      perror ("touch-mem: malloc");
      return 1;
    }
  /* Non-zero so the pages cannot be shared zero pages. */
  memset (buf, 0xa5, size);

  printf ("ready %ld MiB at %p\n", mib, (void *) buf);
  fflush (stdout);

  for (;;)
    pause ();
}
