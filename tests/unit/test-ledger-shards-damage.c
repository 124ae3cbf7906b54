/* Damage to the ledger's shards: a shard file missing, cut short or
   holding another count, a damaged entry, a shard directory or index that
   leads elsewhere, odd shard file names; each is found when read, kept
   aside, and the ledger rebuilt at the first query, even a delete's.  */
#include <config.h>

#include "unit.h"

#include "ledger-fixtures.h"

#include <sys/stat.h>

/* A shard file that is gone, cut short or holds another count is found
   when first read; the ledger then reads as empty and asks for a rebuild,
   and the next commit keeps the damaged files aside.  */
static void
check_damage (const char *how)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  struct nr_ledger *l = open_ledger (path, "b");
  struct nr_ledger_entry e = entry ("victim", "0", "0-3", 100);
  size_t k = ledger_shard_of ("victim", LEDGER_SHARDS);
  cleanup_free char *file = xasprintf ("%s/ledger.json.d/%02zu-1.json", dir, k);
  cleanup_free char *aside = NULL, *aside_dir = NULL;
  struct stat st;

  add_entries (l, "c", 50);
  nr_ledger_add (l, &e);
  commit (l);
  nr_ledger_close (l);

  if (strcmp (how, "missing") == 0)
    assert_int_equal (unlink (file), 0);
  else if (strcmp (how, "truncated") == 0)
    assert_int_equal (truncate (file, 20), 0);
  else if (strcmp (how, "id") == 0 || strcmp (how, "inside") == 0)
    {
      /* One entry line damaged: at its start, or further in.  */
      cleanup_free char *text = ledger_text (file);
      char *line = strstr (text, "{\"id\":\"victim\"");
      char *hit;
      assert_non_null (line);
      hit = strcmp (how, "id") == 0 ? line + 1 : strstr (line, "\"load\":");
      assert_non_null (hit);
      hit[strcspn (hit, ":")] = '=';
      assert_int_equal (write_file_atomic (file, text, strlen (text), 0600, false, NULL), 0);
    }
  else if (strcmp (how, "twice") == 0)
    {
      /* The victim's line names a second id, another entry's: the id
         searches read the first, a JSON parser the last.  */
      cleanup_free char *text = ledger_text (file);
      cleanup_free char *edited = NULL;
      char *load = strstr (text, "{\"id\":\"victim\"");
      assert_non_null (load);
      load = strstr (load, "\"load\":");
      assert_non_null (load);
      edited = xasprintf ("%.*s\"id\":\"c1\",%s", (int) (load - text), text, load);
      assert_int_equal (write_file_atomic (file, edited, strlen (edited), 0600, false, NULL), 0);
    }
  else
    {
      /* Well-formed, one entry fewer than the index says.  */
      static const char text[] = "{\"containers\":[\n]}\n";
      assert_int_equal (write_file_atomic (file, text, sizeof (text) - 1, 0600, false, NULL), 0);
    }

  l = open_ledger (path, "b");
  assert_int_equal (nr_ledger_count (l), 51); /* the index alone is fine */
  assert_int_equal (rebuilds_asked, 0);
  {
    struct nr_ledger_entry got;
    /* The shard did not load, or its line did not parse: the damage is
       found, the ledger rebuilt (here to nothing) before the search goes
       on, and the victim is never returned.  */
    assert_int_equal (nr_ledger_find (l, "victim", &got, NULL), 0);
  }
  assert_non_null (nr_ledger_moved_aside (l));
  assert_int_equal (rebuilds_asked, 1);
  nr_ledger_load_all (l);
  assert_int_equal (rebuilds_asked, 1); /* once */
  assert_int_equal (nr_ledger_count (l), 0);
  aside = xstrdup (nr_ledger_moved_aside (l));
  aside_dir = xasprintf ("%s.d", aside);
  e = entry ("rebuilt", "1", "4", 100);
  nr_ledger_add (l, &e);
  commit (l);
  nr_ledger_close (l);

  assert_int_equal (stat (aside, &st), 0);
  assert_int_equal (stat (aside_dir, &st), 0);
  assert_true (S_ISDIR (st.st_mode));
  l = open_ledger (path, "b");
  assert_null (nr_ledger_moved_aside (l));
  assert_sound_and_holds (l, 1, "rebuilt");
  remove_tree (dir);
}

static void
a_missing_shard_is_found_when_read (void **state)
{
  check_damage ("missing");
}

static void
a_truncated_shard_is_found_when_read (void **state)
{
  check_damage ("truncated");
}

static void
a_shard_with_another_count_is_found_when_read (void **state)
{
  check_damage ("count");
}

