/* How a command opens the ledger (nr_ledger_open_for, rebuild.c): a
   reader never creates it and never rebuilds it; a writer creates it, and
   rebuilds a damaged one from the runtime's state only when it knows the
   state root.  */
#include <config.h>

#include "command-fixtures.h"
#include "ledger-fixtures.h"

#include "counters.h"
#include "ledger.h"
#include "rebuild.h"

#include <sys/stat.h>

static char *dir;
static char *ledger_path;
static char *state_root;
static struct nr_config config;

static int
setup (void **state)
{
  (void) state;
  dir = temp_dir ();
  ledger_path = xasprintf ("%s/run/ledger.json", dir);
  state_root = xasprintf ("%s/runc-state", dir);
  assert_int_equal (mkdir (state_root, 0700), 0);
  load_fixture_config (&config, dir, "/bin/true", ledger_path, "/sys", "policy = best-effort\n");
  return 0;
}

static int
teardown (void **state)
{
  (void) state;
  nr_config_free (&config);
  remove_temp_dirs (state);
  free (dir);
  free (ledger_path);
  free (state_root);
  return 0;
}

/* A ledger whose index is not JSON.  */
static void
write_damaged_ledger (void)
{
  cleanup_free char *run = xasprintf ("%s/run", dir);
  mkdir (run, 0700);
  write_text (ledger_path, "{ this is no ledger");
}

static uint64_t
rebuilds_counted (struct nr_ledger *l)
{
  nr_ledger_load_all (l);
  (void) nr_ledger_count (l);
  return nr_ledger_counters_for_update (l)->rebuilds;
}

static void
a_reader_finds_no_ledger_and_creates_none (void **state)
{
  cleanup_free char *run = xasprintf ("%s/run", dir);
  struct nr_ledger *l = (struct nr_ledger *) 1;
  nr_error_t err = NULL;
  struct stat st;

  (void) state;
  assert_int_equal (nr_ledger_open_for (&config, NR_LEDGER_READ, NULL, NULL, &l, &err), 0);
  assert_null (l);
  assert_int_equal (stat (run, &st), -1);
}

static void
a_writer_creates_the_ledger_and_counts_from_this_boot (void **state)
{
  cleanup_free char *boot = nr_read_boot_id ("/proc");
  cleanup_ledger struct nr_ledger *l = NULL;
  nr_error_t err = NULL;

  (void) state;
  assert_int_equal (nr_ledger_open_for (&config, NR_LEDGER_WRITE, state_root, NULL, &l, &err), 0);
  assert_non_null (l);
  if (boot)
    assert_string_equal (nr_ledger_boot_id (l), boot);
  assert_int_equal (nr_ledger_commit (l, &err), 0);
  assert_int_equal (access (ledger_path, F_OK), 0);
}

static void
a_writer_with_the_state_root_rebuilds_a_damaged_ledger (void **state)
{
  cleanup_ledger struct nr_ledger *l = NULL;
  nr_error_t err = NULL;

  (void) state;
  write_damaged_ledger ();
  assert_int_equal (nr_ledger_open_for (&config, NR_LEDGER_WRITE, state_root, NULL, &l, &err), 0);
  assert_int_equal (rebuilds_counted (l), 1);
}

static void
a_writer_without_a_root_and_a_reader_only_see_it_empty (void **state)
{
  cleanup_ledger struct nr_ledger *hook = NULL;
  cleanup_ledger struct nr_ledger *reader = NULL;
  nr_error_t err = NULL;

  (void) state;
  write_damaged_ledger ();
  assert_int_equal (nr_ledger_open_for (&config, NR_LEDGER_READ, state_root, NULL, &reader, &err),
                    0);
  assert_non_null (reader);
  assert_int_equal (rebuilds_counted (reader), 0);
  assert_int_equal (nr_ledger_count (reader), 0);
  nr_ledger_close (steal_pointer (&reader));

  write_damaged_ledger ();
  assert_int_equal (nr_ledger_open_for (&config, NR_LEDGER_WRITE, NULL, NULL, &hook, &err), 0);
  assert_int_equal (rebuilds_counted (hook), 0);
  assert_int_equal (nr_ledger_count (hook), 0);
}

static int
fresh_dir (void **state)
{
  cleanup_free char *cmd = xasprintf ("rm -rf '%s/run'", dir);
  (void) state;
  assert_int_equal (system (cmd), 0);
  return 0;
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup (a_reader_finds_no_ledger_and_creates_none, fresh_dir),
    cmocka_unit_test_setup (a_writer_creates_the_ledger_and_counts_from_this_boot, fresh_dir),
    cmocka_unit_test_setup (a_writer_with_the_state_root_rebuilds_a_damaged_ledger, fresh_dir),
    cmocka_unit_test_setup (a_writer_without_a_root_and_a_reader_only_see_it_empty, fresh_dir),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
