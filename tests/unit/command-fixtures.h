/* What the in-process command tests share (test-commands, test-reports):
   a temp dir holding the two-socket sysfs fixture, a config file written
   for it, text files, and argv vectors parsed as main would.  */
#ifndef NR_COMMAND_FIXTURES_H
#define NR_COMMAND_FIXTURES_H

#include "unit.h"

#include "args.h"
#include "conf.h"

#include "commands.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void
write_text (const char *path, const char *text)
{
  FILE *f = fopen (path, "we");
  assert_non_null (f);
  assert_true (fputs (text, f) >= 0);
  assert_int_equal (fclose (f), 0);
}

/* The text of the file at PATH, NULL when it cannot be read.  */
static inline char *
read_text (const char *path)
{
  char *text = NULL;
  size_t len;
  nr_error_t err = NULL;
  if (read_file (path, 1 << 20, &text, &len, &err) < 0)
    {
      nr_error_release (&err);
      return NULL;
    }
  return text;
}

/* Make the temp dir DIR (a mkdtemp template, filled in) and the
   two-socket machine under DIR/machine; -1 when either fails.  */
static inline int
make_fixture_machine (char *dir)
{
  cleanup_free char *cmd = NULL;

  if (mkdtemp (dir) == NULL)
    return -1;
  cmd = xasprintf ("sh '%s/tests/fixtures/gen-sysfs.sh' two-socket '%s/machine' >/dev/null",
                   NR_TOP_SRCDIR, dir);
  return system (cmd) == 0 ? 0 : -1;
}

/* Write DIR/numa-runtime.conf naming RUNTIME, the ledger at LEDGER, the
   sysfs root SYSFS and ending [placement] with PLACEMENT, and load it.  */
static inline void
load_fixture_config (struct nr_config *config, const char *dir, const char *runtime,
                     const char *ledger, const char *sysfs, const char *placement)
{
  cleanup_free char *path = xasprintf ("%s/numa-runtime.conf", dir);
  cleanup_free char *text = xasprintf ("[runtime]\npath = %s\n[ledger]\npath = %s\n[topology]\n"
                                       "sysfs_root = %s\nproc_root = /proc\n[placement]\n%s",
                                       runtime, ledger, sysfs, placement);
  nr_error_t err = NULL;

  write_text (path, text);
  memset (config, 0, sizeof (*config));
  if (nr_config_load_file (config, path, true, &err) < 0)
    fail_msg ("config: %s", err->msg);
}

/* argv vectors handed to nr_args_parse, which points into them: kept
   until free_parsed_args (in the group teardown).  */
static char **parsed_argv[64];
static size_t n_parsed_argv;

static inline void
parse_args (struct nr_args *args, ...)
{
  char **argv = xmalloc0 (16 * sizeof (char *));
  nr_error_t err = NULL;
  va_list ap;
  int argc = 1;

  argv[0] = (char *) "numa-runtime";
  va_start (ap, args);
  for (const char *a = va_arg (ap, const char *); a && argc < 15; a = va_arg (ap, const char *))
    argv[argc++] = (char *) a;
  va_end (ap);
  assert_true (n_parsed_argv < NR_N_ELEMENTS (parsed_argv));
  parsed_argv[n_parsed_argv++] = argv;
  if (nr_args_parse (argc, argv, args, &err) < 0)
    fail_msg ("args: %s", err->msg);
}
#define ARGS(a, ...) parse_args ((a), __VA_ARGS__, (const char *) NULL)

static inline void
free_parsed_args (void)
{
  for (size_t i = 0; i < n_parsed_argv; i++)
    free (parsed_argv[i]);
  n_parsed_argv = 0;
}

typedef int (*command_fn) (const struct nr_args *, const struct nr_config *, nr_error_t *);

/* Run FN with stdout going to a file in DIR: what it printed.  *RET is
   what FN returned; on failure *MESSAGE (when not NULL) gets the error's
   text, else NULL.  */
static inline char *
run_command (const char *dir, command_fn fn, const struct nr_args *args,
             const struct nr_config *config, int *ret, char **message)
{
  cleanup_free char *path = xasprintf ("%s/stdout", dir);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int saved = dup (1);
  nr_error_t err = NULL;
  char *text;

  assert_true (fd >= 0 && saved >= 0);
  fflush (stdout);
  dup2 (fd, 1);
  *ret = fn (args, config, &err);
  fflush (stdout);
  dup2 (saved, 1);
  close (saved);
  close (fd);
  if (message)
    *message = *ret < 0 ? xstrdup (err->msg) : NULL;
  if (*ret < 0)
    nr_error_release (&err);
  text = read_text (path);
  assert_non_null (text);
  return text;
}

#endif
