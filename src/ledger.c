/* numa-runtime: the ledger's interface — reading each shard when it is
   first needed, and recovering from damage wherever it shows.  The model
   holds the entries, the codec their JSON, the store the files; see
   ledger.h.  */
#include <config.h>

#include "ledger.h"
#include "ledger_codec.h"
#include "ledger_model.h"
#include "ledger_store.h"
#include "util.h"

#include <string.h>

struct nr_ledger
{
  struct ledger_store store;
  struct ledger_model model;
  struct nr_ledger_recovery recovery; /* rebuild NULL: damage only empties */
  bool rebuild_due;                   /* found damaged, not rebuilt yet */
  bool rebuilding;                    /* inside RECOVERY's rebuild */
};

/* ---- damage ------------------------------------------------------------ */

/* The ledger as found cannot be trusted: say so, keep it for the admin,
   drop every entry; the rebuild comes at the next settle.  */
static void
damaged (struct nr_ledger *l, const char *why)
{
  nr_log (NR_LOG_ERROR, "the ledger `%s` is unreadable: %s", l->store.path, why);
  ledger_store_keep_aside (&l->store);
  ledger_model_clear (&l->model);
  l->rebuild_due = true;
}

/* Rebuild a ledger found damaged, once, before anybody looks at it.  The
   rebuild uses this interface; the ledger is empty and every shard
   loaded by then, so nothing in it can turn out damaged again.  */
static void
settle (struct nr_ledger *l)
{
  if (! l->rebuild_due || l->rebuilding)
    return;
  l->rebuild_due = false;
  if (l->recovery.rebuild == NULL)
    return;
  l->rebuilding = true;
  l->model.counters.rebuilds++;
  l->model.dirty = true;
  l->recovery.rebuild (l, l->recovery.data);
  l->rebuilding = false;
}

/* Shard K, read from its file first if need be.  */
static struct ledger_shard *
shard (struct nr_ledger *l, size_t k)
{
  if (! l->model.shards[k].loaded)
    {
      cleanup_free char *why = ledger_store_read_shard (&l->store, &l->model, k);
      if (why)
        damaged (l, why);
    }
  settle (l);
  return &l->model.shards[k];
}

/* Line I of S as an entry.  A line that does not parse (a hand edit, a
   damaged disk) is damage: -1, with the ledger rebuilt.  */
static int
parse (struct nr_ledger *l, const struct ledger_shard *s, size_t i, struct nr_ledger_entry *out,
       nr_error_t *err)
{
  nr_error_t parse_err = NULL;
  cleanup_free char *why = NULL;

  if (ledger_entry_from_line (&s->lines.v[i], out, &parse_err) == 0)
    return 0;
  why = xasprintf ("shard `%s`: an entry does not parse: %s", s->file ? s->file : "(new)",
                   parse_err->msg);
  nr_make_error (err, 0, "the ledger is unreadable: %s", parse_err->msg);
  nr_error_release (&parse_err);
  damaged (l, why);
  settle (l);
  return -1;
}

/* The shard holding entry *I in index order, loaded, *I made its position
   there; NULL past the end.  */
static struct ledger_shard *
locate (struct nr_ledger *l, size_t *i)
{
  for (;;)
    {
      size_t j = *i;
      struct ledger_shard *s = ledger_model_locate (&l->model, &j);
      if (s == NULL || s->loaded)
        {
          *i = j;
          return s;
        }
      /* Reading it may find damage: then count again.  */
      shard (l, (size_t) (s - l->model.shards));
    }
}

/* ---- opening and closing ---------------------------------------------- */

static void
supersede (const char *file, void *store)
{
  ledger_store_supersede (store, file);
}

/* Every shard read; false when one turned out damaged (the ledger is
   then empty, its rebuild due).  */
