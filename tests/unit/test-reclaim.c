/* Reclaim: which entries count as alive, and how the budget and cursor
   walk the ledger.  A fake /proc and a temp runtime root stand in for the
   host.  */
#include <config.h>

#include "unit.h"

#include "ledger.h"
#include "reclaim.h"

#include <string.h>
#include <sys/stat.h>

struct fixture
{
  char *dir;
  char *proc;   /* fake proc root */
  char *root;   /* fake runtime root */
  char *ledger; /* ledger path */
};

static int
setup (void **state)
{
  struct fixture *f = xmalloc0 (sizeof (*f));
  char tmpl[] = "/tmp/nr-reclaim-XXXXXX";

  assert_non_null (mkdtemp (tmpl));
  f->dir = xstrdup (tmpl);
  f->proc = xasprintf ("%s/proc", f->dir);
  f->root = xasprintf ("%s/root", f->dir);
  f->ledger = xasprintf ("%s/ledger.json", f->dir);
  assert_int_equal (mkdir (f->proc, 0700), 0);
  assert_int_equal (mkdir (f->root, 0700), 0);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  struct fixture *f = *state;
  cleanup_free char *cmd = xasprintf ("rm -rf '%s'", f->dir);

  assert_int_equal (system (cmd), 0);
  free (f->dir);
  free (f->proc);
  free (f->root);
  free (f->ledger);
  free (f);
  return 0;
}

/* A /proc/PID/stat whose command holds blanks and parentheses, as a
   hostile process name can.  */
static void
fake_process (const struct fixture *f, int pid, unsigned long long start)
{
  cleanup_free char *dir = xasprintf ("%s/%d", f->proc, pid);
  cleanup_free char *path = xasprintf ("%s/stat", dir);
  cleanup_free char *text =
      xasprintf ("%d (a) b (c)) S 1 %d %d 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 %llu "
                 "2535424 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
                 pid, pid, pid, start);
  nr_error_t err = NULL;

  mkdir (dir, 0700);
  if (write_file_atomic (path, text, strlen (text), 0600, false, &err) < 0)
    fail_msg ("%s", err->msg);
}

static void
fake_state (const struct fixture *f, const char *id)
{
  cleanup_free char *path = xasprintf ("%s/%s", f->root, id);
  assert_int_equal (mkdir (path, 0700), 0);
}

static struct nr_ledger_entry
entry (const struct fixture *f, const char *id, int pid, unsigned long long start)
{
  struct nr_ledger_entry e = { 0 };
  e.id = (char *) id;
  e.nodes = set_of ("0");
  e.cpus = set_of ("0-3");
  e.root = f->root;
  e.creator_pid = pid;
  e.creator_start = start;
  return e;
}

static void
start_time_is_field_22 (void **state)
{
  struct fixture *f = *state;

  fake_process (f, 4242, 987654321ULL);
  assert_int_equal (nr_process_start_time (f->proc, 4242), 987654321ULL);
  assert_int_equal (nr_process_start_time (f->proc, 4243), 0);
  assert_int_equal (nr_process_start_time (f->proc, 0), 0);
  /* And the real thing: our own process has a start time.  */
  assert_true (nr_process_start_time ("/proc", (int) getpid ()) > 0);
}

static void
alive_by_state_or_by_creator (void **state)
{
  struct fixture *f = *state;
  struct nr_ledger_entry with_state = entry (f, "with-state", 0, 0);
  struct nr_ledger_entry creating = entry (f, "creating", 100, 5000);
  struct nr_ledger_entry pid_reused = entry (f, "pid-reused", 101, 5000);
  struct nr_ledger_entry creator_gone = entry (f, "creator-gone", 102, 5000);
  struct nr_ledger_entry no_start = entry (f, "no-start", 101, 0);
  struct nr_ledger_entry unknown = { 0 };

  fake_state (f, "with-state");
  fake_process (f, 100, 5000);
  fake_process (f, 101, 7777); /* same pid, another process */

  assert_true (nr_entry_alive (&with_state, f->proc));
  assert_true (nr_entry_alive (&creating, f->proc));
  assert_false (nr_entry_alive (&pid_reused, f->proc));
  assert_false (nr_entry_alive (&creator_gone, f->proc));
  assert_true (nr_entry_alive (&no_start, f->proc));
  /* Neither a root nor a creator: cannot tell, keep it.  */
  unknown.id = (char *) "unknown";
  assert_true (nr_entry_alive (&unknown, f->proc));
}

