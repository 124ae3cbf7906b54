/* numa-runtime: the runtime's command line.
 *
 * runc (1.1 to 1.4: urfave/cli v1 over Go's flag package) accepts `-flag`,
 * `--flag`, `-flag=value`, `--flag value`, and moves subcommand flags found
 * after positional arguments in front of them, so `create ID --bundle B` is
 * valid too.  crun (argp, getopt_long) accepts `--flag=value`, `--flag
 * value`, `-b value` and permutes arguments the same way.  What both read
 * the same way is parsed here; anything else (an unknown flag, `-bDIR`,
 * `-df`, an abbreviated long flag, a value flag without its value) is left
 * unread, and argv goes to the runtime untouched so that it answers in its
 * own words.  The subcommand is found by skipping global flags and their
 * values, never by looking for a word in argv: a bundle directory may be
 * called `create`.  */
#include <config.h>

#include "args.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct flag_spec
{
  const char *name;  /* long name, without dashes */
  const char *alias; /* short alias or NULL */
  enum nr_flag_kind kind;
  size_t offset; /* offset of the field in struct nr_args, or NOFIELD */
};

#define FIELD(f) offsetof (struct nr_args, f)
#define NOFIELD ((size_t) -1)
#define END                                                                                        \
  {                                                                                                \
    NULL, NULL, NR_FLAG_UNKNOWN, 0                                                                 \
  }

/* Help and usage, every table.  runc: --help, -h; crun (argp): --help,
   -?, --usage.  */
#define HELP_FLAGS                                                                                 \
  { "help", "h", NR_FLAG_BOOL, FIELD (help) }, { "?", NULL, NR_FLAG_BOOL, FIELD (help) },          \
  {                                                                                                \
    "usage", NULL, NR_FLAG_BOOL, FIELD (help)                                                      \
  }

static const struct flag_spec global_flags[] = {
  { "root", NULL, NR_FLAG_VALUE, FIELD (root) },
  { "log", NULL, NR_FLAG_VALUE, FIELD (log) },
  { "log-format", NULL, NR_FLAG_VALUE, FIELD (log_format) },
  { "criu", NULL, NR_FLAG_VALUE, NOFIELD }, /* runc < 1.4 */
  { "rootless", NULL, NR_FLAG_VALUE, NOFIELD },
  { "cgroup-manager", NULL, NR_FLAG_VALUE, NOFIELD },      /* crun */
  { "log-level", NULL, NR_FLAG_VALUE, FIELD (log_level) }, /* crun */
  { "debug", NULL, NR_FLAG_BOOL, FIELD (debug) },
  { "systemd-cgroup", NULL, NR_FLAG_BOOL, FIELD (systemd_cgroup) },
  { "version", "v", NR_FLAG_BOOL, FIELD (help) },
  { "V", NULL, NR_FLAG_BOOL, FIELD (help) }, /* crun */
  HELP_FLAGS,
  END,
};

/* create's flags, which run shares.  crun's -f/--config and
   --no-subreaper; --pidfd-socket since runc 1.2.  */
#define CREATE_FLAGS                                                                               \
  { "bundle", "b", NR_FLAG_VALUE, FIELD (bundle) },                                                \
      { "config", "f", NR_FLAG_VALUE, FIELD (config_file) },                                       \
      { "console-socket", NULL, NR_FLAG_VALUE, NOFIELD },                                          \
      { "pidfd-socket", NULL, NR_FLAG_VALUE, NOFIELD },                                            \
      { "pid-file", NULL, NR_FLAG_VALUE, FIELD (pid_file) },                                       \
      { "preserve-fds", NULL, NR_FLAG_VALUE, NOFIELD },                                            \
      { "no-pivot", NULL, NR_FLAG_BOOL, NOFIELD },                                                 \
      { "no-new-keyring", NULL, NR_FLAG_BOOL, NOFIELD },                                           \
  {                                                                                                \
    "no-subreaper", NULL, NR_FLAG_BOOL, NOFIELD                                                    \
  }

static const struct flag_spec create_flags[] = { CREATE_FLAGS, HELP_FLAGS, END };

static const struct flag_spec run_flags[] = {
  CREATE_FLAGS,
  { "detach", "d", NR_FLAG_BOOL, NOFIELD },
  { "keep", NULL, NR_FLAG_BOOL, NOFIELD },
  HELP_FLAGS,
  END,
};

static const struct flag_spec delete_flags[] = {
  { "force", "f", NR_FLAG_BOOL, FIELD (force) },
  { "regex", "r", NR_FLAG_BOOL, NOFIELD }, /* crun */
  HELP_FLAGS,
  END,
};

