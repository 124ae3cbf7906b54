/* numa-runtime: the ledger's JSON.  See ledger_codec.h.  */
#include <config.h>

#include "ledger_codec.h"
#include "json.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- lines ------------------------------------------------------------ */

void
ledger_lines_append (struct ledger_lines *ls, const char *text, size_t len, bool owned)
{
  if (ls->n == ls->cap)
    {
      ls->cap = ls->cap ? ls->cap * 2 : 16;
      ls->v = xrealloc (ls->v, ls->cap * sizeof (*ls->v));
    }
  ls->v[ls->n++] = (struct ledger_line){ .text = text, .len = len, .owned = owned };
}

static void
free_line (struct ledger_line *ln)
{
  if (ln->owned)
    free ((char *) ln->text);
  ln->text = NULL;
}

void
ledger_lines_remove (struct ledger_lines *ls, size_t i)
{
  free_line (&ls->v[i]);
  memmove (&ls->v[i], &ls->v[i + 1], (ls->n - i - 1) * sizeof (*ls->v));
  ls->n--;
}

void
ledger_lines_clear (struct ledger_lines *ls)
{
  for (size_t i = 0; i < ls->n; i++)
    free_line (&ls->v[i]);
  ls->n = 0;
}

void
ledger_lines_free (struct ledger_lines *ls)
{
  ledger_lines_clear (ls);
  free (ls->v);
  memset (ls, 0, sizeof (*ls));
}

/* ---- entries ---------------------------------------------------------- */

void
nr_ledger_entry_gen_fields (yajl_gen g, const struct nr_ledger_entry *e, bool every_key)
{
  nr_json_gen_string (g, "id", e->id);
  nr_json_gen_set (g, "nodes", &e->nodes);
  nr_json_gen_set (g, "cpus", &e->cpus);
  nr_json_gen_set (g, "exclusive_cpus", &e->exclusive);
  nr_json_gen_int (g, "load", e->load);
  nr_json_gen_int (g, "millicpus", e->millicpus);
  nr_json_gen_int (g, "memory", e->memory);
  nr_json_gen_int (g, "hugepages", e->hugepages);
  /* Only an entry with memory-only nodes has these in the ledger: older
     readers see the lines they know.  */
  if (every_key || (! nr_set_is_empty (&e->mems) && ! nr_set_equal (&e->mems, &e->nodes)))
    {
      nr_json_gen_set (g, "mems", &e->mems);
      nr_json_gen_int (g, "memory_local", e->memory_local);
    }
  if (e->pod || every_key)
    nr_json_gen_string (g, "pod", e->pod);
  if (e->sandbox || every_key)
    nr_json_gen_bool (g, "sandbox", e->sandbox);
  if (e->exclusive_pod || every_key)
    nr_json_gen_bool (g, "exclusive_pod", e->exclusive_pod);
  if (e->kubelet_cpus || every_key)
    nr_json_gen_bool (g, "kubelet_cpus", e->kubelet_cpus);
  if (e->pinned_by || every_key)
    nr_json_gen_string (g, "pinned_by", e->pinned_by);
  if (e->root || every_key)
    nr_json_gen_string (g, "root", e->root);
  if (e->cgroup || every_key)
    nr_json_gen_string (g, "cgroup", e->cgroup);
  if (! nr_set_is_empty (&e->device_nodes) || every_key)
    nr_json_gen_set (g, "device_nodes", &e->device_nodes);
  nr_json_gen_int (g, "pid", e->creator_pid);
  nr_json_gen_int (g, "pid_start", (long long) e->creator_start);
  nr_json_gen_int (g, "created", e->created);
}

char *
ledger_entry_to_line (const struct nr_ledger_entry *e, size_t *len)
{
  yajl_gen g = yajl_gen_alloc (NULL);

  yajl_gen_map_open (g);
  nr_ledger_entry_gen_fields (g, e, false);
  yajl_gen_map_close (g);
  return nr_json_gen_finish (g, len);
}

