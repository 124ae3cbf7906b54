/* touch-mem [MIB]: print the task's memory policy ("mempolicy MODE NODES",
 * from get_mempolicy(2)), allocate MIB MiB (default 64) of anonymous memory,
 * write to every page so the kernel really backs it, print "ready", then
 * sleep until killed.  Used inside the test VM to see on which NUMA node a
 * container's memory lands (checks.sh reads /proc/PID/numa_maps).
 * Built with gcc -static so it runs in a bare busybox rootfs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The task policy numa-runtime handed down (set_mempolicy before exec is
   inherited by runc init and the container).  Raw syscall: no libnuma in a
   static busybox rootfs.  */
static void
print_mempolicy (void)
{
  static const char *const modes[] = { "default", "preferred",      "bind",
                                       "interleave", "local", "preferred_many",
                                       "weighted_interleave" };
  unsigned long mask[16] = { 0 };
  int mode = -1;
  char nodes[256] = "";
  size_t used = 0;

  if (syscall (SYS_get_mempolicy, &mode, mask, sizeof (mask) * 8, NULL, 0UL) != 0)
    {
      perror ("touch-mem: get_mempolicy");
      return;
    }
  for (int n = 0; n < (int) (sizeof (mask) * 8) && used + 8 < sizeof (nodes); n++)
    if (mask[n / 64] >> (n % 64) & 1)
      used += (size_t) snprintf (nodes + used, sizeof (nodes) - used, "%s%d", used ? "," : "", n);
  /* The mode comes back with its flags (MPOL_F_STATIC_NODES is 1 << 15)
     in the high bits.  */
  int base = mode & 0xff;
  printf ("mempolicy %s %s\n", base >= 0 && base < 7 ? modes[base] : "other", used ? nodes : "-");
}

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

  print_mempolicy ();
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
