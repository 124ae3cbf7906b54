/* Fixture machines for the unit tests: tests/fixtures/gen-sysfs.sh's
   trees, generated in parallel under one fresh directory and removed with
   it.  One place for the setup test-locality, test-cpu-groups,
   test-topology-view and test-topology-show share.  */
#ifndef NR_MACHINE_FIXTURES_H
#define NR_MACHINE_FIXTURES_H

#include "util.h"

#include <stdlib.h>

/* Generate the N MACHINES, each in its own subdirectory of a new
   /tmp/PREFIX-XXXXXX, which *DIR gets.  0, or -1.  */
static inline int
machines_generate (const char *prefix, const char *const *machines, size_t n, char **dir)
{
  cleanup_free char *tmpl = xasprintf ("/tmp/%s-XXXXXX", prefix);
  cleanup_free char *list = xstrdup ("");
  cleanup_free char *cmd = NULL;

  if (mkdtemp (tmpl) == NULL)
    return -1;
  *dir = xstrdup (tmpl);
  for (size_t i = 0; i < n; i++)
    {
      char *longer = xasprintf ("%s %s", list, machines[i]);
      free (list);
      list = longer;
    }
  /* One generator per machine, in parallel: the script is slow-ish.  */
  cmd = xasprintf ("pids=; for m in%s; do sh '%s/tests/fixtures/gen-sysfs.sh' $m '%s'/$m "
                   ">/dev/null & pids=\"$pids $!\"; done; for p in $pids; do wait $p || exit 1; "
                   "done",
                   list, NR_TOP_SRCDIR, *dir);
  return system (cmd) == 0 ? 0 : -1;
}

/* Remove *DIR and all under it; *DIR is freed and cleared.  0, or -1.  */
static inline int
machines_remove (char **dir)
{
  cleanup_free char *cmd = NULL;

  if (*dir == NULL)
    return 0;
  cmd = xasprintf ("rm -rf '%s'", *dir);
  free (*dir);
  *dir = NULL;
  return system (cmd) == 0 ? 0 : -1;
}

#endif
