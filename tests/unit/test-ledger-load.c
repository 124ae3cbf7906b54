/* A node's CPU load and sharers, as placement, status, the metrics and the
   NodeResourceTopology count it: an exclusive container on several nodes
   is charged on each for the CPUs it holds there, everything else an even
   share; sums an older numa-runtime wrote are counted again.  */
#include <config.h>

#include "unit.h"

#include "ledger-fixtures.h"

#include <string.h>

/* Two nodes of four CPUs, 0-3 and 4-7, and their sums.  */
static const char *const node_cpus[] = { "0-3", "4-7" };

static int64_t
load_on (const struct nr_node_usage *usage, int node)
{
  nr_set_t cpus = set_of (node_cpus[node]);
  return nr_usage_load (&usage[node], &cpus, 8);
}

static struct nr_ledger_entry
exclusive_entry (const char *id, const char *nodes, const char *held, int64_t load)
{
  struct nr_ledger_entry e = entry (id, nodes, held, load);
  e.exclusive = set_of (held);
  return e;
}

static void
a_spanning_exclusive_container_is_charged_for_the_cpus_each_node_gives (void **state)
{
  struct nr_node_usage usage[2] = { { .node = 0 }, { .node = 1 } };
  /* Six CPUs, four of them on node 0: an even share would say 3 and 3.  */
  struct nr_ledger_entry wide = exclusive_entry ("wide", "0-1", "0-5", 6000);
  /* On both nodes (its memory, say), all its CPUs on node 1.  */
  struct nr_ledger_entry lopsided = exclusive_entry ("lopsided", "0-1", "6-7", 2000);

  nr_usage_account (usage, 2, &wide, +1);
  assert_int_equal (usage[0].load, 3000); /* the sums keep even shares */
  assert_int_equal (load_on (usage, 0), 4000);
  assert_int_equal (load_on (usage, 1), 2000);

  nr_usage_account (usage, 2, &lopsided, +1);
  assert_int_equal (load_on (usage, 0), 4000);
  assert_int_equal (load_on (usage, 1), 4000);

  /* Released, each leaves nothing behind.  */
  nr_usage_account (usage, 2, &wide, -1);
  assert_int_equal (load_on (usage, 0), 0);
  assert_int_equal (load_on (usage, 1), 2000);
  nr_usage_account (usage, 2, &lopsided, -1);
  for (int i = 0; i < 2; i++)
    {
      assert_int_equal (usage[i].load, 0);
      assert_int_equal (usage[i].held_load, 0);
      assert_true (nr_set_is_empty (&usage[i].held_cpus));
      assert_int_equal (load_on (usage, i), 0);
    }
}

/* Only an entry paying 1000 a CPU it holds is charged by its CPUs: a pod
   member its sandbox pays for, a holder of isolated CPUs (both load 0)
   and a container on the shared pool keep their even shares.  */
static void
entries_not_paying_for_held_cpus_keep_even_shares (void **state)
{
  struct nr_node_usage usage[2] = { { .node = 0 }, { .node = 1 } };
  struct nr_ledger_entry prepaid = exclusive_entry ("member", "0-1", "0-3", 0);
  struct nr_ledger_entry isolated = exclusive_entry ("isolated", "1", "6", 0);
  struct nr_ledger_entry shared = entry ("shared", "0-1", "0-7", 1500);
  struct nr_ledger_entry sandbox = entry ("sandbox", "0-1", "0-7", 5000);

  nr_usage_account (usage, 2, &prepaid, +1);
  nr_usage_account (usage, 2, &isolated, +1);
  nr_usage_account (usage, 2, &shared, +1);
  nr_usage_account (usage, 2, &sandbox, +1);
  assert_int_equal (load_on (usage, 0), 750 + 2500);
  assert_int_equal (load_on (usage, 1), 750 + 2500);
  assert_set_equal (usage[1].exclusive, "0-3,6");
  assert_int_equal (usage[1].held_load, 0);
}

/* A sandbox whose pod holds whole CPUs exclusively keeps no CPU of its
   node shared: it is no sharer, in the sums and after a reopen (the entry
   keeps the flag), and it leaves none behind when released.  */