/* runc's (some hidden from its --help) and crun's.  */
static const struct flag_spec update_flags[] = {
  { "resources", "r", NR_FLAG_VALUE, FIELD (resources) },
  { "cpuset-cpus", NULL, NR_FLAG_VALUE, FIELD (cpuset_cpus) },
  { "cpuset-mems", NULL, NR_FLAG_VALUE, FIELD (cpuset_mems) },
  { "blkio-weight", NULL, NR_FLAG_VALUE, NOFIELD },
  { "cpu-period", NULL, NR_FLAG_VALUE, NOFIELD },
  { "cpu-quota", NULL, NR_FLAG_VALUE, NOFIELD },
  { "cpu-burst", NULL, NR_FLAG_VALUE, NOFIELD }, /* runc >= 1.2 */
  { "cpu-share", NULL, NR_FLAG_VALUE, NOFIELD },
  { "cpu-rt-period", NULL, NR_FLAG_VALUE, NOFIELD },
  { "cpu-rt-runtime", NULL, NR_FLAG_VALUE, NOFIELD },
  { "cpu-idle", NULL, NR_FLAG_VALUE, NOFIELD }, /* runc >= 1.2 */
  { "kernel-memory", NULL, NR_FLAG_VALUE, NOFIELD },
  { "kernel-memory-tcp", NULL, NR_FLAG_VALUE, NOFIELD },
  { "memory", NULL, NR_FLAG_VALUE, NOFIELD },
  { "memory-reservation", NULL, NR_FLAG_VALUE, NOFIELD },
  { "memory-swap", NULL, NR_FLAG_VALUE, NOFIELD },
  { "pids-limit", NULL, NR_FLAG_VALUE, NOFIELD },
  { "l3-cache-schema", NULL, NR_FLAG_VALUE, NOFIELD },
  { "mem-bw-schema", NULL, NR_FLAG_VALUE, NOFIELD },
  HELP_FLAGS,
  END,
};

/* numa-runtime's own `hook STAGE`: no flags.  */
static const struct flag_spec hook_flags[] = { END };

/* The subcommands whose arguments we read.  The runtime's verbs among
   them take exactly one container id.  */
static const struct
{
  const char *command;
  const struct flag_spec *flags;
  bool runtime_verb;
} command_tables[] = {
  { "create", create_flags, true }, { "run", run_flags, true },    { "delete", delete_flags, true },
  { "update", update_flags, true }, { "hook", hook_flags, false },
};

static const struct flag_spec *
command_flags (const char *command, bool *runtime_verb)
{
  for (size_t i = 0; i < sizeof (command_tables) / sizeof (command_tables[0]); i++)
    if (strcmp (command_tables[i].command, command) == 0)
      {
        if (runtime_verb)
          *runtime_verb = command_tables[i].runtime_verb;
        return command_tables[i].flags;
      }
  return NULL;
}

/* Split "-name", "--name", "--name=value" into NAME (len) and VALUE, the
   way Go's flag package does.  Returns 0 for a positional argument ("-"
   included), 1 for a flag, -1 for what Go calls bad flag syntax.  */
static int
split_flag (const char *arg, const char **name, size_t *name_len, const char **value)
{
  if (arg[0] != '-' || arg[1] == '\0')
    return 0;
  arg += arg[1] == '-' ? 2 : 1;
  if (*arg == '\0' || *arg == '-' || *arg == '=')
    return -1;
  *name = arg;
  *value = strchr (arg, '=');
  *name_len = *value ? (size_t) (*value - arg) : strlen (arg);
  if (*value)
    (*value)++;
  return 1;
}

static const struct flag_spec *
find_flag (const struct flag_spec *table, const char *name, size_t len)
{
  for (const struct flag_spec *f = table; f->name; f++)
    {
      if (strlen (f->name) == len && strncmp (f->name, name, len) == 0)
        return f;
      if (f->alias && strlen (f->alias) == len && strncmp (f->alias, name, len) == 0)
        return f;
    }
  return NULL;
}

/* Go's strconv.ParseBool.  */
static int
parse_go_bool (const char *value)
{
  static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True", NULL };
  static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False", NULL };

  for (int i = 0; yes[i]; i++)
    if (strcmp (value, yes[i]) == 0)
      return 1;
  for (int i = 0; no[i]; i++)
    if (strcmp (value, no[i]) == 0)
      return 0;
  return -1;
}

