/* Shared bits of the cmocka unit tests.  */
#ifndef NR_UNIT_H
#define NR_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cpuset.h"
#include "error.h"
#include "util.h"

/* Parse LIST into a set, failing the test on a parse error.  */
static inline nr_set_t
set_of (const char *list)
{
  nr_set_t s;
  nr_error_t err = NULL;
  if (nr_set_parse (list, &s, &err) < 0)
    fail_msg ("bad list in test: %s", err->msg);
  return s;
}

#define assert_set_equal(set, list)                                                                \
  do                                                                                               \
    {                                                                                              \
      cleanup_free char *_got = nr_set_format (&(set));                                            \
      assert_string_equal (_got, (list));                                                          \
    }                                                                                              \
  while (0)

#endif