static bool
read_all (struct nr_ledger *l)
{
  for (size_t k = 0; k < l->model.n_shards; k++)
    if (! l->model.shards[k].loaded)
      {
        cleanup_free char *why = ledger_store_read_shard (&l->store, &l->model, k);
        if (why)
          {
            damaged (l, why);
            return false;
          }
      }
  return true;
}

/* A ledger written with another shard count: read whole, every entry
   moved to the shard of its id.  */
static void
redistribute (struct nr_ledger *l)
{
  if (read_all (l))
    ledger_model_redistribute (&l->model, supersede, &l->store);
}

/* Sums an older numa-runtime wrote, without what nr_usage_load needs:
   counted again from every entry, once (the next commit writes them).  */
static void
recount (struct nr_ledger *l)
{
  size_t bad;
  nr_error_t parse_err = NULL;
  cleanup_free char *why = NULL;

  if (! read_all (l) || ledger_model_recompute (&l->model, &bad, &parse_err) == 0)
    return;
  why = xasprintf ("an entry does not parse: %s", parse_err->msg);
  nr_error_release (&parse_err);
  damaged (l, why);
}

int
nr_ledger_open (const char *path, const char *boot_id, const struct nr_ledger_recovery *recovery,
                struct nr_ledger **out, nr_error_t *err)
{
  struct nr_ledger *l = xmalloc0 (sizeof (*l));
  cleanup_ledger struct nr_ledger *owned = l;
  cleanup_free char *why = NULL;

  if (recovery)
    l->recovery = *recovery;
  if (ledger_store_open (&l->store, path, err) < 0
      || ledger_store_read_index (&l->store, &l->model, &why, err) < 0)
    return -1;
  if (why)
    damaged (l, why);
  else if (l->model.n_shards != LEDGER_SHARDS)
    redistribute (l);
  if (boot_id && (l->model.boot_id == NULL || strcmp (l->model.boot_id, boot_id) != 0))
    {
      /* Written before this boot: every container it lists is gone, and
         the counters count since boot.  */
      for (size_t k = 0; k < l->model.n_shards; k++)
        if (l->model.shards[k].file)
          ledger_store_supersede (&l->store, l->model.shards[k].file);
      ledger_model_clear (&l->model);
      memset (&l->model.counters, 0, sizeof (l->model.counters));
      free (l->model.boot_id);
      l->model.boot_id = xstrdup (boot_id);
    }
  if (l->model.sums_stale)
    recount (l);
  *out = steal_pointer (&owned);
  return 0;
}

int
nr_ledger_commit (struct nr_ledger *l, nr_error_t *err)
{
  settle (l);
  return ledger_store_commit (&l->store, &l->model, err);
}

void
nr_ledger_close (struct nr_ledger *l)
{
  if (l == NULL)
    return;
  ledger_store_close (&l->store);
  ledger_model_free (&l->model);
  if (l->recovery.release)
    l->recovery.release (l->recovery.data);
  free (l);
}

const char *
nr_ledger_boot_id (struct nr_ledger *l)
{
  return l->model.boot_id;
}

void
cleanup_ledgerp (struct nr_ledger **l)
{
  nr_ledger_close (*l);
}

/* ---- queries ------------------------------------------------------------- */

void
nr_ledger_usage (struct nr_ledger *l, int node, struct nr_node_usage *out)
{
  settle (l);
  ledger_model_usage (&l->model, node, out);
}

size_t
nr_ledger_count (struct nr_ledger *l)
{
  settle (l);
  return ledger_model_count (&l->model);
}

int
nr_ledger_entry_at (struct nr_ledger *l, size_t i, struct nr_ledger_entry *out, nr_error_t *err)
{
  /* A second try reads the rebuilt ledger.  */
  for (int attempt = 0; attempt < 2; attempt++)
    {
      size_t j = i;
      struct ledger_shard *s;

      settle (l);
      s = locate (l, &j);
      if (s == NULL)
        {
          nr_make_error (err, 0, "no entry %zu (the ledger has %zu)", i,
                         ledger_model_count (&l->model));
          return -1;
        }
      if (parse (l, s, j, out, attempt ? err : NULL) == 0)
        return 0;
    }
  return -1;
}

