/* nr_spawn: input, captured output, exit status, timeout, size limit.  */
#include <config.h>

#include "unit.h"

#include "spawn.h"

#include <string.h>

static int
run (const char *script, const char *input, bool capture, size_t max, int timeout_ms,
     struct nr_spawn_result *result, nr_error_t *err)
{
  char *argv[] = { (char *) "sh", (char *) "-c", (char *) script, NULL };
  struct nr_spawn spec = { .path = "/bin/sh",
                           .argv = argv,
                           .input = input,
                           .input_len = input ? strlen (input) : 0,
                           .capture = capture,
                           .output_max = max,
                           .timeout_ms = timeout_ms };
  return nr_spawn (&spec, result, err);
}

static void
test_input_reaches_stdin_and_output_is_captured (void **state)
{
  struct nr_spawn_result r;
  nr_error_t err = NULL;

  assert_int_equal (run ("tr a-z A-Z; echo noise >&2", "hello\n", true, 1024, 5000, &r, &err), 0);
  assert_int_equal (r.status, 0);
  assert_string_equal (r.output, "HELLO\n");
  assert_int_equal (r.output_len, 6);
  assert_false (r.too_big);
  free (r.output);
}

static void
test_large_input_and_output_at_once (void **state)
{
  /* More than a pipe holds in both directions: the pump must not
     deadlock writing while the child waits for us to read.  */
  size_t n = 1024 * 1024;
  cleanup_free char *big = xmalloc (n + 1);
  struct nr_spawn_result r;
  nr_error_t err = NULL;

  memset (big, 'x', n);
  big[n] = '\0';
  assert_int_equal (run ("cat", big, true, 2 * n, 20000, &r, &err), 0);
  assert_int_equal (r.status, 0);
  assert_int_equal (r.output_len, n);
  assert_memory_equal (r.output, big, n);
  free (r.output);
}

static void
test_exit_status_and_signal (void **state)
{
  struct nr_spawn_result r;
  nr_error_t err = NULL;

  assert_int_equal (run ("exit 3", NULL, false, 0, 0, &r, &err), 0);
  assert_int_equal (r.status, 3);
  assert_null (r.output);
  assert_int_equal (run ("kill -TERM $$", NULL, true, 16, 0, &r, &err), 0);
  assert_int_equal (r.status, 128 + 15);
  assert_string_equal (r.output, "");
  free (r.output);
}

static void
test_child_ignoring_its_input (void **state)
{
  struct nr_spawn_result r;
  nr_error_t err = NULL;
  size_t n = 1024 * 1024;
  cleanup_free char *big = xmalloc (n + 1);

  /* It exits without reading: we get EPIPE, not SIGPIPE, and its status.  */
  memset (big, 'y', n);
  big[n] = '\0';
  assert_int_equal (run ("exit 5", big, false, 0, 0, &r, &err), 0);
  assert_int_equal (r.status, 5);
}

static void
test_timeout_kills (void **state)
{
  struct nr_spawn_result r;
  nr_error_t err = NULL;

  assert_int_equal (run ("exec sleep 30", NULL, true, 16, 200, &r, &err), -1);
  assert_non_null (strstr (err->msg, "did not answer within"));
  assert_null (r.output);
  nr_error_release (&err);
}

static void
test_too_much_output (void **state)
{
  struct nr_spawn_result r;
  nr_error_t err = NULL;

  assert_int_equal (run ("exec yes", NULL, true, 100000, 20000, &r, &err), 0);
  assert_true (r.too_big);
  assert_int_equal (r.status, 128 + 9);
  free (r.output);
}

static void
test_not_executable (void **state)
{
  char *argv[] = { (char *) "program", NULL };
  struct nr_spawn spec = { .path = "/nonexistent/program", .argv = argv, .capture = true };
  struct nr_spawn_result r;
  nr_error_t err = NULL;

  assert_int_equal (nr_spawn (&spec, &r, &err), 0);
  assert_int_equal (r.status, 127);
  assert_int_equal (r.output_len, 0);
  free (r.output);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_input_reaches_stdin_and_output_is_captured),
    cmocka_unit_test (test_large_input_and_output_at_once),
    cmocka_unit_test (test_exit_status_and_signal),
    cmocka_unit_test (test_child_ignoring_its_input),
    cmocka_unit_test (test_timeout_kills),
    cmocka_unit_test (test_too_much_output),
    cmocka_unit_test (test_not_executable),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