/* A ledger of N entries (c00, c01, ...) and the order reclaim walks
   them in (the ledger's order: shard by shard), ORDER[i] the id of the
   i-th; the entries at the positions listed in ALIVE (ended by -1) have
   state.  */
static struct nr_ledger *
ledger_with (const struct fixture *f, int n, const int *alive, char ***order)
{
  struct nr_ledger *l = NULL;
  nr_error_t err = NULL;

  if (nr_ledger_open (f->ledger, "boot", NULL, &l, &err) < 0)
    fail_msg ("open: %s", err->msg);
  for (int i = 0; i < n; i++)
    {
      cleanup_free char *id = xasprintf ("c%02d", i);
      struct nr_ledger_entry e = entry (f, id, 0, 0);
      nr_ledger_add (l, &e);
    }
  *order = xmalloc0 ((size_t) n * sizeof (**order));
  for (int i = 0; i < n; i++)
    {
      struct nr_ledger_entry e;
      if (nr_ledger_entry_at (l, (size_t) i, &e, &err) < 0)
        fail_msg ("entry %d: %s", i, err->msg);
      (*order)[i] = steal_pointer (&e.id);
      nr_ledger_entry_free (&e);
    }
  for (; *alive >= 0; alive++)
    fake_state (f, (*order)[*alive]);
  return l;
}

static void
free_order (char **order, int n)
{
  for (int i = 0; i < n; i++)
    free (order[i]);
  free (order);
}

static void
budget_and_cursor_walk_round_robin (void **state)
{
  struct fixture *f = *state;
  static const int alive[] = { 0, 3, 7, 9, -1 };
  char **order;
  struct nr_ledger *l = ledger_with (f, 10, alive, &order);
  struct nr_node_usage u;
  size_t reclaimed = 99;
  nr_error_t err = NULL;

  /* 0 alive, 1 2 dead, 3 alive: four checked, two removed.  */
  assert_int_equal (nr_reclaim (l, f->proc, 4, &reclaimed, &err), 0);
  assert_int_equal (reclaimed, 2);
  assert_int_equal (nr_ledger_count (l), 8);
  assert_int_equal (nr_ledger_reclaim_cursor (l), 2); /* at 4 */
  assert_int_equal (nr_ledger_find (l, order[1], NULL, NULL), 0);
  assert_int_equal (nr_ledger_find (l, order[3], NULL, NULL), 1);

  /* 4 5 6 dead, 7 alive, 8 dead, 9 alive, wrap: 0 alive.  */
  assert_int_equal (nr_reclaim (l, f->proc, 7, &reclaimed, &err), 0);
  assert_int_equal (reclaimed, 4);
  assert_int_equal (nr_ledger_count (l), 4);
  assert_int_equal (nr_ledger_reclaim_cursor (l), 1); /* past 0 */

  nr_ledger_usage (l, 0, &u);
  assert_int_equal (u.containers, 4);
  nr_ledger_close (l);
  free_order (order, 10);
}

static void
unlimited_budget_checks_every_entry_once (void **state)
{
  struct fixture *f = *state;
  static const int alive[] = { 5, -1 };
  char **order;
  struct nr_ledger *l = ledger_with (f, 12, alive, &order);
  size_t reclaimed = 0;
  nr_error_t err = NULL;

  nr_ledger_set_reclaim_cursor (l, 7);
  assert_int_equal (nr_reclaim (l, f->proc, SIZE_MAX, &reclaimed, &err), 0);
  assert_int_equal (reclaimed, 11);
  assert_int_equal (nr_ledger_count (l), 1);
  assert_int_equal (nr_ledger_find (l, order[5], NULL, NULL), 1);
  assert_int_equal (nr_ledger_reclaim_cursor (l), 0);

  /* An empty ledger is no problem either.  */
  assert_int_equal (nr_reclaim (l, f->proc, SIZE_MAX, &reclaimed, &err), 0);
  assert_int_equal (reclaimed, 0);
  nr_ledger_close (l);
  free_order (order, 12);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (start_time_is_field_22, setup, teardown),
    cmocka_unit_test_setup_teardown (alive_by_state_or_by_creator, setup, teardown),
    cmocka_unit_test_setup_teardown (budget_and_cursor_walk_round_robin, setup, teardown),
    cmocka_unit_test_setup_teardown (unlimited_budget_checks_every_entry_once, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
