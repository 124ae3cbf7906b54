/* numa-runtime: a placed container as the kernel runs it — its init
 * process and its cgroups — for `status`, `metrics`, `verify` and
 * `rebalance`, which compare that with what the ledger says was placed.
 *
 * The init's pid comes from the runtime's own state under the entry's
 * root (runc's <root>/<id>/state.json, crun's <root>/<id>/status), and is
 * trusted only while the process of that pid has the start time the
 * runtime recorded (runc records it; crun does not, and then a live pid
 * is taken).  Everything is read fresh each time: a container may exit
 * between two reads, and then reads as gone, never as an error.  */
#ifndef NR_ENFORCED_H
#define NR_ENFORCED_H

#include "cgroup.h"
#include "conf.h"
#include "ledger.h"

/* What every container of one command shares.  */
struct nr_enforced_ctx
{
  const struct nr_config *config;
  enum nr_cgroup_layout layout; /* of config->cgroup_root */
  uint64_t page_size;           /* v1's numa_stat counts pages */
};

void nr_enforced_ctx_init (struct nr_enforced_ctx *ctx, const struct nr_config *config);

/* The pid of E's init process, or 0 when its runtime keeps no state for
   it, the state names none, or that process is gone.  */
int nr_enforced_init_pid (const struct nr_enforced_ctx *ctx, const struct nr_ledger_entry *e);

/* The directory of E's cgroup for CONTROLLER ("memory", "cpuset"), or
   NULL when neither its spec's cgroupsPath names an existing one nor its
   init can be asked.  *PID caches the init's pid across calls for one
   entry: set it to -1 before the first.  The caller frees the result.  */
char *nr_enforced_cgroup_dir (const struct nr_enforced_ctx *ctx, const struct nr_ledger_entry *e,
                              const char *controller, int *pid);

/* What verify compares with the ledger, each read from the kernel.  */
enum nr_enforced_what
{
  NR_ENFORCED_CPUS,         /* the cgroup's effective cpuset */
  NR_ENFORCED_MEMS,         /* the cgroup's effective mems */
  NR_ENFORCED_NUMA_NODE,    /* NUMA_NODE in the init's environment */
  NR_ENFORCED_MEMS_ALLOWED, /* the init's Mems_allowed_list (/proc/PID/status) */
  NR_ENFORCED_POLICY_NODES, /* the nodes of the init's memory policy (numa_maps) */
};

/* Read WHAT of E into *OUT.  Returns 1 when read, 0 when there is nothing
   to read (the container or its init is gone, NUMA_NODE unset, a policy
   naming no node: "default" or "local"), -1 with *ERR when what is there
   does not parse.  *PID as for nr_enforced_cgroup_dir.  */
int nr_enforced_read (const struct nr_enforced_ctx *ctx, const struct nr_ledger_entry *e,
                      enum nr_enforced_what what, int *pid, nr_set_t *out, nr_error_t *err);

#endif
