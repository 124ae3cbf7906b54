/* numa-runtime: `verify [ID...] [--json] [--min-local R]` — whether each
 * placed container still runs where it was placed.
 *
 * For each container of the ledger (or each ID), it reads its cgroup's
 * effective cpuset and mems, NUMA_NODE in its init's environment, its
 * init's Mems_allowed_list and memory policy, and its memory by node
 * (drift.c), and prints one line: `ID ok`, or `ID drifted: ...` naming
 * each difference.  Exit status 0 only when every container is ok.  It
 * changes nothing.  */
#include <config.h>

#include "commands.h"
#include "drift.h"
#include "json.h"
#include "ledger.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

/* "cpus 0-3 (placed 0-1); local 0.42 < 0.95" for D of E.  */
static void
print_drift_line (FILE *out, const struct nr_ledger_entry *e, const struct nr_drift *d,
                  double min_local)
{
  const char *sep = ": ";

  if (d->gone)
    {
      fprintf (out, "%s gone\n", e->id);
      return;
    }
  if (nr_drift_ok (d))
    {
      fprintf (out, "%s ok\n", e->id);
      return;
    }
  fprintf (out, "%s drifted", e->id);
  for (int i = 0; i < NR_DRIFT_CHECKS; i++)
    if (d->drifted[i])
      {
        cleanup_free char *got = nr_set_format (&d->enforced[i]);
        cleanup_free char *placed = nr_set_format (nr_drift_placed (e, i));
        fprintf (out, "%s%s %s (placed %s)", sep, nr_drift_name (i), got, placed);
        sep = "; ";
      }
  if (d->below)
    fprintf (out, "%slocal %.3f < %.3f", sep, d->ratio, min_local);
  fputc ('\n', out);
}

static void
gen_drift (yajl_gen g, const struct nr_ledger_entry *e, const struct nr_drift *d)
{
  yajl_gen_map_open (g);
  nr_json_gen_string (g, "id", e->id);
  nr_json_gen_bool (g, "gone", d->gone);
  nr_json_gen_bool (g, "ok", d->gone || nr_drift_ok (d));
  for (int i = 0; i < NR_DRIFT_CHECKS; i++)
    {
      nr_json_gen_key (g, nr_drift_name (i));
      yajl_gen_map_open (g);
      nr_json_gen_set (g, "placed", nr_drift_placed (e, i));
      if (d->read[i])
        nr_json_gen_set (g, "enforced", &d->enforced[i]);
      else
        nr_json_gen_string (g, "enforced", NULL);
      nr_json_gen_bool (g, "drifted", d->drifted[i]);
      yajl_gen_map_close (g);
    }
  nr_residency_gen_json (g, &d->residency);
  nr_json_gen_bool (g, "below_min_local", d->below);
  yajl_gen_map_close (g);
}

/* The ids of O that no entry of ENTRIES[0..N) has, each said on stderr:
   an id the ledger does not hold is not verified.  */
static int
unknown_ids (const struct nr_drift_options *o, const struct nr_ledger_entry *entries, size_t n)
{
  int unknown = 0;

  for (int i = 0; i < o->n_ids; i++)
    {
      bool found = false;
      for (size_t j = 0; j < n && ! found; j++)
        found = strcmp (entries[j].id, o->ids[i]) == 0;
      if (! found)
        {
          nr_log (NR_LOG_ERROR, "verify: %s: not in the ledger", o->ids[i]);
          unknown++;
        }
    }
  return unknown;
}

int
nr_cmd_verify (const struct nr_args *args, const struct nr_config *config, nr_error_t *err)
{
  struct nr_drift_options opts;
  struct nr_ledger_entry *entries = NULL;
  struct nr_enforced_ctx ctx;
  cleanup_free struct nr_drift *d = xmalloc (sizeof (*d));
  cleanup_free char *text = NULL;
  size_t n = 0, text_len = 0;
  yajl_gen g = NULL;
  int matched = 0, bad = 0, ret = -1;
  FILE *out;

  if (nr_drift_options_parse (args, config, false, &opts, err) < 0
      || nr_drift_load (config, &entries, &n, err) < 0)
    goto done;
  nr_enforced_ctx_init (&ctx, config);
  out = open_memstream (&text, &text_len);
  if (out == NULL)
    {
      nr_make_error (err, errno, "open_memstream");
      goto done;
    }
  if (opts.json)
    {
      g = yajl_gen_alloc (NULL);
      yajl_gen_map_open (g);
      nr_json_gen_key (g, "containers");
      yajl_gen_array_open (g);
    }
  for (size_t i = 0; i < n; i++)
    {
      nr_error_t check_err = NULL;
      if (! nr_drift_selected (&opts, entries[i].id))
        continue;
      matched++;
      if (nr_drift_check (&ctx, &entries[i], opts.min_local, d, &check_err) < 0)
        {
          /* What the kernel said did not parse: say so, count it.  */
          nr_log (NR_LOG_ERROR, "verify: %s", check_err->msg);
          nr_error_release (&check_err);
          bad++;
          continue;
        }
      bad += ! d->gone && ! nr_drift_ok (d);
      if (g)
        gen_drift (g, &entries[i], d);
      else
        print_drift_line (out, &entries[i], d, opts.min_local);
    }
  if (g)
    {
      size_t len;
      cleanup_free char *json = NULL;
      yajl_gen_array_close (g);
      nr_json_gen_bool (g, "ok", bad == 0 && matched >= opts.n_ids);
      yajl_gen_map_close (g);
      json = nr_json_gen_finish (g, &len);
      fputs (json ? json : "", out);
      fputc ('\n', out);
      g = NULL;
    }
  fclose (out);
  fwrite (text, 1, text_len, stdout);
  bad += unknown_ids (&opts, entries, n);
  ret = bad ? 1 : 0;
done:
  nr_ledger_entries_free (entries, n);
  nr_drift_options_free (&opts);
  if (ret < 0)
    return nr_error_wrap (err, "verify");
  return ret;
}
