/* memory.numa_stat, both forms: anything either parses or fails with a
   message; what parses has per-node figures that add up to its total,
   only on the nodes it lists, and parses the same with a page size of 1
   when it is the byte-counting v2 form.  */
#include "fuzz.h"

#include "numastat.h"
#include "util.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free struct nr_numastat *stat = malloc (sizeof (*stat));
  cleanup_free struct nr_numastat *again = malloc (sizeof (*again));
  nr_error_t err = NULL;
  uint64_t sum = 0;

  if (stat == NULL || again == NULL)
    abort ();
  if (nr_numastat_parse ((const char *) data, size, 4096, stat, &err) < 0)
    {
      FUZZ_CHECK (err != NULL && err->msg != NULL, "a failure without a message");
      nr_error_release (&err);
      return 0;
    }
  for (int node = 0; node < NR_NUMASTAT_MAX_NODES; node++)
    {
      FUZZ_CHECK (nr_set_has (&stat->nodes, node) || stat->bytes[node] == 0,
                  "bytes on node %d, which is not listed", node);
      FUZZ_CHECK (! __builtin_add_overflow (sum, stat->bytes[node], &sum), "the sum overflows");
    }
  FUZZ_CHECK (sum == stat->total, "per-node bytes add up to %llu, total says %llu",
              (unsigned long long) sum, (unsigned long long) stat->total);
  /* A page size of 1 only divides v1's figures by 4096.  */
  if (nr_numastat_parse ((const char *) data, size, 1, again, NULL) == 0)
    FUZZ_CHECK (again->total == stat->total || again->total * 4096 == stat->total,
                "page size changes the total from %llu to %llu", (unsigned long long) again->total,
                (unsigned long long) stat->total);
  else
    FUZZ_CHECK (0, "parses with a page size of 4096 but not of 1");
  return 0;
}
