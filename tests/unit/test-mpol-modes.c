/* The memory-policy mode table (mpol_modes.c): every name the parser
   takes is in the error messages, and the names, runtime-spec names and
   kernel values agree both ways.  */
#include <config.h>

#include "unit.h"

#include "mpol_modes.h"

#include <numaif.h>
#include <string.h>

static void
the_error_message_lists_every_mode_the_parser_takes (void **state)
{
  (void) state;
  assert_string_equal (nr_mpol_choices (),
                       "must be bind, preferred, interleave or weighted-interleave");
  for (int m = NR_MPOL_BIND; m <= NR_MPOL_WEIGHTED_INTERLEAVE; m++)
    {
      enum nr_mpol back;
      assert_non_null (strstr (nr_mpol_choices (), nr_mpol_name ((enum nr_mpol) m)));
      assert_int_equal (nr_mpol_parse (nr_mpol_name ((enum nr_mpol) m), &back), 0);
      assert_int_equal (back, m);
    }
}

static void
unknown_names_are_refused (void **state)
{
  enum nr_mpol out = NR_MPOL_PREFERRED;
  (void) state;
  assert_int_equal (nr_mpol_parse ("Bind", &out), -1);
  assert_int_equal (nr_mpol_parse ("", &out), -1);
  assert_int_equal (nr_mpol_parse ("MPOL_BIND", &out), -1);
  assert_int_equal (out, NR_MPOL_PREFERRED);
}

static void
runtime_spec_names_and_kernel_modes_map_both_ways (void **state)
{
  (void) state;
  assert_int_equal (nr_mpol_kernel_mode_of ("MPOL_PREFERRED_MANY"), MPOL_PREFERRED_MANY);
  assert_string_equal (nr_mpol_oci_name (MPOL_INTERLEAVE), "MPOL_INTERLEAVE");
  assert_int_equal (nr_mpol_kernel_mode_of ("MPOL_NONESUCH"), -1);
  assert_null (nr_mpol_oci_name (99));
  assert_int_equal (nr_mpol_kernel_mode (NR_MPOL_PREFERRED, 1), MPOL_PREFERRED);
  assert_int_equal (nr_mpol_kernel_mode (NR_MPOL_PREFERRED, 2), MPOL_PREFERRED_MANY);
  assert_int_equal (nr_mpol_kernel_mode (NR_MPOL_WEIGHTED_INTERLEAVE, 2), 6);
  assert_true (nr_mpol_all_modes () & (1u << 6));
  assert_true ((nr_mpol_modes_we_write () & ~nr_mpol_all_modes ()) == 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (the_error_message_lists_every_mode_the_parser_takes),
    cmocka_unit_test (unknown_names_are_refused),
    cmocka_unit_test (runtime_spec_names_and_kernel_modes_map_both_ways),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
