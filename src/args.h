/* numa-runtime: the runtime's command line, read the way runc's parser
   (urfave/cli over Go's flag package) and crun's (argp) read it.  */
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
  const char *log_level; /* crun --log-level */
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

  /* Positional arguments after the subcommand's flags (read for the
     subcommands with a flag table: create, run, delete, update, hook).  */
  int n_positional;
  /* The first: the container id (the stage for `hook`).  */
  const char *id;

  /* Help or version asked for, globally or of the subcommand: the runtime
     answers, whatever else argv says.  */
  bool help;
  /* Something in argv this parser cannot read exactly as the runtime
     would (an unknown flag, a flag without its value, a malformed flag):
     argv goes to the runtime untouched, so that it answers in its own
     words.  UNREAD names the argument.  */
  const char *unread;
};

/* The kinds of flag a runtime takes.  */
enum nr_flag_kind
{
  NR_FLAG_UNKNOWN,
  NR_FLAG_BOOL,
  NR_FLAG_VALUE,
};

/* Parse ARGV.  Never fails on what a runtime might accept: what it cannot
   read sets UNREAD instead.  Returns 0.  */
int nr_args_parse (int argc, char **argv, struct nr_args *out, nr_error_t *err);

/* What NAME (without dashes) is to COMMAND (NULL: the global flags) in the
   union of runc 1.1-1.4's and crun's flag tables.  */
enum nr_flag_kind nr_args_flag_kind (const char *command, const char *name);

/* True when ARGS must reach the runtime untouched: no subcommand, help or
   version asked for, something unread, or a runtime subcommand we
   intercept called with other than one container id.  */
bool nr_args_pass_through (const struct nr_args *args);

/* The bundle directory: --bundle, else the current directory (".").  */
const char *nr_args_bundle (const struct nr_args *args);

/* The runtime's state root: --root, else runc's default for this user.  */
const char *nr_args_root (const struct nr_args *args);

/* The log file named by --log (crun's "file:" prefix removed), or NULL
   when there is none or it names journald/syslog.  */
const char *nr_args_log_file (const struct nr_args *args);

#endif
