/* numa-runtime: moving a container's pages with migrate_pages(2).  */
#ifndef NR_MIGRATE_H
#define NR_MIGRATE_H

#include "cpuset.h"
#include "error.h"

#include <stddef.h>

/* Most processes of one container read (its cgroup and those below):
   the kernel's default pid_max is 4M, a container rarely holds more
   than a few hundred.  */
#define NR_MIGRATE_MAX_TASKS 65536

/* The processes of cgroup DIR and of every cgroup below it, from their
   cgroup.procs, into *PIDS (caller frees), *N their number.  A cgroup
   removed while it is read counts as empty.  Fails past
   NR_MIGRATE_MAX_TASKS.  */
int nr_migrate_tasks (const char *dir, int **pids, size_t *n, nr_error_t *err);

/* Move every page of process PID on a node of FROM to the nodes TO
   (migrate_pages(2); the kernel maps FROM onto TO in order).  Returns the
   pages it could not move (>= 0), or -1: errno ESRCH is a process gone
   meanwhile, which the caller skips.  */
long nr_migrate_pages (int pid, const nr_set_t *from, const nr_set_t *to);

#endif
