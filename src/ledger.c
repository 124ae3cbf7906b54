/* numa-runtime: the allocation ledger's entries — finding, adding and
   removing them, and the per-node sums.  See ledger.h for the layout,
   ledger_read.c and ledger_write.c for the files.  */
#include <config.h>

#include "json.h"
#include "ledger_internal.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <yajl/yajl_gen.h>

/* ---- per-node sums --------------------------------------------------- */

struct nr_node_usage *
ledger_usage_slot (struct nr_ledger *l, int node)
{
  size_t i;

  for (i = 0; i < l->n_usage && l->usage[i].node < node; i++)
    ;
  if (i < l->n_usage && l->usage[i].node == node)
    return &l->usage[i];
  l->usage = xrealloc (l->usage, (l->n_usage + 1) * sizeof (*l->usage));
  memmove (&l->usage[i + 1], &l->usage[i], (l->n_usage - i) * sizeof (*l->usage));
  l->n_usage++;
  memset (&l->usage[i], 0, sizeof (*l->usage));
  l->usage[i].node = node;
  return &l->usage[i];
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

/* Entries from before memory tiers (or without tier nodes) have no mems:
   their memory is on their nodes.  */
void
ledger_entry_default_mems (struct nr_ledger_entry *e)
{
  if (nr_set_is_empty (&e->mems) || nr_set_equal (&e->mems, &e->nodes))
    {
      e->mems = e->nodes;
      e->memory_local = e->memory;
    }
}

void
nr_usage_account (struct nr_node_usage *usage, size_t n_usage, const struct nr_ledger_entry *e,
                  int sign)
{
  int n = nr_set_count (&e->nodes);
  int k = 0;
  int64_t local = nr_set_is_empty (&e->mems) ? e->memory : e->memory_local;
  nr_set_t tiers = e->mems;

  for (int node = nr_set_next (&e->nodes, 0); node >= 0;
       node = nr_set_next (&e->nodes, node + 1), k++)
    {
      struct nr_node_usage *u = usage_of (usage, n_usage, node);
      if (u == NULL)
        continue;
      u->containers += sign;
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

void
ledger_account (struct nr_ledger *l, const struct nr_ledger_entry *e, int sign)
{
  /* A slot for each of its nodes first: making one moves the others.  */
  for (int node = nr_set_next (&e->nodes, 0); node >= 0; node = nr_set_next (&e->nodes, node + 1))
    ledger_usage_slot (l, node);
  for (int node = nr_set_next (&e->mems, 0); node >= 0; node = nr_set_next (&e->mems, node + 1))
    ledger_usage_slot (l, node);
  nr_usage_account (l->usage, l->n_usage, e, sign);
}

/* Parse line LN of shard K into OUT.  A line that does not parse makes
   the whole ledger unreadable (only a hand edit or a damaged disk writes
   one), which empties it: LN is gone afterwards.  */
static int
parse_line (struct nr_ledger *l, size_t k, const struct line *ln, struct nr_ledger_entry *out,
            nr_error_t *err)
{
  nr_error_t parse_err = NULL;
  cleanup_free char *why = NULL;

  if (ledger_entry_from_text (ln->text, ln->len, out, &parse_err) == 0)
    return 0;
  why = xasprintf ("shard `%s`: an entry does not parse: %s",
                   l->shards[k].file ? l->shards[k].file : "(new)", parse_err->msg);
  ledger_unreadable (l, why);
  nr_make_error (err, 0, "the ledger is unreadable: %s", parse_err->msg);
  nr_error_release (&parse_err);
  return -1;
}

void
nr_ledger_load_all (struct nr_ledger *l)
{
  /* Every line parsed once: status and gc are the commands that look at
     every entry, and the ones that should find any damage.  */
  for (size_t k = 0; k < l->n_shards; k++)
    {
      ledger_load_shard (l, k);
      for (size_t j = 0; j < l->shards[k].n_lines; j++)
        {
          struct nr_ledger_entry e;
          if (parse_line (l, k, &l->shards[k].lines[j], &e, NULL) < 0)
            return;
          nr_ledger_entry_free (&e);
        }
    }
}

int
nr_ledger_recompute (struct nr_ledger *l, nr_error_t *err)
{
  nr_ledger_load_all (l);
  free (l->usage);
  l->usage = NULL;
  l->n_usage = 0;
  for (size_t i = 0; i < l->n_shards; i++)
    for (size_t j = 0; j < l->shards[i].n_lines; j++)
      {
        struct nr_ledger_entry e;
        if (parse_line (l, i, &l->shards[i].lines[j], &e, err) < 0)
          return -1;
        ledger_account (l, &e, +1);
        nr_ledger_entry_free (&e);
      }
  l->dirty = true;
  return 0;
}

void
nr_ledger_usage (const struct nr_ledger *l, int node, struct nr_node_usage *out)
{
  memset (out, 0, sizeof (*out));
  out->node = node;
  for (size_t i = 0; i < l->n_usage; i++)
    if (l->usage[i].node == node)
      *out = l->usage[i];
}

/* ---- lines ----------------------------------------------------------- */

void
ledger_append_line (struct shard *s, const char *text, size_t len, bool owned)
{
  if (s->n_lines == s->cap_lines)
    {
      s->cap_lines = s->cap_lines ? s->cap_lines * 2 : 16;
      s->lines = xrealloc (s->lines, s->cap_lines * sizeof (*s->lines));
    }
  s->lines[s->n_lines].text = text;
  s->lines[s->n_lines].len = len;
  s->lines[s->n_lines].owned = owned;
  s->n_lines++;
}

static void
free_line (struct line *ln)
{
  if (ln->owned)
    free ((char *) ln->text);
  ln->text = NULL;
}

void
ledger_clear_lines (struct shard *s)
{
  for (size_t i = 0; i < s->n_lines; i++)
    free_line (&s->lines[i]);
  s->n_lines = 0;
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

/* `{"id":"<escaped id>"` as our generator writes it.  */
static char *
id_prefix (const char *id, size_t *len)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_map_open (g);
  nr_json_gen_string (g, "id", id);
  return nr_json_gen_finish (g, len);
}

/* Where ID is: its shard, loaded, and the line in it (-1: absent).  */
static ssize_t
find_line (struct nr_ledger *l, const char *id, struct shard **shard)
{
  size_t plen;
  cleanup_free char *prefix = id_prefix (id, &plen);
  size_t k = ledger_shard_of (id, l->n_shards);
  struct shard *s = &l->shards[k];

  ledger_load_shard (l, k);
  *shard = s;
  for (size_t i = 0; i < s->n_lines; i++)
    {
      const struct line *ln = &s->lines[i];
      if (ln->len > plen && memcmp (ln->text, prefix, plen) == 0
          && (ln->text[plen] == ',' || ln->text[plen] == '}'))
        return (ssize_t) i;
    }
  return -1;
}

static size_t
shard_size (const struct shard *s)
{
  return s->loaded ? s->n_lines : s->entries;
}

size_t
nr_ledger_count (const struct nr_ledger *l)
{
  size_t n = 0;

  for (size_t i = 0; i < l->n_shards; i++)
    n += shard_size (&l->shards[i]);
  return n;
}

/* Entry I in index order (shard by shard), its shard loaded; NULL when I
   is out of range (the ledger may have turned out unreadable).  */
static const struct line *
line_at (struct nr_ledger *l, size_t i, size_t *shard)
{
  for (size_t k = 0; k < l->n_shards; k++)
    {
      struct shard *s = &l->shards[k];
      if (i >= shard_size (s))
        {
          i -= shard_size (s);
          continue;
        }
      ledger_load_shard (l, k);
      *shard = k;
      return i < s->n_lines ? &s->lines[i] : NULL;
    }
  return NULL;
}

int
nr_ledger_entry_at (struct nr_ledger *l, size_t i, struct nr_ledger_entry *out, nr_error_t *err)
{
  size_t k;
  const struct line *ln = line_at (l, i, &k);

  if (ln == NULL)
    return nr_make_error (err, 0, "gone (the ledger is unreadable)");
  return parse_line (l, k, ln, out, err);
}

/* The string value starting right after the opening quote at P (END
   bounds the line), copied, when it holds no escape; NULL otherwise.  */
static char *
plain_string (const char *p, const char *end)
{
  const char *q = p;

  while (q < end && *q != '"' && *q != '\\')
    q++;
  if (q >= end || *q != '"')
    return NULL;
  return xstrndup (p, (size_t) (q - p));
}

char *
ledger_line_id (const struct line *ln)
{
  static const char opening[] = "{\"id\":\"";
  struct nr_ledger_entry e;
  char *id;

  if (ln->len > sizeof (opening) && memcmp (ln->text, opening, sizeof (opening) - 1) == 0
      && (id = plain_string (ln->text + sizeof (opening) - 1, ln->text + ln->len)) != NULL)
    return id;
  if (ledger_entry_from_text (ln->text, ln->len, &e, NULL) < 0)
    return NULL;
  id = steal_pointer (&e.id);
  nr_ledger_entry_free (&e);
  return id;
}
/* The members a brief reading needs, found in one pass over a line: for
   each, where its value starts when the member (as the generator writes
   it: `,"key":`) occurs exactly once, else NULL.  Inside a string yajl
   writes every '"' as '\\"', so `,"key":` can only be the member itself;
   a key twice is a hand-edited line, left to the parser.  */
struct brief_members
{
  const char *root, *pid, *pid_start;
  int n_root, n_pid, n_pid_start;
};

static void
scan_members (const struct line *ln, struct brief_members *m)
{
  static const char root[] = "\"root\":", pid[] = "\"pid\":", pid_start[] = "\"pid_start\":";
  const char *p = ln->text, *end = ln->text + ln->len;

  memset (m, 0, sizeof (*m));
  while ((p = memchr (p, ',', (size_t) (end - p))) != NULL && ++p < end)
    {
      if (*p != '"')
        continue;
      if (ledger_starts_with (p, end, root, sizeof (root) - 1))
        m->root = m->n_root++ ? NULL : p + sizeof (root) - 1;
      else if (ledger_starts_with (p, end, pid, sizeof (pid) - 1))
        m->pid = m->n_pid++ ? NULL : p + sizeof (pid) - 1;
      else if (ledger_starts_with (p, end, pid_start, sizeof (pid_start) - 1))
        m->pid_start = m->n_pid_start++ ? NULL : p + sizeof (pid_start) - 1;
    }
}

static bool
integer_at (const char *v, long long *out)
{
  char *after;

  if (v == NULL)
    return false;
  errno = 0;
  *out = strtoll (v, &after, 10);
  return errno == 0 && after != v && (*after == ',' || *after == '}');
}

int
nr_ledger_entry_brief_at (struct nr_ledger *l, size_t i, struct nr_ledger_entry *out,
                          nr_error_t *err)
{
  static const char opening[] = "{\"id\":\"";
  size_t k;
  const struct line *ln = line_at (l, i, &k);
  struct brief_members m;
  const char *end;
  long long pid = 0, start = 0;

  memset (out, 0, sizeof (*out));
  if (ln == NULL)
    return nr_make_error (err, 0, "gone (the ledger is unreadable)");
  end = ln->text + ln->len;
  scan_members (ln, &m);
  if (ln->len > sizeof (opening) && memcmp (ln->text, opening, sizeof (opening) - 1) == 0
      && (out->id = plain_string (ln->text + sizeof (opening) - 1, end)) != NULL
      && integer_at (m.pid, &pid) && integer_at (m.pid_start, &start))
    {
      if (m.n_root == 0 && memmem (ln->text, ln->len, "\"root\"", 6) == NULL)
        goto done; /* no root recorded */
      if (m.root && *m.root == '"' && (out->root = plain_string (m.root + 1, end)) != NULL)
        goto done;
    }
  /* Anything unusual: escapes, another layout, a hand-edited line.  */
  nr_ledger_entry_free (out);
  {
    struct nr_ledger_entry full;
    if (parse_line (l, k, ln, &full, err) < 0)
      return -1;
    out->id = steal_pointer (&full.id);
    out->root = steal_pointer (&full.root);
    out->creator_pid = full.creator_pid;
    out->creator_start = full.creator_start;
    nr_ledger_entry_free (&full);
    return 0;
  }
done:
  out->creator_pid = (int) pid;
  out->creator_start = (uint64_t) start;
  return 0;
}

int
nr_ledger_find (struct nr_ledger *l, const char *id, struct nr_ledger_entry *out, nr_error_t *err)
{
  struct shard *s;
  ssize_t i = find_line (l, id, &s);

  if (i < 0)
    return 0;
  if (out && parse_line (l, (size_t) (s - l->shards), &s->lines[i], out, err) < 0)
    return -1;
  return 1;
}

int
nr_ledger_find_pod (struct nr_ledger *l, const char *pod, struct nr_ledger_entry *out,
                    nr_error_t *err)
{
  cleanup_free char *needle = NULL;
  size_t needle_len;
  int found = nr_ledger_find (l, pod, out, err);

  if (found != 0)
    return found;
  {
    /* `,"pod":"<escaped id>"` as our generator writes it.  */
    yajl_gen g = yajl_gen_alloc (NULL);
    yajl_gen_map_open (g);
    nr_json_gen_string (g, "pod", pod);
    needle = nr_json_gen_finish (g, &needle_len);
    needle[0] = ',';
  }
  /* No sandbox entry (its sandbox was not ours): any member will do, and
     members are in the shards of their own ids, so look through all.  */
  for (size_t k = 0; k < l->n_shards; k++)
    {
      struct shard *s = &l->shards[k];
      ledger_load_shard (l, k);
      for (size_t i = 0; i < s->n_lines; i++)
        {
          const struct line *ln = &s->lines[i];
          const char *hit = memmem (ln->text, ln->len, needle, needle_len);
          if (hit && (hit[needle_len] == ',' || hit[needle_len] == '}'))
            return parse_line (l, k, ln, out, err) < 0 ? -1 : 1;
        }
    }
  return 0;
}

bool
nr_ledger_remove (struct nr_ledger *l, const char *id)
{
  struct shard *s;
  ssize_t i = find_line (l, id, &s);
  struct nr_ledger_entry e;

  if (i < 0)
    return false;
  if (parse_line (l, (size_t) (s - l->shards), &s->lines[i], &e, NULL) < 0)
    return false; /* the ledger is now empty and unreadable */
  ledger_account (l, &e, -1);
  nr_ledger_entry_free (&e);
  free_line (&s->lines[i]);
  memmove (&s->lines[i], &s->lines[i + 1], (s->n_lines - (size_t) i - 1) * sizeof (*s->lines));
  s->n_lines--;
  s->dirty = true;
  l->dirty = true;
  return true;
}

void
nr_ledger_add (struct nr_ledger *l, const struct nr_ledger_entry *e)
{
  struct shard *s;
  size_t len, k;
  char *text;

  nr_ledger_remove (l, e->id);
  k = ledger_shard_of (e->id, l->n_shards);
  ledger_load_shard (l, k);
  s = &l->shards[k];
  text = ledger_entry_to_line (e, &len);
  ledger_append_line (s, text, len, true);
  ledger_account (l, e, +1);
  s->dirty = true;
  l->dirty = true;
}

size_t
nr_ledger_reclaim_cursor (const struct nr_ledger *l)
{
  return l->reclaim_cursor;
}

void
nr_ledger_set_reclaim_cursor (struct nr_ledger *l, size_t cursor)
{
  if (cursor != l->reclaim_cursor)
    {
      l->reclaim_cursor = cursor;
      l->dirty = true;
    }
}

const char *
nr_ledger_moved_aside (const struct nr_ledger *l)
{
  return l->moved_aside;
}

bool
nr_ledger_take_rebuild (struct nr_ledger *l)
{
  bool due = l->rebuild_due;

  l->rebuild_due = false;
  return due;
}