long long
ledger_json_int (yajl_val obj, const char *key)
{
  yajl_val v = nr_json_get (obj, key);
  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
}

int
ledger_json_set (yajl_val obj, const char *key, nr_set_t *out, nr_error_t *err)
{
  const char *s = nr_json_get_string (obj, key);
  if (s == NULL)
    {
      nr_set_clear (out);
      return 0;
    }
  return nr_set_parse (s, out, err);
}

static char *
dup_or_null (const char *s)
{
  return s ? xstrdup (s) : NULL;
}

int
ledger_entry_from_json (yajl_val obj, struct nr_ledger_entry *e, nr_error_t *err)
{
  const char *id = nr_json_get_string (obj, "id");

  memset (e, 0, sizeof (*e));
  if (obj == NULL || obj->type != yajl_t_object || id == NULL || *id == '\0')
    return nr_make_error (err, 0, "ledger entry without an id");
  if (ledger_json_set (obj, "nodes", &e->nodes, err) < 0
      || ledger_json_set (obj, "cpus", &e->cpus, err) < 0
      || ledger_json_set (obj, "exclusive_cpus", &e->exclusive, err) < 0
      || ledger_json_set (obj, "mems", &e->mems, err) < 0
      || ledger_json_set (obj, "device_nodes", &e->device_nodes, err) < 0)
    return nr_error_wrap (err, "ledger entry `%s`", id);
  e->id = xstrdup (id);
  e->load = ledger_json_int (obj, "load");
  e->millicpus = ledger_json_int (obj, "millicpus");
  e->memory = ledger_json_int (obj, "memory");
  e->hugepages = ledger_json_int (obj, "hugepages");
  e->memory_local = ledger_json_int (obj, "memory_local");
  /* Entries from before memory tiers (or without tier nodes) have no
     mems: their memory is on their nodes.  */
  if (nr_set_is_empty (&e->mems) || nr_set_equal (&e->mems, &e->nodes))
    {
      e->mems = e->nodes;
      e->memory_local = e->memory;
    }
  e->pod = dup_or_null (nr_json_get_string (obj, "pod"));
  e->sandbox = YAJL_IS_TRUE (nr_json_get (obj, "sandbox"));
  e->exclusive_pod = YAJL_IS_TRUE (nr_json_get (obj, "exclusive_pod"));
  e->kubelet_cpus = YAJL_IS_TRUE (nr_json_get (obj, "kubelet_cpus"));
  e->pinned_by = dup_or_null (nr_json_get_string (obj, "pinned_by"));
  e->root = dup_or_null (nr_json_get_string (obj, "root"));
  e->cgroup = dup_or_null (nr_json_get_string (obj, "cgroup"));
  e->creator_pid = (int) ledger_json_int (obj, "pid");
  e->creator_start = (uint64_t) ledger_json_int (obj, "pid_start");
  e->created = ledger_json_int (obj, "created");
  return 0;
}