/* Read the flag at ARGV[*I] against TABLE.  Returns false, with
   OUT->unread set, when it cannot be read as the runtime would.  */
static bool
read_flag (const struct flag_spec *table, int argc, char **argv, int *i, struct nr_args *out)
{
  const char *name, *value;
  size_t len;
  const struct flag_spec *f;
  int flag_bool;

  if (split_flag (argv[*i], &name, &len, &value) < 0 || (f = find_flag (table, name, len)) == NULL)
    {
      out->unread = argv[*i];
      return false;
    }
  if (f->kind == NR_FLAG_VALUE)
    {
      if (value == NULL)
        {
          if (*i + 1 >= argc)
            {
              out->unread = argv[*i];
              return false;
            }
          value = argv[++*i];
        }
      if (f->offset != NOFIELD)
        *(const char **) ((char *) out + f->offset) = value;
      return true;
    }
  flag_bool = value ? parse_go_bool (value) : 1;
  if (flag_bool < 0)
    {
      out->unread = argv[*i];
      return false;
    }
  if (f->offset != NOFIELD)
    *(bool *) ((char *) out + f->offset) = flag_bool;
  return true;
}

int
nr_args_parse (int argc, char **argv, struct nr_args *out, nr_error_t *err)
{
  const struct flag_spec *table;
  bool only_positional = false;
  int i;

  (void) err;
  memset (out, 0, sizeof (*out));
  out->argc = argc;
  out->argv = argv;
  out->command_index = -1;

  for (i = 1; i < argc; i++)
    {
      const char *name, *value;
      size_t len;

      if (strcmp (argv[i], "--") == 0 || split_flag (argv[i], &name, &len, &value) == 0)
        break;
      if (! read_flag (global_flags, argc, argv, &i, out))
        return 0;
    }
  if (i < argc && strcmp (argv[i], "--") == 0)
    i++;
  if (i >= argc)
    return 0;

  out->command = argv[i];
  out->command_index = i;
  table = command_flags (out->command, NULL);
  if (table == NULL)
    return 0; /* not ours to read: the runtime's, or our own verb's */
  for (i++; i < argc; i++)
    {
      const char *name, *value;
      size_t len;

      if (! only_positional && strcmp (argv[i], "--") == 0)
        {
          only_positional = true;
          continue;
        }
      if (only_positional || split_flag (argv[i], &name, &len, &value) == 0)
        {
          if (out->n_positional++ == 0)
            out->id = argv[i];
          continue;
        }
      if (! read_flag (table, argc, argv, &i, out))
        return 0;
    }
  return 0;
}

enum nr_flag_kind
nr_args_flag_kind (const char *command, const char *name)
{
  const struct flag_spec *table = command ? command_flags (command, NULL) : global_flags;
  const struct flag_spec *f = table ? find_flag (table, name, strlen (name)) : NULL;

  return f ? f->kind : NR_FLAG_UNKNOWN;
}

bool
nr_args_pass_through (const struct nr_args *args)
{
  bool runtime_verb = false;

  if (args->command == NULL || args->help)
    return true;
  /* An unread global flag stops the parse before the subcommand is read;
     an unread flag of our own verb (hook) is that verb's to refuse.  */
  if (command_flags (args->command, &runtime_verb) == NULL || ! runtime_verb)
    return false;
  return args->unread != NULL || args->n_positional != 1;
}

const char *
nr_args_bundle (const struct nr_args *args)
{
  /* runc: an empty --bundle is the current directory too.  */
  return args->bundle && *args->bundle ? args->bundle : ".";
}

const char *
nr_args_root (const struct nr_args *args)
{
  if (args->root)
    return args->root;
  /* runc: /run/runc for root, $XDG_RUNTIME_DIR/runc when rootless.  */
  if (geteuid () != 0)
    {
      const char *xdg = getenv ("XDG_RUNTIME_DIR");
      static char path[4096];
      if (xdg && *xdg)
        {
          snprintf (path, sizeof (path), "%s/runc", xdg);
          return path;
        }
    }
  return "/run/runc";
}

const char *
nr_args_log_file (const struct nr_args *args)
{
  const char *log = args->log;

  if (log == NULL || *log == '\0')
    return NULL;
  /* crun: --log [file:]PATH | journald:ID | syslog:ID.  */
  if (strncmp (log, "file:", 5) == 0)
    return log[5] ? log + 5 : NULL;
  if (strncmp (log, "journald:", 9) == 0 || strncmp (log, "syslog:", 7) == 0)
    return NULL;
  return log;
}
