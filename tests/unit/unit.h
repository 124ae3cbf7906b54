/* Shared bits of the cmocka unit tests.  */
#ifndef NR_UNIT_H
#define NR_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "cpuset.h"
#include "error.h"
#include "util.h"

/* Parse LIST into a set, failing the test on a parse error.  */
static inline nr_set_t
set_of (const char *list)
{
  nr_set_t s;
  nr_error_t err = NULL;
  if (nr_set_parse (list, &s, &err) < 0)
    fail_msg ("bad list in test: %s", err->msg);
  return s;
}

/* Every directory temp_dir_named made, for remove_temp_dirs.  */
static char **temp_dirs;
static size_t n_temp_dirs;

/* A new empty directory /tmp/PREFIX-XXXXXX, removed by the test itself
   or, at the latest, by remove_temp_dirs.  */
static inline char *
temp_dir_named (const char *prefix)
{
  cleanup_free char *tmpl = xasprintf ("/tmp/%s-XXXXXX", prefix);
  if (mkdtemp (tmpl) == NULL)
    fail_msg ("mkdtemp %s failed", tmpl);
  temp_dirs = xrealloc (temp_dirs, (n_temp_dirs + 1) * sizeof (*temp_dirs));
  temp_dirs[n_temp_dirs++] = xstrdup (tmpl);
  return xstrdup (tmpl);
}

/* A group teardown (or part of one) for the files using temp_dir_named:
   a failing test leaves its body by longjmp, past its own clean-up, and
   its directory would stay behind.  */
static inline int
remove_temp_dirs (void **state)
{
  (void) state;
  for (size_t i = 0; i < n_temp_dirs; i++)
    {
      cleanup_free char *cmd = xasprintf ("rm -rf '%s'", temp_dirs[i]);
      if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", temp_dirs[i]);
      free (temp_dirs[i]);
    }
  free (temp_dirs);
  temp_dirs = NULL;
  n_temp_dirs = 0;
  return 0;
}

#define assert_set_equal(set, list)                                                                \
  do                                                                                               \
    {                                                                                              \
      cleanup_free char *_got = nr_set_format (&(set));                                            \
      assert_string_equal (_got, (list));                                                          \
    }                                                                                              \
  while (0)

#endif