int
ledger_entry_from_line (const struct ledger_line *ln, struct nr_ledger_entry *e, nr_error_t *err)
{
  cleanup_json yajl_val obj = NULL;
  cleanup_free char *heap = NULL;
  char stack[1024];
  char *text = stack;
  const char *twice;

  /* The parser wants a NUL-terminated string; lines in a file have none.  */
  if (ln->len >= sizeof (stack))
    text = heap = xmalloc (ln->len + 1);
  memcpy (text, ln->text, ln->len);
  text[ln->len] = '\0';
  memset (e, 0, sizeof (*e));
  if (nr_json_parse (text, ln->len, &obj, err) < 0)
    return -1;
  /* We write each member once.  A shard line with more members than an
     entry has, or a key twice, was edited or damaged: the quick readings
     of a line (the id at its start, reclaim's root and pid) take a key's
     first occurrence where the parser takes the last, so such a line is
     refused outright rather than read two ways.  (A version 1 file's
     entries are parsed as objects and written back as our own lines.)  */
  if (obj->type == yajl_t_object && obj->u.object.len > LEDGER_ENTRY_MAX_MEMBERS)
    return nr_make_error (err, 0, "ledger entry with %zu members (at most %d)", obj->u.object.len,
                          LEDGER_ENTRY_MAX_MEMBERS);
  if ((twice = nr_json_repeated_key (obj)) != NULL)
    return nr_make_error (err, 0, "ledger entry with member `%s` twice", twice);
  return ledger_entry_from_json (obj, e, err);
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

static const char id_opening[] = "{\"id\":\"";

/* The id at the start of a line in our form, without escapes, or NULL.  */
static char *
plain_id (const struct ledger_line *ln)
{
  if (ln->len <= sizeof (id_opening) || memcmp (ln->text, id_opening, sizeof (id_opening) - 1) != 0)
    return NULL;
  return plain_string (ln->text + sizeof (id_opening) - 1, ln->text + ln->len);
}

char *
ledger_line_id (const struct ledger_line *ln)
{
  struct nr_ledger_entry e;
  char *id = plain_id (ln);

  if (id != NULL)
    return id;
  if (ledger_entry_from_line (ln, &e, NULL) < 0)
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
scan_members (const struct ledger_line *ln, struct brief_members *m)
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

/* Is QUOTED (a key with its quotes) a key anywhere in the line, in any
   layout?  Inside a string every '"' is escaped, so the quoted word is a
   whole token: a key when a ':' follows it, else a value (an id that is
   "root" is no root member).  */
static bool
has_key (const struct ledger_line *ln, const char *quoted)
{
  const char *p = ln->text, *end = ln->text + ln->len;
  size_t n = strlen (quoted);

  while ((p = memmem (p, (size_t) (end - p), quoted, n)) != NULL)
    {
      p += n;
      while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
      if (p < end && *p == ':')
        return true;
    }
  return false;
}

bool
ledger_line_brief (const struct ledger_line *ln, struct nr_ledger_entry *out)
{
  const char *end = ln->text + ln->len;
  struct brief_members m;
  long long pid = 0, start = 0;

  memset (out, 0, sizeof (*out));
  /* An escape anywhere may spell a key we look for ("ro\u006ft"): such
     lines (rare in ours: only strings with a quote, a backslash or a
     control character) are for the parser.  */
  if (memchr (ln->text, '\\', ln->len) != NULL)
    return false;
  scan_members (ln, &m);
  if (! integer_at (m.pid, &pid) || ! integer_at (m.pid_start, &start)
      || (out->id = plain_id (ln)) == NULL)
    return false;
  if (m.n_root > 0 || has_key (ln, "\"root\""))
    {
      /* A root, once, as a string without escapes; anything else is for
         the parser.  */
      if (m.root == NULL || *m.root != '"' || (out->root = plain_string (m.root + 1, end)) == NULL)
        {
          nr_ledger_entry_free (out);
          return false;
        }
    }
  out->creator_pid = (int) pid;
  out->creator_start = (uint64_t) start;
  return true;
}

/* `{"KEY":"<escaped VALUE>"`, as our generator writes it.  */
static char *
member_prefix (const char *key, const char *value, size_t *len)
{
  yajl_gen g = yajl_gen_alloc (NULL);

  yajl_gen_map_open (g);
  nr_json_gen_string (g, key, value);
  return nr_json_gen_finish (g, len);
}

char *
ledger_id_needle (const char *id, size_t *len)
{
  return member_prefix ("id", id, len);
}

char *
ledger_pod_needle (const char *pod, size_t *len)
{
  char *needle = member_prefix ("pod", pod, len);

  needle[0] = ',';
  return needle;
}

/* Does the value the needle ends with end there (not a longer string)?  */
static bool
value_ends (const char *after, const char *end)
{
  return after < end && (*after == ',' || *after == '}');
}

bool
ledger_line_has_id (const struct ledger_line *ln, const char *needle, size_t len)
{
  return ln->len > len && memcmp (ln->text, needle, len) == 0
         && value_ends (ln->text + len, ln->text + ln->len);
}

bool
ledger_line_in_pod (const struct ledger_line *ln, const char *needle, size_t len)
{
  const char *hit = memmem (ln->text, ln->len, needle, len);

  return hit != NULL && value_ends (hit + len, ln->text + ln->len);
}

/* ---- shard files -------------------------------------------------------- */

static const char shard_opening[] = "{\"containers\":[\n", shard_closing[] = "]}\n";

int
ledger_shard_parse (const char *text, size_t len, struct ledger_lines *out)
{
  const char *end, *p;

  /* numa-runtime never writes a NUL; one in the file is damage, and
     refusing it here keeps every later reader of a line's text free of
     the question of where its string ends.  */
  if (len < sizeof (shard_opening) - 1 + sizeof (shard_closing) - 1
      || memchr (text, '\0', len) != NULL)
    return -1;
  end = text + len - (sizeof (shard_closing) - 1);
  if (memcmp (text, shard_opening, sizeof (shard_opening) - 1) != 0
      || memcmp (end, shard_closing, sizeof (shard_closing) - 1) != 0)
    return -1;
  for (p = text + sizeof (shard_opening) - 1; p < end;)
    {
      const char *eol = memchr (p, '\n', (size_t) (end - p));
      size_t n;

      if (eol == NULL)
        return -1;
      n = (size_t) (eol - p);
      if (n > 0 && p[n - 1] == ',')
        n--;
      /* Every line we write starts with its id; one that does not is
         damage, found here for the price of a comparison.  (Damage
         further in is found when the line is parsed.)  */
      if (n < sizeof (id_opening) || memcmp (p, id_opening, sizeof (id_opening) - 1) != 0
          || p[n - 1] != '}')
        return -1;
      ledger_lines_append (out, p, n, false);
      p = eol + 1;
    }
  return 0;
}

static void
push_piece (struct iovec *iov, size_t *n, const char *base, size_t len)
{
  if (*n > 0 && (const char *) iov[*n - 1].iov_base + iov[*n - 1].iov_len == base)
    iov[*n - 1].iov_len += len;
  else
    iov[(*n)++] = (struct iovec){ .iov_base = (void *) base, .iov_len = len };
}

size_t
ledger_shard_layout (const struct ledger_lines *ls, const char *old, size_t old_len,
                     struct iovec *iov)
{
  static const char more[] = ",\n", last[] = "\n";
  size_t n = 0;

  push_piece (iov, &n, shard_opening, sizeof (shard_opening) - 1);
  for (size_t i = 0; i < ls->n; i++)
    {
      const struct ledger_line *ln = &ls->v[i];
      const char *sep = i + 1 < ls->n ? more : last;
      size_t sep_len = strlen (sep);
      const char *after = ln->text + ln->len;

      if (! ln->owned && old && after >= old && (size_t) (after - old) + sep_len <= old_len
          && memcmp (after, sep, sep_len) == 0)
        push_piece (iov, &n, ln->text, ln->len + sep_len);
      else
        {
          push_piece (iov, &n, ln->text, ln->len);
          push_piece (iov, &n, sep, sep_len);
        }
    }
  push_piece (iov, &n, shard_closing, sizeof (shard_closing) - 1);
  return n;
}

void
nr_ledger_entry_free (struct nr_ledger_entry *e)
{
  free (e->id);
  free (e->pod);
  free (e->root);
  free (e->pinned_by);
  free (e->cgroup);
  memset (e, 0, sizeof (*e));
}

void
nr_ledger_entry_copy (struct nr_ledger_entry *to, const struct nr_ledger_entry *from)
{
  *to = *from;
  to->id = dup_or_null (from->id);
  to->pod = dup_or_null (from->pod);
  to->root = dup_or_null (from->root);
  to->pinned_by = dup_or_null (from->pinned_by);
  to->cgroup = dup_or_null (from->cgroup);
}
