/* numa-runtime: the ledger in memory.  See ledger_model.h.  */
#include <config.h>

#include "ledger_model.h"
#include "util.h"

#include <string.h>

/* ---- per-node sums --------------------------------------------------- */

static struct nr_node_usage *
usage_slot (struct ledger_model *m, int node)
{
  size_t i;

  for (i = 0; i < m->n_usage && m->usage[i].node < node; i++)
    ;
  if (i < m->n_usage && m->usage[i].node == node)
    return &m->usage[i];
  m->usage = xrealloc (m->usage, (m->n_usage + 1) * sizeof (*m->usage));
  memmove (&m->usage[i + 1], &m->usage[i], (m->n_usage - i) * sizeof (*m->usage));
  m->n_usage++;
  memset (&m->usage[i], 0, sizeof (*m->usage));
  m->usage[i].node = node;
  return &m->usage[i];
}

/* Node K of N of an entry gets an even share of VALUE, the first node the
   remainder, so that adding and removing an entry cancel exactly.  */
static int64_t
share (int64_t value, int n, int k)
{
  return value / n + (k == 0 ? value % n : 0);
}

static int64_t
account_add (int64_t sum, int64_t value, int sign)
{
  return sign > 0 ? sat_add (sum, value) : sat_sub (sum, value);
}

static struct nr_node_usage *
usage_of (struct nr_node_usage *usage, size_t n_usage, int node)
{
  for (size_t i = 0; i < n_usage; i++)
    if (usage[i].node == node)
      return &usage[i];
  return NULL;
}

/* E pays 1000 for each exclusive CPU it holds, and nothing else: its load
   follows its CPUs.  Not a pod member its sandbox pays for (load 0), nor
   a holder of isolated CPUs (no pool's room, load 0), nor anything a hand
   edit made up.  */
static bool
pays_for_held_cpus (const struct nr_ledger_entry *e)
{
  int n = nr_set_count (&e->exclusive);

  return n > 0 && e->load == (int64_t) n * 1000;
}

void
nr_usage_account (struct nr_node_usage *usage, size_t n_usage, const struct nr_ledger_entry *e,
                  int sign)
{
  int n = nr_set_count (&e->nodes);
  int k = 0;
  int64_t local = nr_set_is_empty (&e->mems) ? e->memory : e->memory_local;
  nr_set_t tiers = e->mems;
  bool held = pays_for_held_cpus (e);

  for (int node = nr_set_next (&e->nodes, 0); node >= 0;
       node = nr_set_next (&e->nodes, node + 1), k++)
    {
      struct nr_node_usage *u = usage_of (usage, n_usage, node);
      if (u == NULL)
        continue;
      u->containers += sign;
      if (nr_set_is_empty (&e->exclusive) && ! e->exclusive_pod)
        u->sharing += sign;
      /* Saturating: a hand-edited ledger can hold any int64.  A sum
         stuck at the limit no longer cancels exactly, but such a node is
         full either way, and recompute starts again from the entries.  */
      u->load = account_add (u->load, share (e->load, n, k), sign);
      u->millicpus = account_add (u->millicpus, share (e->millicpus, n, k), sign);
      u->memory = account_add (u->memory, share (local, n, k), sign);
      u->hugepages = account_add (u->hugepages, share (e->hugepages, n, k), sign);
      if (sign > 0)
        nr_set_union (&u->exclusive, &e->exclusive);
      else
        nr_set_subtract (&u->exclusive, &e->exclusive);
      if (! held)
        continue;
      u->held_load = account_add (u->held_load, share (e->load, n, k), sign);
      if (sign > 0)
        nr_set_union (&u->held_cpus, &e->exclusive);
      else
        nr_set_subtract (&u->held_cpus, &e->exclusive);
    }
  /* The tier part of its memory: on MEMS minus NODES, evenly.  */
  nr_set_subtract (&tiers, &e->nodes);
  n = nr_set_count (&tiers);
  k = 0;
  for (int node = nr_set_next (&tiers, 0); node >= 0; node = nr_set_next (&tiers, node + 1), k++)
    {
      struct nr_node_usage *u = usage_of (usage, n_usage, node);
      if (u == NULL)
        continue;
      u->containers += sign;
      u->memory = account_add (u->memory, share (sat_sub (e->memory, local), n, k), sign);
    }
}

int64_t
nr_usage_load (const struct nr_node_usage *u, const nr_set_t *node_cpus, int end)
{
  int64_t here = (int64_t) nr_set_count_common (&u->held_cpus, node_cpus, end) * 1000;

  return sat_add (sat_sub (u->load, u->held_load), here);
}

static void
account (struct ledger_model *m, const struct nr_ledger_entry *e, int sign)
{
  /* A slot for each of its nodes first: making one moves the others.  */
  for (int node = nr_set_next (&e->nodes, 0); node >= 0; node = nr_set_next (&e->nodes, node + 1))
    usage_slot (m, node);
  for (int node = nr_set_next (&e->mems, 0); node >= 0; node = nr_set_next (&e->mems, node + 1))
    usage_slot (m, node);
  nr_usage_account (m->usage, m->n_usage, e, sign);
}

void
ledger_model_usage (const struct ledger_model *m, int node, struct nr_node_usage *out)
{
  memset (out, 0, sizeof (*out));
  out->node = node;
  for (size_t i = 0; i < m->n_usage; i++)
    if (m->usage[i].node == node)
      *out = m->usage[i];
}

