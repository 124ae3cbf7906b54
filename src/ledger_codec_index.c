/* numa-runtime: the ledger's JSON, second half — the index (the counters
   it carries are read and written by counters.c).  See ledger_codec.h;
   entries and shard files are in ledger_codec.c.  */
#include <config.h>

#include "ledger_codec.h"
#include "json.h"
#include "util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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
  ix->reclaim_cursor = (size_t) ledger_json_int (doc, "reclaim_cursor");
  nr_counters_read (doc, &ix->counters);
  if (nodes == NULL || nodes->type != yajl_t_array)
    return;
  ix->usage = xmalloc0 (nodes->u.array.len * sizeof (*ix->usage));
  for (size_t i = 0; i < nodes->u.array.len; i++)
    {
      yajl_val n = nodes->u.array.values[i];
      struct nr_node_usage *u = &ix->usage[ix->n_usage++];
      u->node = (int) ledger_json_int (n, "node");
      u->containers = (int) ledger_json_int (n, "containers");
      /* An index written before the count, or a count that cannot be:
         every container may share (the node keeps its shared CPU).  */
      u->sharing = nr_json_get (n, "sharing") ? (int) ledger_json_int (n, "sharing") : -1;
      if (u->sharing < 0 || u->sharing > u->containers)
        u->sharing = u->containers;
      u->load = ledger_json_int (n, "load");
      u->millicpus = ledger_json_int (n, "millicpus");
      u->memory = ledger_json_int (n, "memory");
      u->hugepages = ledger_json_int (n, "hugepages");
      if (ledger_json_set (n, "exclusive_cpus", &u->exclusive, NULL) < 0)
        nr_set_clear (&u->exclusive);
      if (nr_json_get (n, "held_load") == NULL)
        ix->sums_without_held = true;
      u->held_load = ledger_json_int (n, "held_load");
      if (ledger_json_set (n, "held_cpus", &u->held_cpus, NULL) < 0)
        nr_set_clear (&u->held_cpus);
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
  long long count = ledger_json_int (doc, "shard_count");

  if (ledger_json_int (doc, "version") != LEDGER_VERSION || count < 1 || count > LEDGER_MAX_SHARDS)
    return -1;
  ix->shard_count = (size_t) count;
  ix->generation = (uint64_t) ledger_json_int (doc, "generation");
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
      if (add_shard (ix, shard_dir_name, ledger_json_int (v, "shard"),
                     ledger_json_int (v, "entries"), file, file ? strlen (file) : 0)
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

      if (! ledger_starts_with (p, end, item, sizeof (item) - 1)
          || ! isdigit ((unsigned char) p[sizeof (item) - 1]))
        return -1;
      k = strtoll (p + sizeof (item) - 1, &after, 10);
      if (! ledger_starts_with (after, end, entries, sizeof (entries) - 1)
          || ! isdigit ((unsigned char) after[sizeof (entries) - 1]))
        return -1;
      n = strtoll (after + sizeof (entries) - 1, &after, 10);
      if (! ledger_starts_with (after, end, file, sizeof (file) - 1))
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

      if (ledger_entry_from_json (containers->u.array.values[i], &e, NULL) < 0)
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
  /* A NUL is damage (numa-runtime never writes one), as in a shard.  */
  if (memchr (text, '\0', len) != NULL)
    {
      *why = "holds a NUL byte";
      return -1;
    }
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
      nr_json_gen_int (g, "sharing", u->sharing);
      nr_json_gen_int (g, "load", u->load);
      nr_json_gen_int (g, "millicpus", u->millicpus);
      nr_json_gen_int (g, "memory", u->memory);
      nr_json_gen_int (g, "hugepages", u->hugepages);
      nr_json_gen_set (g, "exclusive_cpus", &u->exclusive);
      nr_json_gen_int (g, "held_load", u->held_load);
      nr_json_gen_set (g, "held_cpus", &u->held_cpus);
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
