/* What the ledger unit tests share: temp ledgers, entries, and reading
   the files the way an outsider would.  */
#ifndef NR_LEDGER_FIXTURES_H
#define NR_LEDGER_FIXTURES_H

#include "unit.h"

#include "json.h"
#include "ledger.h"
#include "ledger_model.h"

#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A new empty directory for a ledger (unit.h: removed at the latest by
   the group teardown remove_temp_dirs).  */
static inline char *
temp_dir (void)
{
  return temp_dir_named ("nr-ledger");
}

static inline void
remove_tree (const char *dir)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", dir);
  assert_int_equal (system (cmd), 0);
}

/* How often the ledger last opened by open_ledger asked to be rebuilt
   (its recovery only counts).  */
static int rebuilds_asked;

static inline void
count_rebuild (struct nr_ledger *l, void *count)
{
  (void) l;
  ++*(int *) count;
}

static const struct nr_ledger_recovery counting_recovery = { count_rebuild, &rebuilds_asked, NULL };

static inline struct nr_ledger *
open_ledger (const char *path, const char *boot)
{
  struct nr_ledger *l = NULL;
  nr_error_t err = NULL;
  rebuilds_asked = 0;
  if (nr_ledger_open (path, boot, &counting_recovery, &l, &err) < 0)
    fail_msg ("open: %s", err->msg);
  return l;
}

static inline void
commit (struct nr_ledger *l)
{
  nr_error_t err = NULL;
  if (nr_ledger_commit (l, &err) < 0)
    fail_msg ("commit: %s", err->msg);
}

/* The shard files the index at PATH names, their texts one after the
   other in its order.  */
static inline char *
shard_texts (const char *path)
{
  cleanup_free char *index = NULL;
  cleanup_free char *dir_copy = xstrdup (path);
  const char *dir = dirname (dir_copy);
  cleanup_json yajl_val doc = NULL;
  yajl_val shards;
  char *out = xstrdup ("");
  size_t len;

  assert_int_equal (read_file (path, 1 << 20, &index, &len, NULL), 0);
  assert_int_equal (nr_json_parse (index, len, &doc, NULL), 0);
  shards = nr_json_get (doc, "shards");
  assert_non_null (shards);
  for (size_t i = 0; i < shards->u.array.len; i++)
    {
      const char *file = nr_json_get_string (shards->u.array.values[i], "file");
      cleanup_free char *file_path = xasprintf ("%s/%s", dir, file);
      cleanup_free char *text = NULL;
      char *joined;
      assert_int_equal (read_file (file_path, 1 << 20, &text, &len, NULL), 0);
      joined = xasprintf ("%s%s", out, text);
      free (out);
      out = joined;
    }
  return out;
}

/* N ids that share one shard ("s<k>" for some k), caller frees.  */
static inline char **
ids_in_one_shard (size_t n)
{
  char **ids = xmalloc0 (n * sizeof (*ids));
  size_t found = 0, want = ledger_shard_of ("s0", LEDGER_SHARDS);

  for (int k = 0; found < n; k++)
    {
      cleanup_free char *id = xasprintf ("s%d", k);
      if (ledger_shard_of (id, LEDGER_SHARDS) == want)
        ids[found++] = steal_pointer (&id);
    }
  return ids;
}

static inline void
free_ids (char **ids, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (ids[i]);
  free (ids);
}

/* Where ID comes in the ledger's order.  */
static inline size_t
position_of (struct nr_ledger *l, const char *id)
{
  for (size_t i = 0; i < nr_ledger_count (l); i++)
    {
      struct nr_ledger_entry e;
      bool match;
      assert_int_equal (nr_ledger_entry_at (l, i, &e, NULL), 0);
      match = strcmp (e.id, id) == 0;
      nr_ledger_entry_free (&e);
      if (match)
        return i;
    }
  fail_msg ("%s is not in the ledger", id);
  return 0;
}

static inline struct nr_ledger_entry
entry (const char *id, const char *nodes, const char *cpus, int64_t load)
{
  struct nr_ledger_entry e = { 0 };
  e.id = (char *) id;
  e.nodes = set_of (nodes);
  e.cpus = set_of (cpus);
  e.load = load;
  e.memory = 1 << 20;
  return e;
}

/* Add N entries PREFIX0 .. PREFIX<N-1> on node 0 to L (test-ledger-shards.c
   and test-ledger-shards-damage.c fill their ledgers with it).  */
static inline void
add_entries (struct nr_ledger *l, const char *prefix, int n)
{
  for (int i = 0; i < n; i++)
    {
      cleanup_free char *id = xasprintf ("%s%d", prefix, i);
      struct nr_ledger_entry e = entry (id, "0", "0-3", 100);
      nr_ledger_add (l, &e);
    }
}

/* The file at PATH, whole (caller frees).  Not inlined: gcc 12's
   -Wdangling-pointer then takes pointers into the result for pointers to
   the local that received it.  */
static __attribute__ ((noinline, unused)) char *
ledger_text (const char *path)
{
  char *text = NULL;
  size_t len;
  assert_int_equal (read_file (path, 1 << 20, &text, &len, NULL), 0);
  return text;
}

/* Every shard of the ledger L parses (no rebuild asked for), it holds
   COUNT entries, ID among them; closes L.  */
static inline void
assert_sound_and_holds (struct nr_ledger *l, size_t count, const char *id)
{
  nr_ledger_load_all (l);
  assert_int_equal (rebuilds_asked, 0);
  assert_int_equal (nr_ledger_count (l), count);
  assert_int_equal (nr_ledger_find (l, id, NULL, NULL), 1);
  nr_ledger_close (l);
}

#endif
