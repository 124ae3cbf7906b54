/* The ledger's shards: an update rewrites only the shard it changes, the
   files on disk are exactly those the index names, and older layouts and
   other shard counts are read and rewritten.  Damage: test-ledger-shards-damage.c.  */
#include <config.h>

#include "unit.h"

#include "ledger-fixtures.h"

#include <dirent.h>
#include <sys/stat.h>

/* The files in DIR (sorted, one a line), caller frees.  */
static char *
listing (const char *dir)
{
  struct dirent **names;
  int n = scandir (dir, &names, NULL, alphasort);
  char *out = xstrdup ("");

  if (n < 0)
    return out;
  for (int i = 0; i < n; i++)
    {
      if (names[i]->d_name[0] != '.')
        {
          char *joined = xasprintf ("%s%s\n", out, names[i]->d_name);
          free (out);
          out = joined;
        }
      free (names[i]);
    }
  free (names);
  return out;
}

/* The shard files the index at PATH names (file names only, sorted, one
   a line), caller frees.  */
static char *
named_files (const char *path)
{
  cleanup_free char *index = ledger_text (path);
  cleanup_json yajl_val doc = NULL;
  yajl_val shards;
  char *out = xstrdup ("");

  assert_int_equal (nr_json_parse (index, strlen (index), &doc, NULL), 0);
  shards = nr_json_get (doc, "shards");
  for (size_t i = 0; i < shards->u.array.len; i++)
    {
      const char *file = nr_json_get_string (shards->u.array.values[i], "file");
      char *joined = xasprintf ("%s%s\n", out, strrchr (file, '/') + 1);
      free (out);
      out = joined;
    }
  return out; /* the index lists shards in ascending order, as scandir sorts */
}

static void
shards_are_fnv1a_of_the_id (void **state)
{
  /* FNV-1a, 32 bits: "" hashes to 0x811c9dc5, "a" to 0xe40c292c.  */
  assert_int_equal (ledger_shard_of ("", 1u << 31), 0x811c9dc5u % (1u << 31));
  assert_int_equal (ledger_shard_of ("a", 64), 0xe40c292cu % 64);
  assert_int_equal (ledger_shard_of ("foobar", 64), 0xbf9cf968u % 64);
}

/* 200 entries over many shards; one more rewrites one shard file, and the
   one it replaces is gone.  */
