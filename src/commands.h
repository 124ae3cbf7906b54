/* numa-runtime: the subcommands numa-runtime handles itself.  Each returns
   the process exit status on success paths it owns (delete passes the
   runtime's through), or -1 with *err filled.  create/run only return on
   failure: on success they exec the runtime.  */
#ifndef NR_COMMANDS_H
#define NR_COMMANDS_H

#include "args.h"
#include "conf.h"
#include "error.h"

int nr_cmd_create (const struct nr_args *args, const struct nr_config *config, nr_error_t *err);
int nr_cmd_delete (const struct nr_args *args, const struct nr_config *config, nr_error_t *err);
int nr_cmd_gc (const struct nr_args *args, const struct nr_config *config, nr_error_t *err);
int nr_cmd_status (const struct nr_args *args, const struct nr_config *config, nr_error_t *err);
/* `metrics [--textfile PATH]`: Prometheus text exposition (cmd_metrics.c).  */
int nr_cmd_metrics (const struct nr_args *args, const struct nr_config *config, nr_error_t *err);
/* `topology --nrt [--node-name NAME]`: the NodeResourceTopology object.  */
int nr_cmd_topology (const struct nr_args *args, const struct nr_config *config, nr_error_t *err);
/* `topology [--json]`: nodes, distances and devices (cmd_topology_show.c).  */
int nr_cmd_topology_show (const struct nr_args *args, const struct nr_config *config,
                          nr_error_t *err);
/* `explain [--bundle DIR] [--pod SANDBOX_ID] [--id ID] [--json]`: a dry-run create;
   returns 0 when it would be placed, 1 when refused.  */
int nr_cmd_explain (const struct nr_args *args, const struct nr_config *config, nr_error_t *err);
/* `update`: keeps a placed container's cpuset on its node(s); returns the
   runtime's exit status when it ran it as a child.  */
int nr_cmd_update (const struct nr_args *args, const struct nr_config *config, nr_error_t *err);

/* `verify [ID...] [--json] [--min-local R]`: placed against enforced;
   returns 0 when every container is ok, 1 otherwise (cmd_verify.c).  */
int nr_cmd_verify (const struct nr_args *args, const struct nr_config *config, nr_error_t *err);

/* `rebalance [ID...] [--min-local R] [--dry-run]`: narrows drifted
   cpusets through the runtime's update and moves memory home
   (cmd_rebalance.c); 0 unless a container could not be rebalanced.  */
int nr_cmd_rebalance (const struct nr_args *args, const struct nr_config *config, nr_error_t *err);

/* `hook prestart|poststop`: read the OCI state on stdin (see cmd_hook.c).  */
int nr_cmd_hook (const struct nr_args *args, const struct nr_config *config, nr_error_t *err);

#endif
