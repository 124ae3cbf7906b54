/* numa-runtime: what drifted between a container's placement (the ledger)
   and what the kernel enforces — for `verify`, which reports it, and
   `rebalance`, which repairs it.  */
#ifndef NR_DRIFT_H
#define NR_DRIFT_H

#include "args.h"
#include "enforced.h"
#include "residency.h"

#include <stdbool.h>

#define NR_DRIFT_CHECKS 5 /* one per enum nr_enforced_what */

struct nr_drift
{
  bool gone;                          /* no running init: nothing to compare */
  int pid;                            /* its init, 0 when not found */
  bool read[NR_DRIFT_CHECKS];         /* the kernel's value was there */
  bool drifted[NR_DRIFT_CHECKS];      /* ... and is not what was placed */
  nr_set_t enforced[NR_DRIFT_CHECKS]; /* the value read */
  struct nr_residency residency;
  bool has_ratio;
  double ratio;
  bool below; /* ratio < min_local */
};

/* The name of check I ("cpus", "mems", "numa_node", "mems_allowed",
   "mempolicy") and what it is compared with in E.  */
const char *nr_drift_name (int i);
const nr_set_t *nr_drift_placed (const struct nr_ledger_entry *e, int i);

/* Compare E with the kernel into OUT.  Returns 0 (OUT->gone for a
   container gone before or while it is read), or -1 when something the
   kernel says does not parse.  */
int nr_drift_check (const struct nr_enforced_ctx *ctx, const struct nr_ledger_entry *e,
                    double min_local, struct nr_drift *out, nr_error_t *err);

/* Whether OUT shows nothing wrong.  */
bool nr_drift_ok (const struct nr_drift *d);

/* `verify`'s and `rebalance`'s arguments: IDs (pointers into argv; none:
   every container), --json, --dry-run, --min-local R (default: the
   config's [locality] min_local).  */
struct nr_drift_options
{
  const char **ids;
  int n_ids;
  bool json;
  bool dry_run;
  double min_local;
};

int nr_drift_options_parse (const struct nr_args *args, const struct nr_config *config,
                            bool rebalance, struct nr_drift_options *out, nr_error_t *err);
void nr_drift_options_free (struct nr_drift_options *o);

/* Whether E is one of O's ids (or O names none).  */
bool nr_drift_selected (const struct nr_drift_options *o, const char *id);

/* Every entry of the ledger, read under its lock and copied out (none
   when there is no ledger yet); free with nr_ledger_entries_free.  */
int nr_drift_load (const struct nr_config *config, struct nr_ledger_entry **entries, size_t *n,
                   nr_error_t *err);

#endif