static void
an_entry_damaged_at_its_start_is_found_when_its_shard_is_read (void **state)
{
  check_damage ("id");
}

static void
an_entry_damaged_further_in_is_found_when_it_is_read (void **state)
{
  check_damage ("inside");
}

static void
an_entry_with_a_key_twice_is_damage (void **state)
{
  check_damage ("twice");
}

/* A symlink in place of the shard directory is not followed.  */
static void
a_symlinked_shard_directory_is_not_followed (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  cleanup_free char *shard_dir = xasprintf ("%s/ledger.json.d", dir);
  cleanup_free char *elsewhere = xasprintf ("%s/elsewhere", dir);
  struct nr_ledger *l = open_ledger (path, "b");

  add_entries (l, "c", 5);
  commit (l);
  nr_ledger_close (l);
  assert_int_equal (rename (shard_dir, elsewhere), 0);
  assert_int_equal (symlink ("elsewhere", shard_dir), 0);

  l = open_ledger (path, "b");
  nr_ledger_load_all (l);
  assert_int_equal (rebuilds_asked, 1);
  assert_int_equal (nr_ledger_count (l), 0);
  nr_ledger_close (l);
  remove_tree (dir);
}

/* A hand-edited index may not send us outside the shard directory.  */
static void
an_index_naming_a_file_elsewhere_is_unreadable (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  static const char index[] =
      "{\"version\":2,\"boot_id\":\"b\",\"generation\":1,\"reclaim_cursor\":0,\"shard_count\":64,"
      "\"nodes\":[],\"shards\":[{\"shard\":3,\"entries\":1,\"file\":\"../../etc/passwd\"}]}\n";
  struct nr_ledger *l;

  assert_int_equal (write_file_atomic (path, index, sizeof (index) - 1, 0600, false, NULL), 0);
  l = open_ledger (path, "b");
  assert_non_null (nr_ledger_moved_aside (l));
  assert_int_equal (nr_ledger_count (l), 0);
  nr_ledger_close (l);
  remove_tree (dir);
}

/* Issue 12, items 2-4: a shard file name in any other form than the one
   commits write (a 9,000-character name, ~200-character names in every
   shard, an escaped quote), or one file named by two shards, makes the
   index damaged: never copied into a buffer sized for our names, never
   written back unescaped, never unlinked under the other shard.  */
static void
odd_or_shared_shard_file_names_are_damage (void **state)
{
  static const char head[] = "{\"version\":2,\"boot_id\":\"b\",\"generation\":1,"
                             "\"reclaim_cursor\":0,\"shard_count\":64,\"nodes\":[],\"shards\":[";
  cleanup_free char *long_name = xmalloc (9001);
  cleanup_free char *mid_name = xmalloc (191);
  cleanup_free char *many = xstrdup (head);
  const char *cases[4];

  memset (long_name, '9', 9000);
  long_name[9000] = '\0';
  memset (mid_name, '1', 190);
  mid_name[190] = '\0';
  for (int k = 0; k < 64; k++)
    {
      char *more =
          xasprintf ("%s%s{\"shard\":%d,\"entries\":0,\"file\":\"ledger.json.d/%d-%s.json\"}", many,
                     k ? "," : "", k, k, mid_name);
      free (many);
      many = more;
    }
  cases[0] = xasprintf ("%s{\"shard\":3,\"entries\":0,\"file\":\"ledger.json.d/3-%s.json\"}]}\n",
                        head, long_name);
  cases[1] = xasprintf ("%s]}\n", many);
  cases[2] = xasprintf (
      "%s\n {\"shard\":3,\"entries\":0,\"file\":\"ledger.json.d/03-1\\\".json\"}]}\n", head);
  cases[3] = xasprintf ("%s{\"shard\":3,\"entries\":0,\"file\":\"ledger.json.d/03-1.json\"},"
                        "{\"shard\":4,\"entries\":0,\"file\":\"ledger.json.d/03-1.json\"}]}\n",
                        head);
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      cleanup_free char *dir = temp_dir ();
      cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
      struct nr_ledger *l;
      struct nr_ledger_entry e = { .id = (char *) "x", .root = (char *) "/r" };

      assert_int_equal (write_file_atomic (path, cases[i], strlen (cases[i]), 0600, false, NULL),
                        0);
      l = open_ledger (path, "b");
      assert_non_null (nr_ledger_moved_aside (l));
      /* A commit after the damage writes a ledger we read back whole.  */
      nr_set_add (&e.nodes, 0);
      nr_ledger_add (l, &e);
      commit (l);
      nr_ledger_close (l);
      l = open_ledger (path, "b");
      assert_null (nr_ledger_moved_aside (l));
      assert_int_equal (nr_ledger_find (l, "x", NULL, NULL), 1);
      nr_ledger_close (l);
      remove_tree (dir);
      free ((char *) cases[i]);
    }
}

