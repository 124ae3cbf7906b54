/* numa-runtime: the runc command line.
 *
 * Go's flag package accepts `-flag`, `--flag`, `-flag=value`, `--flag value`;
 * urfave/cli moves subcommand flags found after positional arguments in
 * front of them, so `create ID --bundle B` is valid too.  The subcommand is
 * found by skipping global flags and their values, never by looking for a
 * word in argv: a bundle directory may be called `create`.  */
#include <config.h>

#include "args.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum flag_kind
{
  FLAG_BOOL,
  FLAG_VALUE,
};

struct flag_spec
{
  const char *name;  /* long name, without dashes */
  const char *alias; /* short alias or NULL */
  enum flag_kind kind;
  size_t offset; /* offset of the field in struct nr_args, or SIZE_MAX */
};

#define FIELD(f) offsetof (struct nr_args, f)
#define NOFIELD ((size_t) -1)

/* runc's and crun's global flags.  */
static const struct flag_spec global_flags[] = {
  { "root", NULL, FLAG_VALUE, FIELD (root) },
  { "log", NULL, FLAG_VALUE, FIELD (log) },
  { "log-format", NULL, FLAG_VALUE, FIELD (log_format) },
  { "criu", NULL, FLAG_VALUE, NOFIELD },
  { "rootless", NULL, FLAG_VALUE, NOFIELD },
  { "cgroup-manager", NULL, FLAG_VALUE, NOFIELD }, /* crun */
  { "log-level", NULL, FLAG_VALUE, NOFIELD },      /* crun */
  { "debug", NULL, FLAG_BOOL, FIELD (debug) },
  { "systemd-cgroup", NULL, FLAG_BOOL, FIELD (systemd_cgroup) },
  { "help", "h", FLAG_BOOL, NOFIELD },
  { "version", "v", FLAG_BOOL, NOFIELD },
  { NULL, NULL, 0, 0 },
};

/* Subcommand flags that take a value; every other flag is boolean.  The
   union over the subcommands we read (create, run, delete, update, hook).  */
static const struct flag_spec command_flags[] = {
  { "bundle", "b", FLAG_VALUE, FIELD (bundle) },
  { "config", "f", FLAG_VALUE, FIELD (config_file) },
  { "pid-file", NULL, FLAG_VALUE, FIELD (pid_file) },
  { "console-socket", NULL, FLAG_VALUE, NOFIELD },
  { "preserve-fds", NULL, FLAG_VALUE, NOFIELD },
  { "resources", "r", FLAG_VALUE, FIELD (resources) },
  { "cpuset-cpus", NULL, FLAG_VALUE, FIELD (cpuset_cpus) },
  { "cpuset-mems", NULL, FLAG_VALUE, FIELD (cpuset_mems) },
  { "force", NULL, FLAG_BOOL, FIELD (force) },
  { NULL, NULL, 0, 0 },
};

/* `update` takes many value flags (--cpu-period 100000 ...).  */
static const char *const update_value_flags[] = {
  "blkio-weight",   "cpu-period",         "cpu-quota",   "cpu-share",     "cpu-rt-period",
  "cpu-rt-runtime", "cpuset-cpus",        "cpuset-mems", "kernel-memory", "kernel-memory-tcp",
  "memory",         "memory-reservation", "memory-swap", "pids-limit",    "l3-cache-schema",
  "mem-bw-schema",  "cpu-idle",           NULL
};

/* Split "-name", "--name", "--name=value" into NAME (len) and VALUE.  */
static bool
split_flag (const char *arg, const char **name, size_t *name_len, const char **value)
{
  if (arg[0] != '-' || arg[1] == '\0')
    return false;
  arg += arg[1] == '-' ? 2 : 1;
  *name = arg;
  *value = strchr (arg, '=');
  *name_len = *value ? (size_t) (*value - arg) : strlen (arg);
  if (*value)
    (*value)++;
  return *name_len > 0;
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

static bool
is_update_value_flag (const char *name, size_t len)
{
  for (const char *const *f = update_value_flags; *f; f++)
    if (strlen (*f) == len && strncmp (*f, name, len) == 0)
      return true;
  return false;
}

static void
store_flag (struct nr_args *out, const struct flag_spec *f, const char *value)
{
  if (f == NULL || f->offset == NOFIELD)
    return;
  if (f->kind == FLAG_VALUE)
    *(const char **) ((char *) out + f->offset) = value;
  else
    *(bool *) ((char *) out + f->offset) = value == NULL || strcmp (value, "false") != 0;
}

int
nr_args_parse (int argc, char **argv, struct nr_args *out, nr_error_t *err)
{
  int i;
  bool only_positional = false;
  int positional = 0;

  memset (out, 0, sizeof (*out));
  out->argc = argc;
  out->argv = argv;
  out->command_index = -1;

  for (i = 1; i < argc; i++)
    {
      const char *name, *value;
      size_t len;
      const struct flag_spec *f;

      if (strcmp (argv[i], "--") == 0 || ! split_flag (argv[i], &name, &len, &value))
        break;
      f = find_flag (global_flags, name, len);
      if (f && f->kind == FLAG_VALUE && value == NULL)
        {
          if (i + 1 >= argc)
            return nr_make_error (err, 0, "flag needs an argument: %s", argv[i]);
          value = argv[++i];
        }
      store_flag (out, f, value);
    }
  if (i < argc && strcmp (argv[i], "--") == 0)
    i++;
  if (i >= argc)
    return 0;

  out->command = argv[i];
  out->command_index = i;
  for (i++; i < argc; i++)
    {
      const char *name, *value;
      size_t len;
      const struct flag_spec *f = NULL;

      if (! only_positional && strcmp (argv[i], "--") == 0)
        {
          only_positional = true;
          continue;
        }
      if (only_positional || ! split_flag (argv[i], &name, &len, &value))
        {
          if (positional == 0)
            out->id = argv[i];
          else if (positional == 1)
            out->arg2 = argv[i];
          positional++;
          /* `exec ID cmd -x`: everything after the process args is theirs,
             and runc stops reading flags after the first positional there.  */
          if (strcmp (out->command, "exec") == 0)
            break;
          continue;
        }
      f = find_flag (command_flags, name, len);
      /* `delete -f` is --force; `create -f` is crun's --config.  */
      if (f && strcmp (f->name, "config") == 0 && strcmp (out->command, "delete") == 0)
        f = find_flag (command_flags, "force", 5);
      if ((f && f->kind == FLAG_VALUE)
          || (f == NULL && strcmp (out->command, "update") == 0
              && is_update_value_flag (name, len)))
        {
          if (value == NULL)
            {
              if (i + 1 >= argc)
                return nr_make_error (err, 0, "flag needs an argument: %s", argv[i]);
              value = argv[++i];
            }
        }
      store_flag (out, f, value);
    }
  return 0;
}

const char *
nr_args_bundle (const struct nr_args *args)
{
  return args->bundle ? args->bundle : ".";
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