int
nr_ledger_entry_brief_at (struct nr_ledger *l, size_t i, struct nr_ledger_entry *out,
                          nr_error_t *err)
{
  struct nr_ledger_entry full;
  size_t j = i;
  struct ledger_shard *s;

  settle (l);
  s = locate (l, &j);
  if (s != NULL && ledger_line_brief (&s->lines.v[j], out))
    return 0;
  /* Anything unusual (escapes, another layout, a hand-edited line) is
     read in full.  */
  memset (out, 0, sizeof (*out));
  if (nr_ledger_entry_at (l, i, &full, err) < 0)
    return -1;
  out->id = steal_pointer (&full.id);
  out->root = steal_pointer (&full.root);
  out->creator_pid = full.creator_pid;
  out->creator_start = full.creator_start;
  nr_ledger_entry_free (&full);
  return 0;
}

int
nr_ledger_find (struct nr_ledger *l, const char *id, struct nr_ledger_entry *out, nr_error_t *err)
{
  size_t len;
  cleanup_free char *needle = ledger_id_needle (id, &len);

  for (int attempt = 0; attempt < 2; attempt++)
    {
      struct ledger_shard *s;
      ssize_t i;

      settle (l);
      s = shard (l, ledger_shard_of (id, l->model.n_shards));
      i = ledger_shard_find (s, needle, len);
      if (i < 0)
        return 0;
      if (out == NULL || parse (l, s, (size_t) i, out, attempt ? err : NULL) == 0)
        return 1;
    }
  return -1;
}

/* The first line of a member of the pod NEEDLE stands for: 1 with *OUT
   filled, 0 when none, -1 when the line found does not parse.  */
static int
find_member (struct nr_ledger *l, const char *needle, size_t len, struct nr_ledger_entry *out,
             nr_error_t *err)
{
  for (size_t k = 0; k < l->model.n_shards; k++)
    {
      const struct ledger_shard *s = shard (l, k);
      for (size_t i = 0; i < s->lines.n; i++)
        if (ledger_line_in_pod (&s->lines.v[i], needle, len))
          return parse (l, s, i, out, err) < 0 ? -1 : 1;
    }
  return 0;
}

int
nr_ledger_find_pod (struct nr_ledger *l, const char *pod, struct nr_ledger_entry *out,
                    nr_error_t *err)
{
  size_t len;
  cleanup_free char *needle = NULL;
  int found = nr_ledger_find (l, pod, out, err);

  if (found != 0)
    return found;
  /* No sandbox entry (its sandbox was not ours): any member will do, and
     members are in the shards of their own ids, so look through all.  */
  needle = ledger_pod_needle (pod, &len);
  found = find_member (l, needle, len, out, NULL);
  return found >= 0 ? found : find_member (l, needle, len, out, err);
}

int
nr_ledger_pod_entries (struct nr_ledger *l, const char *pod, struct nr_ledger_entry **out,
                       size_t *n_out, nr_error_t *err)
{
  size_t len;
  cleanup_free char *needle = ledger_pod_needle (pod, &len);

  *out = NULL;
  *n_out = 0;
  for (size_t k = 0; k < l->model.n_shards; k++)
    {
      const struct ledger_shard *s = shard (l, k);
      for (size_t i = 0; i < s->lines.n; i++)
        {
          if (! ledger_line_in_pod (&s->lines.v[i], needle, len))
            continue;
          *out = xrealloc (*out, (*n_out + 1) * sizeof (**out));
          if (parse (l, s, i, &(*out)[*n_out], err) < 0)
            {
              /* The ledger was rebuilt under us: what was read is void.  */
              for (size_t e = 0; e < *n_out; e++)
                nr_ledger_entry_free (&(*out)[e]);
              free (steal_pointer (out));
              *n_out = 0;
              return -1;
            }
          (*n_out)++;
        }
    }
  return 0;
}

