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

/* True when the text from P (END bounds it) starts with KEY.  */
static bool
starts_with (const char *p, const char *end, const char *key, size_t len)
{
  return (size_t) (end - p) >= len && memcmp (p, key, len) == 0;
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
  if (e->kubelet_cpus || every_key)
    nr_json_gen_bool (g, "kubelet_cpus", e->kubelet_cpus);
  if (e->root || every_key)
    nr_json_gen_string (g, "root", e->root);
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

static long long
get_int (yajl_val obj, const char *key)
{
  yajl_val v = nr_json_get (obj, key);
  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
}

/* A CPU or node list member (the empty set when absent).  */
static int
get_set (yajl_val obj, const char *key, nr_set_t *out, nr_error_t *err)
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

static int
entry_from_json (yajl_val obj, struct nr_ledger_entry *e, nr_error_t *err)
{
  const char *id = nr_json_get_string (obj, "id");

  memset (e, 0, sizeof (*e));
  if (obj == NULL || obj->type != yajl_t_object || id == NULL || *id == '\0')
    return nr_make_error (err, 0, "ledger entry without an id");
  if (get_set (obj, "nodes", &e->nodes, err) < 0 || get_set (obj, "cpus", &e->cpus, err) < 0
      || get_set (obj, "exclusive_cpus", &e->exclusive, err) < 0
      || get_set (obj, "mems", &e->mems, err) < 0)
    return nr_error_wrap (err, "ledger entry `%s`", id);
  e->id = xstrdup (id);
  e->load = get_int (obj, "load");
  e->millicpus = get_int (obj, "millicpus");
  e->memory = get_int (obj, "memory");
  e->hugepages = get_int (obj, "hugepages");
  e->memory_local = get_int (obj, "memory_local");
  /* Entries from before memory tiers (or without tier nodes) have no
     mems: their memory is on their nodes.  */
  if (nr_set_is_empty (&e->mems) || nr_set_equal (&e->mems, &e->nodes))
    {
      e->mems = e->nodes;
      e->memory_local = e->memory;
    }
  e->pod = dup_or_null (nr_json_get_string (obj, "pod"));
  e->sandbox = YAJL_IS_TRUE (nr_json_get (obj, "sandbox"));
  e->kubelet_cpus = YAJL_IS_TRUE (nr_json_get (obj, "kubelet_cpus"));
  e->root = dup_or_null (nr_json_get_string (obj, "root"));
  e->creator_pid = (int) get_int (obj, "pid");
  e->creator_start = (uint64_t) get_int (obj, "pid_start");
  e->created = get_int (obj, "created");
  return 0;
}

int
ledger_entry_from_line (const struct ledger_line *ln, struct nr_ledger_entry *e, nr_error_t *err)
{
  cleanup_json yajl_val obj = NULL;
  cleanup_free char *heap = NULL;
  char stack[1024];
  char *text = stack;

  /* The parser wants a NUL-terminated string; lines in a file have none.  */
  if (ln->len >= sizeof (stack))
    text = heap = xmalloc (ln->len + 1);
  memcpy (text, ln->text, ln->len);
  text[ln->len] = '\0';
  memset (e, 0, sizeof (*e));
  if (nr_json_parse (text, ln->len, &obj, err) < 0)
    return -1;
  return entry_from_json (obj, e, err);
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
      if (starts_with (p, end, root, sizeof (root) - 1))
        m->root = m->n_root++ ? NULL : p + sizeof (root) - 1;
      else if (starts_with (p, end, pid, sizeof (pid) - 1))
        m->pid = m->n_pid++ ? NULL : p + sizeof (pid) - 1;
      else if (starts_with (p, end, pid_start, sizeof (pid_start) - 1))
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

bool
ledger_line_brief (const struct ledger_line *ln, struct nr_ledger_entry *out)
{
  const char *end = ln->text + ln->len;
  struct brief_members m;
  long long pid = 0, start = 0;

  memset (out, 0, sizeof (*out));
  scan_members (ln, &m);
  if (! integer_at (m.pid, &pid) || ! integer_at (m.pid_start, &start)
      || (out->id = plain_id (ln)) == NULL)
    return false;
  if (m.n_root > 0 || memmem (ln->text, ln->len, "\"root\"", 6) != NULL)
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

  if (len < sizeof (shard_opening) - 1 + sizeof (shard_closing) - 1)
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

/* ---- counters ---------------------------------------------------------- */

/* The scalar counters: index key and member.  */
static const struct
{
  const char *key;
  size_t offset;
} scalars[] = {
  { "deletes", offsetof (struct nr_counters, deletes) },
  { "reclaims", offsetof (struct nr_counters, reclaims) },
  { "set_asides", offsetof (struct nr_counters, set_asides) },
  { "rebuilds", offsetof (struct nr_counters, rebuilds) },
};

static uint64_t *
scalar (struct nr_counters *c, size_t i)
{
  return (uint64_t *) ((char *) c + scalars[i].offset);
}

void
nr_counters_gen (yajl_gen g, const struct nr_counters *c)
{
  nr_json_gen_key (g, "counters");
  yajl_gen_map_open (g);
  nr_json_gen_key (g, "creates");
  yajl_gen_map_open (g);
  /* Only the policies and outcomes that happened: the index stays small.  */
  for (int pol = 0; pol < NR_POLICIES; pol++)
    {
      bool any = false;
      for (int o = 0; o < NR_OUTCOMES; o++)
        if (c->creates[o][pol] > 0)
          {
            if (! any)
              {
                nr_json_gen_key (g, nr_policy_name ((enum nr_policy) pol));
                yajl_gen_map_open (g);
                any = true;
              }
            nr_json_gen_int (g, nr_outcome_name ((enum nr_outcome) o),
                             (long long) c->creates[o][pol]);
          }
      if (any)
        yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
  for (size_t i = 0; i < NR_N_ELEMENTS (scalars); i++)
    nr_json_gen_int (g, scalars[i].key, (long long) *scalar ((struct nr_counters *) c, i));
  yajl_gen_map_close (g);
}

static uint64_t
count_of (yajl_val v)
{
  return v && YAJL_IS_INTEGER (v) && YAJL_GET_INTEGER (v) > 0 ? (uint64_t) YAJL_GET_INTEGER (v) : 0;
}

void
nr_counters_read (yajl_val doc, struct nr_counters *c)
{
  yajl_val counters = nr_json_get (doc, "counters");
  yajl_val creates = nr_json_get (counters, "creates");

  memset (c, 0, sizeof (*c));
  if (counters == NULL || ! YAJL_IS_OBJECT (counters))
    return;
  for (size_t i = 0; i < NR_N_ELEMENTS (scalars); i++)
    *scalar (c, i) = count_of (nr_json_get (counters, scalars[i].key));
  if (creates == NULL || ! YAJL_IS_OBJECT (creates))
    return;
  for (size_t k = 0; k < creates->u.object.len; k++)
    {
      enum nr_policy pol;
      yajl_val by_outcome = creates->u.object.values[k];

      if (nr_policy_parse (creates->u.object.keys[k], &pol) < 0 || ! YAJL_IS_OBJECT (by_outcome))
        continue;
      for (int o = 0; o < NR_OUTCOMES; o++)
        c->creates[o][pol] = count_of (nr_json_get (by_outcome, nr_outcome_name (o)));
    }
}

/* ---- the index ---------------------------------------------------------- */

void
ledger_index_free (struct ledger_index *ix)
{
  free (ix->boot_id);
  free (ix->usage);
  for (size_t i = 0; i < ix->n_shards; i++)
    free (ix->shards[i].file);
  free (ix->shards);
  ledger_lines_free (&ix->v1_entries);
  memset (ix, 0, sizeof (*ix));
}

/* Everything but the entries: boot id, cursor, sums, counters.  */
static void
read_sums (yajl_val doc, struct ledger_index *ix)
{
  const char *boot_id = nr_json_get_string (doc, "boot_id");
  yajl_val nodes = nr_json_get (doc, "nodes");

  ix->boot_id = boot_id && *boot_id ? xstrdup (boot_id) : NULL;
  ix->reclaim_cursor = (size_t) get_int (doc, "reclaim_cursor");
  nr_counters_read (doc, &ix->counters);
  if (nodes == NULL || nodes->type != yajl_t_array)
    return;
  ix->usage = xmalloc0 (nodes->u.array.len * sizeof (*ix->usage));
  for (size_t i = 0; i < nodes->u.array.len; i++)
    {
      yajl_val n = nodes->u.array.values[i];
      struct nr_node_usage *u = &ix->usage[ix->n_usage++];
      u->node = (int) get_int (n, "node");
      u->containers = (int) get_int (n, "containers");
      u->load = get_int (n, "load");
      u->millicpus = get_int (n, "millicpus");
      u->memory = get_int (n, "memory");
      u->hugepages = get_int (n, "hugepages");
      if (get_set (n, "exclusive_cpus", &u->exclusive, NULL) < 0)
        nr_set_clear (&u->exclusive);
    }
}

/* NAME in the form commits write, "<shard>-<generation>.json" (decimal
   numbers of at most 20 digits): anything else in an index is damage, so
   that a hand-edited index can neither point us outside the shard
   directory nor make us write back a name that needs escaping.  */
static bool
canonical_shard_name (const char *name)
{
  size_t digits = strspn (name, "0123456789");

  if (digits < 1 || digits > 20 || name[digits] != '-')
    return false;
  name += digits + 1;
  digits = strspn (name, "0123456789");
  return digits >= 1 && digits <= 20 && strcmp (name + digits, ".json") == 0;
}

/* Add shard K's file to IX: a canonical name under SHARD_DIR_NAME, one
   shard a file (two shards sharing one would have one's commit delete the
   other's entries), each shard once.  */
static int
add_shard (struct ledger_index *ix, const char *shard_dir_name, long long k, long long entries,
           const char *file, size_t file_len)
{
  size_t n = strlen (shard_dir_name);
  cleanup_free char *name = NULL;

  if (k < 0 || (size_t) k >= ix->shard_count || entries < 0 || file == NULL)
    return -1;
  name = xstrndup (file, file_len);
  if (strncmp (name, shard_dir_name, n) != 0 || name[n] != '/'
      || ! canonical_shard_name (name + n + 1))
    return -1;
  for (size_t i = 0; i < ix->n_shards; i++)
    if (ix->shards[i].shard == (size_t) k || strcmp (ix->shards[i].file, name) == 0)
      return -1;
  ix->shards = xrealloc (ix->shards, (ix->n_shards + 1) * sizeof (*ix->shards));
  ix->shards[ix->n_shards++] = (struct ledger_index_shard){ .shard = (size_t) k,
                                                            .entries = (size_t) entries,
                                                            .file = steal_pointer (&name) };
  return 0;
}

/* The header of a version 2 index: everything but "shards".  */
static int
read_header (yajl_val doc, struct ledger_index *ix)
{
  long long count = get_int (doc, "shard_count");

  if (get_int (doc, "version") != LEDGER_VERSION || count < 1 || count > LEDGER_MAX_SHARDS)
    return -1;
  ix->shard_count = (size_t) count;
  ix->generation = (uint64_t) get_int (doc, "generation");
  read_sums (doc, ix);
  return 0;
}

/* A version 2 index parsed whole.  */
static int
read_tree (yajl_val doc, const char *shard_dir_name, struct ledger_index *ix)
{
  yajl_val shards = nr_json_get (doc, "shards");

  if (shards == NULL || shards->type != yajl_t_array || read_header (doc, ix) < 0)
    return -1;
  for (size_t i = 0; i < shards->u.array.len; i++)
    {
      yajl_val v = shards->u.array.values[i];
      const char *file = nr_json_get_string (v, "file");
      if (add_shard (ix, shard_dir_name, get_int (v, "shard"), get_int (v, "entries"), file,
                     file ? strlen (file) : 0)
          < 0)
        return -1;
    }
  return 0;
}

/* The index as numa-runtime writes it, read without building a JSON tree
   of the shard list (64 objects a create would otherwise parse): the
   header goes to the parser, each `{"shard":K,"entries":N,"file":"F"}` is
   read by hand.  -1 when TEXT is not in that form (the caller then parses
   it whole).  */
static int
read_fast (const char *text, size_t len, const char *shard_dir_name, struct ledger_index *ix)
{
  static const char list[] = ",\"shards\":[",
                    item[] = "{\"shard\":", entries[] = ",\"entries\":", file[] = ",\"file\":\"",
                    tail[] = "]}\n";
  const char *p = memmem (text, len, list, sizeof (list) - 1);
  const char *end = text + len;
  cleanup_free char *header = NULL;
  cleanup_json yajl_val doc = NULL;

  if (p == NULL || len < sizeof (tail) || memcmp (end - 3, tail, 3) != 0)
    return -1;
  header = xasprintf ("%.*s}", (int) (p - text), text);
  if (nr_json_parse (header, strlen (header), &doc, NULL) < 0 || doc->type != yajl_t_object
      || read_header (doc, ix) < 0)
    return -1;
  end -= 3;
  for (p += sizeof (list) - 1; p < end;)
    {
      long long k, n;
      const char *f, *q;
      char *after;

      if (! starts_with (p, end, item, sizeof (item) - 1)
          || ! isdigit ((unsigned char) p[sizeof (item) - 1]))
        return -1;
      k = strtoll (p + sizeof (item) - 1, &after, 10);
      if (! starts_with (after, end, entries, sizeof (entries) - 1)
          || ! isdigit ((unsigned char) after[sizeof (entries) - 1]))
        return -1;
      n = strtoll (after + sizeof (entries) - 1, &after, 10);
      if (! starts_with (after, end, file, sizeof (file) - 1))
        return -1;
      f = after + sizeof (file) - 1;
      for (q = f; q < end && *q != '"' && *q != '\\'; q++)
        ;
      if (q + 1 >= end || *q != '"' || q[1] != '}'
          || add_shard (ix, shard_dir_name, k, n, f, (size_t) (q - f)) < 0)
        return -1;
      p = q + 2;
      if (p < end && *p == ',')
        p++;
    }
  return 0;
}

/* A version 1 ledger: its entries, re-generated as lines.  */
static int
read_v1 (yajl_val doc, struct ledger_index *ix)
{
  yajl_val containers = nr_json_get (doc, "containers");

  if (containers == NULL || containers->type != yajl_t_array)
    return -1;
  ix->v1 = true;
  read_sums (doc, ix);
  for (size_t i = 0; i < containers->u.array.len; i++)
    {
      struct nr_ledger_entry e;
      size_t n;
      char *line;

      if (entry_from_json (containers->u.array.values[i], &e, NULL) < 0)
        return -1;
      line = ledger_entry_to_line (&e, &n);
      ledger_lines_append (&ix->v1_entries, line, n, true);
      nr_ledger_entry_free (&e);
    }
  return 0;
}

int
ledger_index_parse (const char *text, size_t len, const char *shard_dir_name,
                    struct ledger_index *out, const char **why)
{
  cleanup_json yajl_val doc = NULL;
  int r;

  memset (out, 0, sizeof (*out));
  if (len >= 13 && strncmp (text, "{\"version\":2,", 13) == 0
      && read_fast (text, len, shard_dir_name, out) == 0)
    return 0;
  ledger_index_free (out);
  if (nr_json_parse (text, len, &doc, NULL) < 0 || doc->type != yajl_t_object)
    {
      *why = "not JSON";
      return -1;
    }
  r = nr_json_get (doc, "shards") ? read_tree (doc, shard_dir_name, out) : read_v1 (doc, out);
  if (r < 0)
    {
      ledger_index_free (out);
      *why = "not a ledger index";
    }
  return r;
}

/* S as a JSON string's contents (escaped, without the quotes).  */
static char *
json_plain (const char *s)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  char *out;

  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
  yajl_gen_get_buf (g, &buf, &len);
  out = xstrndup ((const char *) buf + 1, len - 2);
  yajl_gen_free (g);
  return out;
}

char *
ledger_index_text (const struct ledger_index *ix, const char *shard_dir_name, size_t *len)
{
  static const char head[] = ",\"shards\":[";
  static const char item_fmt[] = "%s{\"shard\":%zu,\"entries\":%zu,\"file\":\"%s%s\"}";
  yajl_gen g = yajl_gen_alloc (NULL);
  cleanup_free char *dir_json = json_plain (shard_dir_name);
  size_t dir_len = strlen (shard_dir_name);
  const unsigned char *buf;
  char *out;
  size_t n, size;

  yajl_gen_map_open (g);
  nr_json_gen_int (g, "version", LEDGER_VERSION);
  nr_json_gen_string (g, "boot_id", ix->boot_id ? ix->boot_id : "");
  nr_json_gen_int (g, "generation", (long long) ix->generation);
  nr_json_gen_int (g, "reclaim_cursor", (long long) ix->reclaim_cursor);
  nr_json_gen_int (g, "shard_count", (long long) ix->shard_count);
  nr_json_gen_key (g, "nodes");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < ix->n_usage; i++)
    {
      const struct nr_node_usage *u = &ix->usage[i];
      if (u->containers == 0)
        continue;
      yajl_gen_map_open (g);
      nr_json_gen_int (g, "node", u->node);
      nr_json_gen_int (g, "containers", u->containers);
      nr_json_gen_int (g, "load", u->load);
      nr_json_gen_int (g, "millicpus", u->millicpus);
      nr_json_gen_int (g, "memory", u->memory);
      nr_json_gen_int (g, "hugepages", u->hugepages);
      nr_json_gen_set (g, "exclusive_cpus", &u->exclusive);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  nr_counters_gen (g, &ix->counters);
  /* The shard list by hand: 64 small objects through the generator cost
     a create more than everything else it writes.  File names are ours
     ("<base>.d/NN-G.json", the reader refuses any other form); only the
     base name can need escaping.  The buffer is sized from the names
     themselves all the same.  */
  yajl_gen_get_buf (g, &buf, &n);
  size = n + sizeof (head) + 4;
  for (size_t k = 0; k < ix->n_shards; k++)
    size += sizeof (item_fmt) + 2 * 20 + strlen (dir_json) + strlen (ix->shards[k].file);
  out = xmalloc (size);
  memcpy (out, buf, n);
  memcpy (out + n, head, sizeof (head) - 1);
  n += sizeof (head) - 1;
  for (size_t k = 0; k < ix->n_shards; k++)
    {
      const struct ledger_index_shard *s = &ix->shards[k];
      n += (size_t) snprintf (out + n, size - n, item_fmt, out[n - 1] == '[' ? "" : ",", s->shard,
                              s->entries, dir_json, s->file + dir_len);
    }
  memcpy (out + n, "]}\n", 4);
  *len = n + 3;
  yajl_gen_free (g);
  return out;
}