int
ledger_model_recompute (struct ledger_model *m, size_t *bad, nr_error_t *err)
{
  free (m->usage);
  m->usage = NULL;
  m->n_usage = 0;
  for (size_t k = 0; k < m->n_shards; k++)
    for (size_t j = 0; j < m->shards[k].lines.n; j++)
      {
        struct nr_ledger_entry e;
        if (ledger_entry_from_line (&m->shards[k].lines.v[j], &e, err) < 0)
          {
            *bad = k;
            return -1;
          }
        account (m, &e, +1);
        nr_ledger_entry_free (&e);
      }
  m->sums_stale = false;
  m->dirty = true;
  return 0;
}

/* ---- shards ------------------------------------------------------------ */

static void
free_shard (struct ledger_shard *s)
{
  ledger_lines_free (&s->lines);
  free (s->file);
  free (s->text);
  memset (s, 0, sizeof (*s));
}

/* N empty shards, loaded, replacing whatever was there.  The array stays
   where it is when its size does not change: damage found while a caller
   holds a shard empties the ledger under it, not away from it.  */
static void
reset_shards (struct ledger_model *m, size_t n)
{
  for (size_t i = 0; i < m->n_shards; i++)
    free_shard (&m->shards[i]);
  if (n != m->n_shards)
    {
      free (m->shards);
      m->shards = xmalloc0 (n * sizeof (*m->shards));
      m->n_shards = n;
    }
  for (size_t i = 0; i < n; i++)
    m->shards[i].loaded = true;
}

void
ledger_model_init (struct ledger_model *m, size_t n_shards)
{
  reset_shards (m, n_shards);
  free (m->usage);
  free (m->boot_id);
  m->usage = NULL;
  m->n_usage = 0;
  m->boot_id = NULL;
  m->generation = 0;
  m->reclaim_cursor = 0;
  memset (&m->counters, 0, sizeof (m->counters));
  m->dirty = false;
}

void
ledger_model_free (struct ledger_model *m)
{
  for (size_t i = 0; i < m->n_shards; i++)
    free_shard (&m->shards[i]);
  free (m->shards);
  free (m->usage);
  free (m->boot_id);
  memset (m, 0, sizeof (*m));
}

void
ledger_model_clear (struct ledger_model *m)
{
  reset_shards (m, LEDGER_SHARDS);
  for (size_t i = 0; i < m->n_shards; i++)
    m->shards[i].dirty = true;
  free (m->usage);
  m->usage = NULL;
  m->n_usage = 0;
  m->reclaim_cursor = 0;
  m->sums_stale = false;
  m->dirty = true;
}

size_t
ledger_shard_of (const char *id, size_t n_shards)
{
  uint32_t h = 2166136261u;

  for (const unsigned char *p = (const unsigned char *) id; *p; p++)
    {
      h ^= *p;
      h *= 16777619u;
    }
  return h % n_shards;
}

size_t
ledger_shard_size (const struct ledger_shard *s)
{
  return s->loaded ? s->lines.n : s->entries;
}

size_t
ledger_model_count (const struct ledger_model *m)
{
  size_t n = 0;

  for (size_t i = 0; i < m->n_shards; i++)
    n += ledger_shard_size (&m->shards[i]);
  return n;
}

struct ledger_shard *
ledger_model_locate (struct ledger_model *m, size_t *i)
{
  for (size_t k = 0; k < m->n_shards; k++)
    {
      size_t size = ledger_shard_size (&m->shards[k]);
      if (*i < size)
        return &m->shards[k];
      *i -= size;
    }
  return NULL;
}

ssize_t
ledger_shard_find (const struct ledger_shard *s, const char *needle, size_t len)
{
  for (size_t i = 0; i < s->lines.n; i++)
    if (ledger_line_has_id (&s->lines.v[i], needle, len))
      return (ssize_t) i;
  return -1;
}

void
ledger_model_insert (struct ledger_model *m, const struct nr_ledger_entry *e)
{
  struct ledger_shard *s = &m->shards[ledger_shard_of (e->id, m->n_shards)];
  size_t len;
  char *text = ledger_entry_to_line (e, &len);

  ledger_lines_append (&s->lines, text, len, true);
  account (m, e, +1);
  s->dirty = true;
  m->dirty = true;
}

int
ledger_model_delete (struct ledger_model *m, struct ledger_shard *s, size_t i, nr_error_t *err)
{
  struct nr_ledger_entry e;

  if (ledger_entry_from_line (&s->lines.v[i], &e, err) < 0)
    return -1;
  account (m, &e, -1);
  nr_ledger_entry_free (&e);
  ledger_lines_remove (&s->lines, i);
  s->dirty = true;
  m->dirty = true;
  return 0;
}

void
ledger_model_redistribute (struct ledger_model *m, void (*superseded) (const char *, void *),
                           void *data)
{
  struct ledger_shard *old = steal_pointer (&m->shards);
  size_t n_old = m->n_shards;

  m->n_shards = 0;
  reset_shards (m, LEDGER_SHARDS);
  for (size_t i = 0; i < n_old; i++)
    {
      for (size_t j = 0; j < old[i].lines.n; j++)
        {
          const struct ledger_line *ln = &old[i].lines.v[j];
          cleanup_free char *id = ledger_line_id (ln);
          struct ledger_shard *to = &m->shards[ledger_shard_of (id ? id : "", LEDGER_SHARDS)];
          ledger_lines_append (&to->lines, xmemdup (ln->text, ln->len), ln->len, true);
          to->dirty = true;
        }
      if (old[i].file)
        superseded (old[i].file, data);
      free_shard (&old[i]);
    }
  free (old);
  m->dirty = true;
}