static void
a_commit_rewrites_only_the_changed_shard (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  cleanup_free char *shard_dir = xasprintf ("%s/ledger.json.d", dir);
  cleanup_free char *before = NULL, *after = NULL, *on_disk = NULL;
  struct nr_ledger *l = open_ledger (path, "b");
  struct nr_ledger_entry e = entry ("one-more", "1", "4-7", 100);
  size_t k = ledger_shard_of ("one-more", LEDGER_SHARDS);
  cleanup_free char *old_name = NULL, *new_name = NULL;
  struct stat st;

  add_entries (l, "c", 200);
  commit (l);
  nr_ledger_close (l);
  before = named_files (path);
  on_disk = listing (shard_dir);
  assert_string_equal (on_disk, before);
  assert_int_equal (stat (shard_dir, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0700);

  l = open_ledger (path, "b");
  nr_ledger_add (l, &e);
  commit (l);
  nr_ledger_close (l);
  after = named_files (path);
  free (on_disk);
  on_disk = listing (shard_dir);
  assert_string_equal (on_disk, after);

  /* Generation 1 wrote every shard; generation 2 only shard K.  */
  old_name = xasprintf ("%02zu-1.json\n", k);
  new_name = xasprintf ("%02zu-2.json\n", k);
  assert_non_null (strstr (before, old_name));
  assert_null (strstr (after, old_name));
  assert_non_null (strstr (after, new_name));
  {
    const char *first = strstr (after, "-2.json\n");
    assert_non_null (first);
    assert_null (strstr (first + 1, "-2.json\n"));
  }
  {
    cleanup_free char *file = xasprintf ("%s/%s", shard_dir, strtok (new_name, "\n"));
    assert_int_equal (stat (file, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
  }
  l = open_ledger (path, "b");
  assert_int_equal (nr_ledger_count (l), 201);
  nr_ledger_close (l);
  remove_tree (dir);
}

/* A version 1 ledger (one file, every entry in it) is read, and the next
   commit writes the index and shards in its place.  */
static void
a_version_1_ledger_is_rewritten_in_shards (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  static const char v1[] = "{\"version\":1,\"boot_id\":\"b\",\"reclaim_cursor\":0,\"nodes\":[],"
                           "\"containers\":[\n"
                           "{\"id\":\"x\",\"nodes\":\"1\",\"cpus\":\"4-7\",\"load\":2000},\n"
                           "{\"id\":\"y\",\"nodes\":\"0\",\"cpus\":\"0-3\",\"load\":1000}\n"
                           "]}\n";
  struct nr_ledger *l;
  struct nr_node_usage u;
  cleanup_free char *index = NULL, *shards = NULL;

  assert_int_equal (write_file_atomic (path, v1, sizeof (v1) - 1, 0600, false, NULL), 0);
  l = open_ledger (path, "b");
  assert_int_equal (nr_ledger_count (l), 2);
  nr_ledger_usage (l, 1, &u);
  assert_int_equal (u.load, 2000);
  commit (l);
  nr_ledger_close (l);

  index = ledger_text (path);
  assert_non_null (strstr (index, "\"version\":2"));
  shards = shard_texts (path);
  assert_non_null (strstr (shards, "{\"id\":\"x\",\"nodes\":\"1\""));
  assert_non_null (strstr (shards, "{\"id\":\"y\",\"nodes\":\"0\""));
  l = open_ledger (path, "b");
  assert_int_equal (nr_ledger_find (l, "x", NULL, NULL), 1);
  assert_int_equal (nr_ledger_find (l, "y", NULL, NULL), 1);
  nr_ledger_close (l);
  remove_tree (dir);
}

/* An index written with another shard count (a future or past version)
   is read, and the next commit redistributes every entry.  */
static void
another_shard_count_is_redistributed (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  cleanup_free char *shard_dir = xasprintf ("%s/ledger.json.d", dir);
  cleanup_free char *s0 = xasprintf ("%s/0-5.json", shard_dir);
  cleanup_free char *s1 = xasprintf ("%s/1-5.json", shard_dir);
  static const char index[] =
      "{\"version\":2,\"boot_id\":\"b\",\"generation\":5,\"reclaim_cursor\":0,\"shard_count\":2,"
      "\"nodes\":[{\"node\":0,\"containers\":3,\"load\":300}],\"shards\":["
      "{\"shard\":0,\"entries\":2,\"file\":\"ledger.json.d/0-5.json\"},"
      "{\"shard\":1,\"entries\":1,\"file\":\"ledger.json.d/1-5.json\"}]}\n";
  static const char zero[] = "{\"containers\":[\n{\"id\":\"p\",\"nodes\":\"0\",\"load\":100},\n"
                             "{\"id\":\"q\",\"nodes\":\"0\",\"load\":100}\n]}\n";
  static const char one[] = "{\"containers\":[\n{\"id\":\"r\",\"nodes\":\"0\",\"load\":100}\n]}\n";
  struct nr_ledger *l;
  struct nr_node_usage u;
  cleanup_free char *on_disk = NULL, *named = NULL;

  assert_int_equal (mkdir (shard_dir, 0700), 0);
  assert_int_equal (write_file_atomic (path, index, sizeof (index) - 1, 0600, false, NULL), 0);
  assert_int_equal (write_file_atomic (s0, zero, sizeof (zero) - 1, 0600, false, NULL), 0);
  assert_int_equal (write_file_atomic (s1, one, sizeof (one) - 1, 0600, false, NULL), 0);

  l = open_ledger (path, "b");
  assert_null (nr_ledger_moved_aside (l));
  assert_int_equal (nr_ledger_count (l), 3);
  for (const char *const *id = (const char *const[]){ "p", "q", "r", NULL }; *id; id++)
    assert_int_equal (nr_ledger_find (l, *id, NULL, NULL), 1);
  nr_ledger_usage (l, 0, &u);
  assert_int_equal (u.load, 300);
  /* An index from before the sharing count: every container may share
     the node's pool, so the node keeps a shared CPU.  */
  assert_int_equal (u.sharing, 3);
  commit (l);
  nr_ledger_close (l);

  named = named_files (path);
  on_disk = listing (shard_dir);
  assert_string_equal (on_disk, named);
  {
    cleanup_free char *text = ledger_text (path);
    assert_non_null (strstr (text, "\"shard_count\":64"));
    assert_non_null (strstr (text, "\"containers\":3,\"sharing\":3,"));
  }
  l = open_ledger (path, "b");
  assert_int_equal (nr_ledger_count (l), 3);
  assert_int_equal (nr_ledger_find (l, "q", NULL, NULL), 1);
  nr_ledger_close (l);
  remove_tree (dir);
}

/* What writers killed half-way leave (the index temp file, shard files
   no index names) is removed on request; the ledger's own files stay.  */
static void
leftovers_of_killed_writers_are_swept (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  cleanup_free char *tmp = xasprintf ("%s.tmp", path);
  cleanup_free char *orphan = xasprintf ("%s/ledger.json.d/07-99.json", dir);
  cleanup_free char *shard_dir = xasprintf ("%s/ledger.json.d", dir);
  cleanup_free char *named = NULL, *on_disk = NULL;
  struct nr_ledger *l = open_ledger (path, "b");

  add_entries (l, "c", 20);
  commit (l);
  nr_ledger_close (l);
  assert_int_equal (write_file_atomic (tmp, "{", 1, 0600, false, NULL), 0);
  assert_int_equal (write_file_atomic (orphan, "{", 1, 0600, false, NULL), 0);

  l = open_ledger (path, "b");
  assert_int_equal (nr_ledger_sweep (l), 2);
  assert_int_equal (nr_ledger_sweep (l), 0);
  assert_sound_and_holds (l, 20, "c7");
  named = named_files (path);
  on_disk = listing (shard_dir);
  assert_string_equal (on_disk, named);
  remove_tree (dir);
}

/* The index is read by hand when it is exactly as numa-runtime writes it,
   by the JSON parser otherwise: both give the same ledger.  */
static void
an_index_in_another_layout_reads_the_same (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  cleanup_free char *index = NULL;
  cleanup_free char *spaced = NULL;
  struct nr_ledger *l = open_ledger (path, "b");
  struct nr_node_usage u;
  size_t n = 0;

  add_entries (l, "c", 30);
  commit (l);
  nr_ledger_close (l);

  /* A blank after every colon and comma, which the hand reader does not
     take.  */
  index = ledger_text (path);
  spaced = xmalloc0 (2 * strlen (index) + 1);
  for (const char *p = index; *p; p++)
    {
      spaced[n++] = *p;
      if (*p == ':' || *p == ',')
        spaced[n++] = ' ';
    }
  assert_int_equal (write_file_atomic (path, spaced, n, 0600, false, NULL), 0);

  l = open_ledger (path, "b");
  assert_null (nr_ledger_moved_aside (l));
  assert_int_equal (nr_ledger_count (l), 30);
  nr_ledger_usage (l, 0, &u);
  assert_int_equal (u.containers, 30);
  assert_int_equal (u.load, 3000);
  assert_sound_and_holds (l, 30, "c17");
  remove_tree (dir);
}

/* A ledger whose file name needs escaping in JSON names its shards
   correctly and reads back.  */
static void
a_file_name_that_needs_escaping_works (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/led\"ger\\.json", dir);
  cleanup_free char *index = NULL;
  struct nr_ledger *l = open_ledger (path, "b");

  add_entries (l, "c", 10);
  commit (l);
  nr_ledger_close (l);
  index = ledger_text (path);
  assert_non_null (strstr (index, "\"file\":\"led\\\"ger\\\\.json.d/"));
  assert_sound_and_holds (open_ledger (path, "b"), 10, "c3");
  remove_tree (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (shards_are_fnv1a_of_the_id),
    cmocka_unit_test (a_commit_rewrites_only_the_changed_shard),
    cmocka_unit_test (a_version_1_ledger_is_rewritten_in_shards),
    cmocka_unit_test (another_shard_count_is_redistributed),
    cmocka_unit_test (leftovers_of_killed_writers_are_swept),
    cmocka_unit_test (an_index_in_another_layout_reads_the_same),
    cmocka_unit_test (a_file_name_that_needs_escaping_works),
  };
  return cmocka_run_group_tests_name ("ledger shards", tests, NULL, remove_temp_dirs);
}
