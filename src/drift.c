/* numa-runtime: placement against enforcement.  See drift.h.  */
#include <config.h>

#include "drift.h"

#include "rebuild.h"
#include "util.h"

#include <string.h>

/* Each check: the kernel's value, and whether it must equal what was
   placed or only stay within it (a memory policy may name fewer nodes
   than the container may use, never others).  */
static const struct
{
  enum nr_enforced_what what;
  const char *name;
  bool subset;
} checks[NR_DRIFT_CHECKS] = {
  { NR_ENFORCED_CPUS, "cpus", false },
  { NR_ENFORCED_MEMS, "mems", false },
  { NR_ENFORCED_NUMA_NODE, "numa_node", false },
  { NR_ENFORCED_MEMS_ALLOWED, "mems_allowed", false },
  { NR_ENFORCED_POLICY_NODES, "mempolicy", true },
};

const char *
nr_drift_name (int i)
{
  return checks[i].name;
}

const nr_set_t *
nr_drift_placed (const struct nr_ledger_entry *e, int i)
{
  switch (checks[i].what)
    {
    case NR_ENFORCED_CPUS:
      return &e->cpus;
    case NR_ENFORCED_NUMA_NODE:
      return &e->nodes;
    default:
      return &e->mems;
    }
}

int
nr_drift_check (const struct nr_enforced_ctx *ctx, const struct nr_ledger_entry *e,
                double min_local, struct nr_drift *out, nr_error_t *err)
{
  int pid = -1;
  bool any = false;

  memset (out, 0, sizeof (*out));
  for (int i = 0; i < NR_DRIFT_CHECKS; i++)
    {
      const nr_set_t *placed = nr_drift_placed (e, i);
      int r = nr_enforced_read (ctx, e, checks[i].what, &pid, &out->enforced[i], err);
      if (r < 0)
        return nr_error_wrap (err, "container %s", e->id);
      out->read[i] = r > 0;
      any |= out->read[i];
      out->drifted[i] = out->read[i]
                        && ! (checks[i].subset ? nr_set_is_subset (&out->enforced[i], placed)
                                               : nr_set_equal (&out->enforced[i], placed));
    }
  out->pid = pid > 0 ? pid : 0;
  if (nr_residency_measure (ctx, e, &out->residency, err) < 0)
    return -1;
  out->has_ratio = nr_residency_ratio (&out->residency, &out->ratio);
  out->below = out->has_ratio && out->ratio < min_local;
  /* No running init (exited, or deleted): what its cgroup still says is
     no longer enforced on anything.  */
  out->gone = out->pid == 0 || (! any && ! out->residency.known);
  return 0;
}

bool
nr_drift_ok (const struct nr_drift *d)
{
  for (int i = 0; i < NR_DRIFT_CHECKS; i++)
    if (d->drifted[i])
      return false;
  return ! d->below;
}

int
nr_drift_options_parse (const struct nr_args *args, const struct nr_config *config, bool rebalance,
                        struct nr_drift_options *out, nr_error_t *err)
{
  const char *usage = rebalance ? "rebalance [ID...] [--min-local R] [--dry-run]"
                                : "verify [ID...] [--json] [--min-local R]";

  memset (out, 0, sizeof (*out));
  out->min_local = config->min_local;
  out->ids = xmalloc0 ((size_t) args->argc * sizeof (*out->ids));
  for (int i = args->command_index + 1; i < args->argc; i++)
    {
      const char *a = args->argv[i], *value = NULL;

      if (strcmp (a, "--min-local") == 0 && i + 1 < args->argc)
        value = args->argv[++i];
      else if (strncmp (a, "--min-local=", 12) == 0)
        value = a + 12;
      else if (! rebalance && strcmp (a, "--json") == 0)
        out->json = true;
      else if (rebalance && strcmp (a, "--dry-run") == 0)
        out->dry_run = true;
      else if (a[0] == '-')
        return nr_make_error (err, 0, "unknown argument `%s` (usage: %s)", a, usage);
      else
        out->ids[out->n_ids++] = a;
      if (value && nr_parse_ratio (value, &out->min_local) < 0)
        return nr_make_error (err, 0, "--min-local `%s`: must be a number from 0 to 1", value);
    }
  return 0;
}

void
nr_drift_options_free (struct nr_drift_options *o)
{
  free (o->ids);
  o->ids = NULL;
}

bool
nr_drift_selected (const struct nr_drift_options *o, const char *id)
{
  if (o->n_ids == 0)
    return true;
  for (int i = 0; i < o->n_ids; i++)
    if (strcmp (o->ids[i], id) == 0)
      return true;
  return false;
}

int
nr_drift_load (const struct nr_config *config, struct nr_ledger_entry **entries, size_t *n,
               nr_error_t *err)
{
  cleanup_ledger struct nr_ledger *ledger = NULL;

  *entries = NULL;
  *n = 0;
  /* Read under the lock, compared without it: a create must not wait for
     the cgroups of every container to be read.  */
  if (nr_ledger_open_for (config, NR_LEDGER_READ, NULL, NULL, &ledger, err) < 0)
    return -1;
  *entries = nr_ledger_copy_entries (ledger, n);
  return 0;
}
