/* CPU lists ("0-3,8"): what parses formats back to a list that parses to
   the same set and formats the same again.  */
#include "fuzz.h"

#include "cpuset.h"
#include "util.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *text = fuzz_text (data, size);
  cleanup_free char *formatted = NULL, *again = NULL;
  nr_set_t set, reparsed;
  nr_error_t err = NULL;

  if (nr_set_parse (text, &set, &err) < 0)
    {
      FUZZ_CHECK (err != NULL, "a failure without a message");
      nr_error_release (&err);
      return 0;
    }
  formatted = nr_set_format (&set);
  FUZZ_CHECK (nr_set_parse (formatted, &reparsed, NULL) == 0, "`%s` does not parse", formatted);
  FUZZ_CHECK (nr_set_equal (&set, &reparsed), "`%s` parses to another set", formatted);
  again = nr_set_format (&reparsed);
  FUZZ_CHECK (strcmp (formatted, again) == 0, "`%s` formats as `%s`", formatted, again);
  return 0;
}