static void
the_sandbox_of_an_exclusive_pod_is_no_sharer (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  struct nr_ledger *l = open_ledger (path, "b");
  struct nr_ledger_entry sandbox = entry ("pod", "0", "0-3", 4000);
  struct nr_ledger_entry other = entry ("other", "1", "4-7", 1000);
  struct nr_ledger_entry back;
  struct nr_node_usage usage;

  sandbox.sandbox = true;
  sandbox.exclusive_pod = true;
  other.sandbox = true;
  nr_ledger_add (l, &sandbox);
  nr_ledger_add (l, &other);
  commit (l);
  nr_ledger_close (l);

  l = open_ledger (path, "b");
  assert_int_equal (nr_ledger_find (l, "pod", &back, NULL), 1);
  assert_true (back.exclusive_pod);
  nr_ledger_entry_free (&back);
  assert_int_equal (nr_ledger_find (l, "other", &back, NULL), 1);
  assert_false (back.exclusive_pod);
  nr_ledger_entry_free (&back);
  nr_ledger_usage (l, 0, &usage);
  assert_int_equal (usage.containers, 1);
  assert_int_equal (usage.sharing, 0);
  nr_ledger_usage (l, 1, &usage);
  assert_int_equal (usage.sharing, 1);
  nr_ledger_close (l);
  remove_tree (dir);
}

/* Remove the first TEXT in BUF, in place.  */
static void
cut (char *buf, const char *text)
{
  char *at = strstr (buf, text);

  assert_non_null (at);
  memmove (at, at + strlen (text), strlen (at + strlen (text)) + 1);
}

/* An index an older numa-runtime wrote has sums without held_load and
   held_cpus: they are counted again from the entries at open (else the
   spanning container would be charged evenly until it left), and written
   with the next commit.  */
static void
sums_written_without_held_cpus_are_counted_again (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  cleanup_free char *text = NULL;
  cleanup_free char *after = NULL;
  struct nr_ledger *l = open_ledger (path, "b");
  struct nr_ledger_entry wide = exclusive_entry ("wide", "0-1", "0-5", 6000);
  struct nr_node_usage usage[2];

  nr_ledger_add (l, &wide);
  commit (l);
  nr_ledger_close (l);
  text = ledger_text (path);
  cut (text, ",\"held_load\":3000,\"held_cpus\":\"0-5\"");
  cut (text, ",\"held_load\":3000,\"held_cpus\":\"0-5\"");
  assert_null (strstr (text, "held_"));
  assert_int_equal (write_file_atomic (path, text, strlen (text), 0600, false, NULL), 0);

  l = open_ledger (path, "b");
  nr_ledger_usage (l, 0, &usage[0]);
  nr_ledger_usage (l, 1, &usage[1]);
  assert_int_equal (load_on (usage, 0), 4000);
  assert_int_equal (load_on (usage, 1), 2000);
  assert_int_equal (rebuilds_asked, 0);
  commit (l);
  nr_ledger_close (l);
  after = ledger_text (path);
  assert_non_null (strstr (after, "\"held_load\":3000,\"held_cpus\":\"0-5\""));
  remove_tree (dir);
}

/* The same recount finding an entry that does not parse: the ledger is
   damaged, kept aside and rebuilt once, as any damage found on reading.  */
static void
a_recount_that_finds_damage_rebuilds_the_ledger (void **state)
{
  cleanup_free char *dir = temp_dir ();
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  cleanup_free char *shard =
      xasprintf ("%s/ledger.json.d/%02zu-1.json", dir, ledger_shard_of ("wide", LEDGER_SHARDS));
  cleanup_free char *index = NULL;
  cleanup_free char *entries = NULL;
  struct nr_ledger *l = open_ledger (path, "b");
  struct nr_ledger_entry wide = exclusive_entry ("wide", "0-1", "0-5", 6000);
  char *load;

  nr_ledger_add (l, &wide);
  commit (l);
  nr_ledger_close (l);
  index = ledger_text (path);
  cut (index, ",\"held_load\":3000,\"held_cpus\":\"0-5\"");
  assert_int_equal (write_file_atomic (path, index, strlen (index), 0600, false, NULL), 0);
  entries = ledger_text (shard);
  load = strstr (entries, "\"load\":");
  assert_non_null (load);
  load[strlen ("\"load\"")] = '=';
  assert_int_equal (write_file_atomic (shard, entries, strlen (entries), 0600, false, NULL), 0);

  l = open_ledger (path, "b");
  assert_non_null (nr_ledger_moved_aside (l));
  nr_ledger_load_all (l);
  assert_int_equal (rebuilds_asked, 1);
  assert_int_equal (nr_ledger_count (l), 0);
  nr_ledger_close (l);
  remove_tree (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (a_spanning_exclusive_container_is_charged_for_the_cpus_each_node_gives),
    cmocka_unit_test (entries_not_paying_for_held_cpus_keep_even_shares),
    cmocka_unit_test (the_sandbox_of_an_exclusive_pod_is_no_sharer),
    cmocka_unit_test (sums_written_without_held_cpus_are_counted_again),
    cmocka_unit_test (a_recount_that_finds_damage_rebuilds_the_ledger),
  };
  return cmocka_run_group_tests_name ("ledger-load", tests, NULL, remove_temp_dirs);
}