/* What a test's recovery adds back when the ledger asks: the entries it
   names, and how often it was asked.  IDS may be set after the open.  */
struct rebuild_with
{
  const char *const *ids;
  int asked;
};

static void
rebuild_with_ids (struct nr_ledger *l, void *data)
{
  struct rebuild_with *with = data;

  with->asked++;
  for (size_t i = 0; with->ids && with->ids[i]; i++)
    {
      struct nr_ledger_entry e = entry (with->ids[i], "0", "0", 100);
      nr_ledger_add (l, &e);
    }
}

/* The open only finds the damage: the rebuild runs at the first query,
   with whatever the caller filled in after the open (create loads the
   topology there), and the query answers from the rebuilt ledger.  */
static void
a_damaged_index_is_rebuilt_at_the_first_query (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  static const char *const ids[] = { "back-1", "back-2", NULL };
  struct rebuild_with with = { 0 };
  struct nr_ledger_recovery recovery = { .rebuild = rebuild_with_ids, .data = &with };
  struct nr_ledger *l = NULL;
  struct stat st;
  cleanup_free char *aside = NULL;

  assert_int_equal (write_file_atomic (path, "{not json", 9, 0600, false, NULL), 0);
  assert_int_equal (nr_ledger_open (path, "b", &recovery, &l, NULL), 0);
  assert_int_equal (with.asked, 0);
  with.ids = ids;
  assert_int_equal (nr_ledger_count (l), 2);
  assert_int_equal (with.asked, 1);
  assert_int_equal (nr_ledger_find (l, "back-2", NULL, NULL), 1);
  assert_int_equal (with.asked, 1);
  aside = xstrdup (nr_ledger_moved_aside (l));
  commit (l);
  nr_ledger_close (l);
  assert_int_equal (stat (aside, &st), 0);
  l = open_ledger (path, "b");
  assert_sound_and_holds (l, 2, "back-1");
  remove_tree (dir);
}

/* Damage in the very shard a delete reads: the ledger is rebuilt there
   and then, and the removal goes on in the rebuilt ledger, so the
   container's entry is released, not rebuilt behind the delete's back.  */
static void
a_delete_that_finds_its_shard_damaged_removes_the_rebuilt_entry (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  static const char *const ids[] = { "victim", "other", NULL };
  struct rebuild_with with = { .ids = ids };
  struct nr_ledger_recovery recovery = { .rebuild = rebuild_with_ids, .data = &with };
  struct nr_ledger *l = open_ledger (path, "b");
  struct nr_ledger_entry e = entry ("victim", "0", "0-3", 100);
  size_t k = ledger_shard_of ("victim", LEDGER_SHARDS);
  cleanup_free char *file = xasprintf ("%s/ledger.json.d/%02zu-1.json", dir, k);
  struct nr_node_usage u;

  add_entries (l, "c", 20);
  nr_ledger_add (l, &e);
  commit (l);
  nr_ledger_close (l);
  assert_int_equal (truncate (file, 20), 0);

  assert_int_equal (nr_ledger_open (path, "b", &recovery, &l, NULL), 0);
  assert_true (nr_ledger_remove (l, "victim"));
  assert_int_equal (with.asked, 1);
  assert_int_equal (nr_ledger_count (l), 1);
  assert_int_equal (nr_ledger_find (l, "other", NULL, NULL), 1);
  nr_ledger_usage (l, 0, &u);
  assert_int_equal (u.containers, 1);
  assert_int_equal (u.load, 100);
  nr_ledger_close (l);
  remove_tree (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (a_missing_shard_is_found_when_read),
    cmocka_unit_test (a_truncated_shard_is_found_when_read),
    cmocka_unit_test (a_shard_with_another_count_is_found_when_read),
    cmocka_unit_test (an_entry_damaged_at_its_start_is_found_when_its_shard_is_read),
    cmocka_unit_test (an_entry_damaged_further_in_is_found_when_it_is_read),
    cmocka_unit_test (an_entry_with_a_key_twice_is_damage),
    cmocka_unit_test (an_index_naming_a_file_elsewhere_is_unreadable),
    cmocka_unit_test (a_symlinked_shard_directory_is_not_followed),
    cmocka_unit_test (odd_or_shared_shard_file_names_are_damage),
    cmocka_unit_test (a_damaged_index_is_rebuilt_at_the_first_query),
    cmocka_unit_test (a_delete_that_finds_its_shard_damaged_removes_the_rebuilt_entry),
  };
  return cmocka_run_group_tests_name ("ledger shards damage", tests, NULL, remove_temp_dirs);
}