/* ---- changes ---------------------------------------------------------------- */

bool
nr_ledger_remove (struct nr_ledger *l, const char *id)
{
  size_t len;
  cleanup_free char *needle = ledger_id_needle (id, &len);

  for (int attempt = 0; attempt < 2; attempt++)
    {
      struct ledger_shard *s;
      nr_error_t parse_err = NULL;
      cleanup_free char *why = NULL;
      ssize_t i;

      settle (l);
      s = shard (l, ledger_shard_of (id, l->model.n_shards));
      i = ledger_shard_find (s, needle, len);
      if (i < 0)
        return false;
      if (ledger_model_delete (&l->model, s, (size_t) i, &parse_err) == 0)
        return true;
      why = xasprintf ("shard `%s`: an entry does not parse: %s", s->file ? s->file : "(new)",
                       parse_err->msg);
      nr_error_release (&parse_err);
      damaged (l, why);
    }
  return false;
}

void
nr_ledger_add (struct nr_ledger *l, const struct nr_ledger_entry *e)
{
  nr_ledger_remove (l, e->id);
  shard (l, ledger_shard_of (e->id, l->model.n_shards));
  ledger_model_insert (&l->model, e);
}

void
nr_ledger_load_all (struct nr_ledger *l)
{
  /* Every line parsed once; damage restarts the reading of the rebuilt
     ledger.  */
  for (int attempt = 0; attempt < 2; attempt++)
    {
      bool sound = true;
      settle (l);
      for (size_t k = 0; sound && k < l->model.n_shards; k++)
        {
          const struct ledger_shard *s = shard (l, k);
          for (size_t j = 0; sound && j < s->lines.n; j++)
            {
              struct nr_ledger_entry e;
              sound = parse (l, s, j, &e, NULL) == 0;
              if (sound)
                nr_ledger_entry_free (&e);
            }
        }
      if (sound)
        return;
    }
}

size_t
nr_ledger_reclaim_cursor (const struct nr_ledger *l)
{
  return l->model.reclaim_cursor;
}

void
nr_ledger_set_reclaim_cursor (struct nr_ledger *l, size_t cursor)
{
  if (cursor != l->model.reclaim_cursor)
    {
      l->model.reclaim_cursor = cursor;
      l->model.dirty = true;
    }
}

const struct nr_counters *
nr_ledger_counters (const struct nr_ledger *l)
{
  return &l->model.counters;
}

struct nr_counters *
nr_ledger_counters_for_update (struct nr_ledger *l)
{
  l->model.dirty = true;
  return &l->model.counters;
}

const char *
nr_ledger_moved_aside (const struct nr_ledger *l)
{
  return l->store.aside;
}

size_t
nr_ledger_sweep (struct nr_ledger *l)
{
  /* A damaged ledger's files stay where they are until a commit has
     moved them aside: they are not leftovers.  */
  if (l->store.aside_pending)
    return 0;
  return ledger_store_sweep (&l->store, &l->model);
}

struct nr_ledger_entry *
nr_ledger_copy_entries (struct nr_ledger *ledger, size_t *n)
{
  size_t count = ledger ? nr_ledger_count (ledger) : 0;
  struct nr_ledger_entry *entries = xmalloc0 ((count ? count : 1) * sizeof (*entries));

  *n = 0;
  for (size_t i = 0; i < count; i++)
    if (nr_ledger_entry_at (ledger, i, &entries[*n], NULL) == 0)
      (*n)++;
  return entries;
}

void
nr_ledger_entries_free (struct nr_ledger_entry *entries, size_t n)
{
  for (size_t i = 0; entries && i < n; i++)
    nr_ledger_entry_free (&entries[i]);
  free (entries);
}
