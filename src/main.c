/* numa-runtime: an OCI runtime wrapper that places containers on NUMA nodes.
 *
 * Called exactly like runc.  create/run are intercepted, delete releases
 * the ledger entry after the runtime's delete, update keeps a placed
 * container's cpuset on its node(s), everything else is exec'd to the real
 * runtime untouched.  */
#include <config.h>

#include "args.h"
#include "commands.h"
#include "conf.h"
#include "error.h"
#include "ledger_lock.h"
#include "runtime.h"
#include "util.h"

#include <string.h>

typedef int (*command_fn) (const struct nr_args *args, const struct nr_config *config,
                           nr_error_t *err);

static const struct
{
  const char *name;
  command_fn run;
} commands[] = {
  { "create", nr_cmd_create }, { "run", nr_cmd_create },          { "delete", nr_cmd_delete },
  { "gc", nr_cmd_gc },         { "status", nr_cmd_status },       { "update", nr_cmd_update },
  { "hook", nr_cmd_hook },     { "metrics", nr_cmd_metrics },     { "topology", nr_cmd_topology },
  { "verify", nr_cmd_verify }, { "rebalance", nr_cmd_rebalance }, { "explain", nr_cmd_explain },
};

static command_fn
find_command (const char *name)
{
  if (name == NULL)
    return NULL;
  for (size_t i = 0; i < sizeof (commands) / sizeof (commands[0]); i++)
    if (strcmp (commands[i].name, name) == 0)
      return commands[i].run;
  return NULL;
}

int
main (int argc, char **argv)
{
  struct nr_args args;
  struct nr_config config = { 0 };
  nr_error_t err = NULL;
  cleanup_free char *runtime = NULL;
  command_fn run;
  int status;

  if (nr_args_parse (argc, argv, &args, &err) < 0)
    goto fail;
  nr_log_init (nr_args_log_file (&args), args.log_format,
               args.debug || (args.log_level && strcmp (args.log_level, "debug") == 0));
  if (nr_config_load (&config, &err) < 0)
    goto fail;
  nr_ledger_set_lock_timeout (config.ledger_lock_timeout);

  /* Help, version, an argument we cannot read as the runtime does, or a
     runtime verb without exactly one id: the runtime answers alone.  */
  run = nr_args_pass_through (&args) ? NULL : find_command (args.command);
  if (run == NULL)
    {
      if (args.unread && find_command (args.command))
        nr_debug ("%s: `%s` is not read here; argv passed to the runtime untouched", args.command,
                  args.unread);
      if (nr_runtime_resolve (&config, &runtime, &err) < 0)
        goto fail;
      nr_runtime_exec (runtime, argv, &err);
      goto fail;
    }
  status = run (&args, &config, &err);
  if (status < 0)
    goto fail;
  nr_config_free (&config);
  return status;

fail:
  nr_log_error (&err);
  nr_config_free (&config);
  return 1;
}
