/* CPU/node lists: the kernel's format, parsed and written back.  */
#include <config.h>

#include "unit.h"

#include <string.h>

static void
parses_and_formats_ranges (void **state)
{
  static const struct
  {
    const char *in, *out;
  } cases[] = {
    { "0-3", "0-3" },
    { "0,1,2,3", "0-3" },
    { "8,0-1", "0-1,8" },
    { "0-3,8-11\n", "0-3,8-11" },
    { "", "" },
    { " 5 ", "5" },
    { "0-0", "0" },
    { "4095", "4095" },
    { "1,3,5-7", "1,3,5-7" },
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      nr_set_t s = set_of (cases[i].in);
      assert_set_equal (s, cases[i].out);
    }
}

static void
rejects_malformed_lists (void **state)
{
  static const char *const bad[] = { "a",  "1-",  "3-1",   "1,,2",  "1,",
                                     "-1", "1 2", "99999", "1-2-3", "0x1" };
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      nr_set_t s;
      nr_error_t err = NULL;
      assert_int_equal (nr_set_parse (bad[i], &s, &err), -1);
      assert_non_null (err);
      assert_non_null (strstr (err->msg, "invalid"));
      nr_error_release (&err);
    }
}

static void
set_operations (void **state)
{
  nr_set_t a = set_of ("0-7"), b = set_of ("4-11"), c;

  assert_int_equal (nr_set_count (&a), 8);
  assert_true (nr_set_intersects (&a, &b));
  c = a;
  nr_set_intersect (&c, &b);
  assert_set_equal (c, "4-7");
  c = a;
  nr_set_subtract (&c, &b);
  assert_set_equal (c, "0-3");
  nr_set_union (&c, &b);
  assert_set_equal (c, "0-11");
  assert_true (nr_set_is_subset (&a, &c));
  assert_false (nr_set_is_subset (&c, &a));
  assert_int_equal (nr_set_next (&b, 0), 4);
  assert_int_equal (nr_set_next (&b, 12), -1);
  assert_int_equal (nr_set_next (&b, 11), 11);
}

/* The bounded walk and count see exactly the bits below END, at word
   edges too (63/64, 127/128), and never one at or above it.  */
static void
bounded_walk_and_count (void **state)
{
  nr_set_t a = set_of ("0,63-64,127,200,8191");
  nr_set_t b = set_of ("0-127,8191");
  int seen[8] = { 0 }, n = 0;

  (void) state;
  for (int c = nr_set_next_below (&a, 0, 128); c >= 0; c = nr_set_next_below (&a, c + 1, 128))
    seen[n++] = c;
  assert_int_equal (n, 4);
  assert_int_equal (seen[0], 0);
  assert_int_equal (seen[1], 63);
  assert_int_equal (seen[2], 64);
  assert_int_equal (seen[3], 127);
  assert_int_equal (nr_set_next_below (&a, 128, 200), -1);
  assert_int_equal (nr_set_next_below (&a, 128, 201), 200);
  assert_int_equal (nr_set_next_below (&a, -5, 1), 0);
  assert_int_equal (nr_set_next_below (&a, 201, NR_SET_MAX + 64), 8191);
  assert_int_equal (nr_set_count_common (&a, &b, 64), 2);
  assert_int_equal (nr_set_count_common (&a, &b, 127), 3);
  assert_int_equal (nr_set_count_common (&a, &b, 128), 4);
  assert_int_equal (nr_set_count_common (&a, &b, NR_SET_MAX), 5);
  assert_int_equal (nr_set_count_common (&a, &b, 0), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (parses_and_formats_ranges),
    cmocka_unit_test (rejects_malformed_lists),
    cmocka_unit_test (set_operations),
    cmocka_unit_test (bounded_walk_and_count),
  };
  return cmocka_run_group_tests_name ("cpuset", tests, NULL, NULL);
}
