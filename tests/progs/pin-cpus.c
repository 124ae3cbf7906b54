/* pin-cpus: what NUMA-aware launchers (vLLM, SGLang, torchrun) do at
   start, for tests that run it inside a container (built static: the
   rootfs is busybox).  It reads the nodes listed in
   /sys/devices/system/node/online and each one's cpulist, starts one
   thread per listed CPU and pins it there with sched_setaffinity(2).
 *
 *   pin-cpus [SYSFS_NODE_DIR]
 *
 * Prints "pinned N threads: node K cpu C, ..." and exits 0 when every pin
 * took, else prints "pin cpu C (node K): <error>" for each that failed
 * and exits 1 (2 when the files cannot be read).  */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CPUS 4096
#define MAX_NODES 1024

struct pin
{
  int node;
  int cpu;
  int error; /* errno of sched_setaffinity, 0 when it took */
};

static struct pin pins[MAX_CPUS];
static int n_pins;

/* Read a kernel list ("0-3,8") from PATH into MARK[0..MAX); -1 on error.  */
static int
read_list (const char *path, unsigned char *mark, int max)
{
  char buf[8192], *p = buf;
  FILE *f = fopen (path, "re");
  size_t len;

  if (f == NULL)
    return -1;
  len = fread (buf, 1, sizeof (buf) - 1, f);
  fclose (f);
  buf[len] = '\0';
  while (*p && *p != '\n')
    {
      char *end;
      long lo = strtol (p, &end, 10), hi = lo;
      if (end == p || lo < 0 || lo >= max)
        return -1;
      p = end;
      if (*p == '-')
        {
          hi = strtol (p + 1, &end, 10);
          if (end == p + 1 || hi < lo || hi >= max)
            return -1;
          p = end;
        }
      for (long i = lo; i <= hi; i++)
        mark[i] = 1;
      if (*p == ',')
        p++;
      else if (*p && *p != '\n')
        return -1;
    }
  return 0;
}

static void *
pin_thread (void *arg)
{
  struct pin *pin = arg;
  cpu_set_t set;

  CPU_ZERO (&set);
  CPU_SET (pin->cpu, &set);
  /* 0: the calling thread, as launchers pin their workers.  */
  pin->error = sched_setaffinity (0, sizeof (set), &set) == 0 ? 0 : errno;
  return NULL;
}

int
main (int argc, char **argv)
{
  static unsigned char nodes[MAX_NODES];
  const char *dir = argc > 1 ? argv[1] : "/sys/devices/system/node";
  char path[4096];
  pthread_t threads[MAX_CPUS];
  int failed = 0;

  snprintf (path, sizeof (path), "%s/online", dir);
  if (read_list (path, nodes, MAX_NODES) < 0)
    {
      fprintf (stderr, "pin-cpus: cannot read %s\n", path);
      return 2;
    }
  for (int node = 0; node < MAX_NODES; node++)
    {
      static unsigned char cpus[MAX_CPUS];
      if (! nodes[node])
        continue;
      memset (cpus, 0, sizeof (cpus));
      snprintf (path, sizeof (path), "%s/node%d/cpulist", dir, node);
      if (read_list (path, cpus, MAX_CPUS) < 0)
        {
          fprintf (stderr, "pin-cpus: cannot read %s\n", path);
          return 2;
        }
      for (int cpu = 0; cpu < MAX_CPUS && n_pins < MAX_CPUS; cpu++)
        if (cpus[cpu])
          pins[n_pins++] = (struct pin){ node, cpu, 0 };
    }
  for (int i = 0; i < n_pins; i++)
    if (pthread_create (&threads[i], NULL, pin_thread, &pins[i]) != 0)
      {
        fprintf (stderr, "pin-cpus: cannot start a thread\n");
        return 2;
      }
  for (int i = 0; i < n_pins; i++)
    pthread_join (threads[i], NULL);
  for (int i = 0; i < n_pins; i++)
    if (pins[i].error)
      {
        printf ("pin cpu %d (node %d): %s\n", pins[i].cpu, pins[i].node, strerror (pins[i].error));
        failed = 1;
      }
  if (failed)
    return 1;
  printf ("pinned %d threads:", n_pins);
  for (int i = 0; i < n_pins; i++)
    printf ("%s node %d cpu %d", i ? "," : "", pins[i].node, pins[i].cpu);
  printf ("\n");
  return n_pins > 0 ? 0 : 1;
}
