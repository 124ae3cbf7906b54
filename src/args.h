/* numa-runtime: the runc command line, read the way runc's own parser
   (urfave/cli over Go's flag package) reads it.  */
#ifndef NR_ARGS_H
#define NR_ARGS_H

#include "error.h"

#include <stdbool.h>

/* Pointers into the original argv; nothing here is owned.  The argv itself
   is never modified: pass-through and create hand it on untouched.  */
struct nr_args
{
  int argc;
  char **argv;

  /* Global flags.  */
  const char *root;
  const char *log;
  const char *log_format;
  bool debug;
  bool systemd_cgroup;

  /* The subcommand ("create", "delete", ...), NULL for `--version` and
     friends; COMMAND_INDEX is its position in argv.  */
  const char *command;
  int command_index;

  /* Subcommand flags we need; NULL when absent.  */
  const char *bundle;      /* create/run --bundle, -b */
  const char *config_file; /* crun create --config, -f */
  const char *pid_file;
  const char *resources;   /* update --resources, -r */
  const char *cpuset_cpus; /* update --cpuset-cpus (points into argv) */
  const char *cpuset_mems; /* update --cpuset-mems (points into argv) */
  bool force;              /* delete --force, -f */

  /* First positional argument after the subcommand: the container id.  */
  const char *id;
  /* Second positional (hook kind for `hook`, signal for `kill`).  */
  const char *arg2;
};

/* Parse ARGV.  Fails only on a flag that needs a value and has none.  */
int nr_args_parse (int argc, char **argv, struct nr_args *out, nr_error_t *err);

/* The bundle directory: --bundle, else the current directory (".").  */
const char *nr_args_bundle (const struct nr_args *args);

/* The runtime's state root: --root, else runc's default for this user.  */
const char *nr_args_root (const struct nr_args *args);

#endif
