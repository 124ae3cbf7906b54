/* The ledger file: entries survive a reopen, sums follow every change, a
   foreign or broken file is handled.  */
#include <config.h>

#include "unit.h"

#include "ledger-fixtures.h"
#include "ledger_codec.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

static void
entries_survive_reopen_and_sums_follow (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/sub/ledger.json", dir);
  struct nr_ledger *l = open_ledger (path, "boot-1");
  struct nr_ledger_entry a = entry ("a", "0", "0-3", 4000), b = entry ("b", "1", "4-7", 4000),
                         c = entry ("c", "0-1", "0-7", 3001);
  struct nr_node_usage u;
  struct nr_ledger_entry got;
  struct stat st;

  nr_ledger_add (l, &a);
  nr_ledger_add (l, &b);
  nr_ledger_add (l, &c);
  commit (l);
  nr_ledger_close (l);

  assert_int_equal (stat (path, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0600);
  cleanup_free char *sub = xasprintf ("%s/sub", dir);
  assert_int_equal (stat (sub, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0700);

  l = open_ledger (path, "boot-1");
  assert_int_equal (nr_ledger_count (l), 3);
  nr_ledger_usage (l, 0, &u);
  assert_int_equal (u.containers, 2);
  assert_int_equal (u.load, 4000 + 1501); /* the first node takes the odd remainder */
  nr_ledger_usage (l, 1, &u);
  assert_int_equal (u.load, 4000 + 1500);
  assert_int_equal (nr_ledger_find (l, "b", &got, NULL), 1);
  assert_set_equal (got.cpus, "4-7");
  nr_ledger_entry_free (&got);
  assert_int_equal (nr_ledger_find (l, "zz", NULL, NULL), 0);
  /* "a" is a prefix of nothing else, but "c" must not match "c2".  */
  assert_int_equal (nr_ledger_find (l, "c2", NULL, NULL), 0);

  assert_true (nr_ledger_remove (l, "c"));
  assert_false (nr_ledger_remove (l, "c"));
  nr_ledger_usage (l, 0, &u);
  assert_int_equal (u.containers, 1);
  assert_int_equal (u.load, 4000);
  commit (l);
  nr_ledger_close (l);

  l = open_ledger (path, "boot-1");
  assert_int_equal (nr_ledger_count (l), 2);
  nr_ledger_usage (l, 1, &u);
  assert_int_equal (u.load, 4000);
  nr_ledger_close (l);
  remove_tree (dir);
}

/* The index is one line naming the shard files; each shard holds one
   entry a line.  */
static void
the_index_names_shards_with_one_entry_a_line (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  struct nr_ledger *l = open_ledger (path, "b");
  struct nr_ledger_entry a = entry ("a", "0", "0-3", 4000), b = entry ("b", "1", "4-7", 4000);
  cleanup_free char *index = NULL;
  cleanup_free char *shards = NULL;
  size_t len;

  nr_ledger_add (l, &a);
  nr_ledger_add (l, &b);
  commit (l);
  nr_ledger_close (l);
  assert_int_equal (read_file (path, 1 << 20, &index, &len, NULL), 0);
  assert_non_null (strstr (index, "{\"version\":2,\"boot_id\":\"b\",\"generation\":1,"));
  assert_ptr_equal (strchr (index, '\n'), index + len - 1);
  shards = shard_texts (path);
  assert_non_null (
      strstr (shards, "{\"containers\":[\n{\"id\":\"a\",\"nodes\":\"0\",\"cpus\":\"0-3\""));
  assert_non_null (strstr (shards, "{\"containers\":[\n{\"id\":\"b\",\"nodes\":\"1\""));
  remove_tree (dir);
}

static void
a_hand_written_ledger_is_read_and_sums_recomputed (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  static const char doc[] =
      "{\n  \"version\": 1,\n  \"boot_id\": \"b\",\n  \"nodes\": [{\"node\":0,\"load\":999999}],\n"
      "  \"containers\": [\n    {\"nodes\": \"1\", \"id\": \"x\", \"load\": 2000, \"cpus\": "
      "\"4-7\"}\n  ]\n}\n";
  struct nr_ledger *l;
  struct nr_node_usage u;

  assert_int_equal (write_file_atomic (path, doc, sizeof (doc) - 1, 0600, false, NULL), 0);
  l = open_ledger (path, "b");
  assert_int_equal (nr_ledger_count (l), 1);
  nr_ledger_usage (l, 0, &u);
  assert_int_equal (u.load, 0);
  nr_ledger_usage (l, 1, &u);
  assert_int_equal (u.load, 2000);
  assert_int_equal (nr_ledger_find (l, "x", NULL, NULL), 1);
  nr_ledger_close (l);
  remove_tree (dir);
}

static void
an_unparsable_ledger_is_moved_aside (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  static const char junk[] = "{\"version\":1,\"containers\":[{\"id\":";
  struct nr_ledger *l;
  struct stat st;

  assert_int_equal (write_file_atomic (path, junk, sizeof (junk) - 1, 0600, false, NULL), 0);
  /* Opened and closed without a commit: the file stays for the next.  */
  l = open_ledger (path, "b");
  assert_int_equal (nr_ledger_count (l), 0);
  assert_non_null (nr_ledger_moved_aside (l));
  nr_ledger_close (l);
  assert_int_equal (stat (path, &st), 0);
  assert_int_equal (st.st_size, sizeof (junk) - 1);

  /* A commit keeps it aside and puts a good ledger in its place.  */
  l = open_ledger (path, "b");
  assert_non_null (nr_ledger_moved_aside (l));
  commit (l);
  assert_int_equal (stat (nr_ledger_moved_aside (l), &st), 0);
  assert_int_equal (st.st_size, sizeof (junk) - 1);
  nr_ledger_close (l);
  l = open_ledger (path, "b");
  assert_null (nr_ledger_moved_aside (l));
  assert_int_equal (nr_ledger_count (l), 0);
  nr_ledger_close (l);
  remove_tree (dir);
}

static void
a_ledger_from_another_boot_starts_empty (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  struct nr_ledger *l = open_ledger (path, "boot-1");
  struct nr_ledger_entry a = entry ("a", "0", "0-3", 4000);

  nr_ledger_add (l, &a);
  commit (l);
  nr_ledger_close (l);
  l = open_ledger (path, "boot-2");
  assert_int_equal (nr_ledger_count (l), 0);
  nr_ledger_close (l);
  remove_tree (dir);
}

static void
exclusive_cpus_are_summed_per_node (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  struct nr_ledger *l = open_ledger (path, "b");
  struct nr_ledger_entry a = entry ("a", "0", "0-1", 2000), b = entry ("b", "0", "2", 1000);
  struct nr_node_usage u;

  a.exclusive = set_of ("0-1");
  b.exclusive = set_of ("2");
  nr_ledger_add (l, &a);
  nr_ledger_add (l, &b);
  nr_ledger_usage (l, 0, &u);
  assert_set_equal (u.exclusive, "0-2");
  nr_ledger_remove (l, "a");
  nr_ledger_usage (l, 0, &u);
  assert_set_equal (u.exclusive, "2");
  nr_ledger_close (l);
  remove_tree (dir);
}

/* Lines kept from a shard file and lines written anew are put together
   with the right separators wherever the changes fall: first, middle,
   last.  (All in one shard, so that they share one file.)  */
static void
untouched_lines_are_written_back_exactly (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  cleanup_free char *fresh = xasprintf ("%s/fresh.json", dir);
  char **ids = ids_in_one_shard (6);
  struct nr_ledger *l = open_ledger (path, "b");
  struct nr_ledger *want;
  struct nr_ledger_entry e;

  for (size_t i = 0; i < 5; i++)
    {
      e = entry (ids[i], "0", "0-3", 1000);
      nr_ledger_add (l, &e);
    }
  commit (l);
  nr_ledger_close (l);

  l = open_ledger (path, "b");
  assert_true (nr_ledger_remove (l, ids[4])); /* the last line */
  assert_true (nr_ledger_remove (l, ids[0])); /* the first */
  assert_true (nr_ledger_remove (l, ids[2])); /* one in the middle */
  e = entry (ids[5], "1", "4-7", 2000);
  nr_ledger_add (l, &e);
  e = entry (ids[1], "1", "4-5", 3000); /* replaced: moves to the end */
  nr_ledger_add (l, &e);
  commit (l);
  nr_ledger_close (l);

  want = open_ledger (fresh, "b");
  e = entry (ids[3], "0", "0-3", 1000);
  nr_ledger_add (want, &e);
  e = entry (ids[5], "1", "4-7", 2000);
  nr_ledger_add (want, &e);
  e = entry (ids[1], "1", "4-5", 3000);
  nr_ledger_add (want, &e);
  commit (want);
  nr_ledger_close (want);
  {
    cleanup_free char *got = shard_texts (path);
    cleanup_free char *expected = shard_texts (fresh);
    assert_string_equal (got, expected);
  }

  /* Down to nothing and back.  */
  l = open_ledger (path, "b");
  nr_ledger_remove (l, ids[3]);
  nr_ledger_remove (l, ids[5]);
  nr_ledger_remove (l, ids[1]);
  commit (l);
  nr_ledger_close (l);
  {
    cleanup_free char *index = ledger_text (path);
    cleanup_free char *got = shard_texts (path);
    assert_non_null (strstr (index, "\"shards\":[]}\n"));
    assert_string_equal (got, "");
  }
  l = open_ledger (path, "b");
  assert_int_equal (nr_ledger_count (l), 0);
  nr_ledger_close (l);
  free_ids (ids, 6);
  remove_tree (dir);
}

static void
assert_brief_matches (struct nr_ledger *l, size_t i, const char *id, const char *root, int pid,
                      uint64_t start)
{
  struct nr_ledger_entry b;
  nr_error_t err = NULL;

  if (nr_ledger_entry_brief_at (l, i, &b, &err) < 0)
    fail_msg ("brief %zu: %s", i, err->msg);
  assert_string_equal (b.id, id);
  if (root)
    assert_string_equal (b.root, root);
  else
    assert_null (b.root);
  assert_int_equal (b.creator_pid, pid);
  assert_int_equal (b.creator_start, start);
  nr_ledger_entry_free (&b);
}

/* The quick reading of id, root and creator agrees with the parser, also
   where a string value imitates a member or holds escapes.  */
static void
brief_entries_agree_with_the_parser (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  static const char hand[] =
      "{\"version\":1,\"boot_id\":\"b\",\"containers\":[\n"
      "{ \"id\": \"spaced\", \"root\": \"/r\", \"pid\": 5, \"pid_start\": 6 },\n"
      "{\"id\":\"dup\",\"root\":\"/a\",\"pid\":1,\"pid_start\":2,\"root\":\"/b\"}\n"
      "]}\n";
  struct nr_ledger *l = open_ledger (path, "b");
  struct nr_ledger_entry a = entry ("plain", "0", "0-3", 1000);
  struct nr_ledger_entry b = entry ("tricky", "0", "0-3", 1000);
  struct nr_ledger_entry c = entry ("rootless", "1", "4", 1000);

  a.root = (char *) "/run/containerd/runc/k8s.io";
  a.creator_pid = 4242;
  a.creator_start = 123456789012ULL;
  b.pod = (char *) "x\",\"root\":\"/evil\",\"pid\":1,\"pid_start\":1,\"";
  b.root = (char *) "/run/caf\u00e9 \"q\"";
  b.creator_pid = 7;
  b.creator_start = 8;
  c.creator_pid = 9;
  nr_ledger_add (l, &a);
  nr_ledger_add (l, &b);
  nr_ledger_add (l, &c);
  commit (l);
  nr_ledger_close (l);

  l = open_ledger (path, "b");
  assert_brief_matches (l, position_of (l, "plain"), "plain", "/run/containerd/runc/k8s.io", 4242,
                        123456789012ULL);
  assert_brief_matches (l, position_of (l, "tricky"), "tricky", "/run/caf\u00e9 \"q\"", 7, 8);
  assert_brief_matches (l, position_of (l, "rootless"), "rootless", NULL, 9, 0);
  nr_ledger_close (l);

  /* Another layout, and a duplicate key (the last one counts, as in the
     parser).  */
  assert_int_equal (write_file_atomic (path, hand, sizeof (hand) - 1, 0600, false, NULL), 0);
  l = open_ledger (path, "b");
  assert_int_equal (nr_ledger_count (l), 2);
  assert_brief_matches (l, position_of (l, "spaced"), "spaced", "/r", 5, 6);
  assert_brief_matches (l, position_of (l, "dup"), "dup", "/b", 1, 2);
  nr_ledger_close (l);
  remove_tree (dir);
}

/* Lines the quick reading must leave to the parser, or read as the
   parser does: written by hand, never by us.  */
static void
the_quick_reading_never_reads_a_line_otherwise_than_the_parser (void **state)
{
  static const struct
  {
    const char *line;
    bool brief;       /* the quick reading takes it */
    bool parses;      /* the parser takes it */
    const char *root; /* the root both see, when both take it */
  } cases[] = {
    /* A root key spelled with an escape.  */
    { "{\"id\":\"x\",\"ro\\u006ft\":\"/a\",\"pid\":1,\"pid_start\":2}", false, true, NULL },
    /* An id that is "root" is no root member.  */
    { "{\"id\":\"root\",\"pid\":1,\"pid_start\":2}", true, true, NULL },
    /* A root key followed by a space before its colon.  */
    { "{\"id\":\"x\",\"pid\":1,\"pid_start\":2,\"root\" :\"/a\"}", false, true, NULL },
    /* The id twice: read first and last, so not at all.  */
    { "{\"id\":\"x\",\"pid\":1,\"pid_start\":2,\"id\":\"y\"}", true, false, NULL },
    /* Our own form.  */
    { "{\"id\":\"x\",\"root\":\"/r\",\"pid\":1,\"pid_start\":2}", true, true, "/r" },
  };

  for (size_t i = 0; i < NR_N_ELEMENTS (cases); i++)
    {
      struct ledger_line ln = { .text = cases[i].line, .len = strlen (cases[i].line) };
      struct nr_ledger_entry brief, parsed;
      bool quick = ledger_line_brief (&ln, &brief);
      bool parses = ledger_entry_from_line (&ln, &parsed, NULL) == 0;

      if (quick != cases[i].brief || parses != cases[i].parses)
        fail_msg ("%s: quick reading %d, parser %d", cases[i].line, quick, parses);
      if (quick && parses)
        {
          assert_string_equal (brief.id, parsed.id);
          if (cases[i].root)
            {
              assert_string_equal (brief.root, cases[i].root);
              assert_string_equal (parsed.root, cases[i].root);
            }
          else
            assert_null (brief.root);
        }
      if (quick)
        nr_ledger_entry_free (&brief);
      if (parses)
        nr_ledger_entry_free (&parsed);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (entries_survive_reopen_and_sums_follow),
    cmocka_unit_test (the_index_names_shards_with_one_entry_a_line),
    cmocka_unit_test (a_hand_written_ledger_is_read_and_sums_recomputed),
    cmocka_unit_test (an_unparsable_ledger_is_moved_aside),
    cmocka_unit_test (a_ledger_from_another_boot_starts_empty),
    cmocka_unit_test (exclusive_cpus_are_summed_per_node),
    cmocka_unit_test (untouched_lines_are_written_back_exactly),
    cmocka_unit_test (brief_entries_agree_with_the_parser),
    cmocka_unit_test (the_quick_reading_never_reads_a_line_otherwise_than_the_parser),
  };
  return cmocka_run_group_tests_name ("ledger", tests, NULL, remove_temp_dirs);
}
