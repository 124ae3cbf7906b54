/* numa-runtime: the spec's numbers, each checked against its own type in
   the runtime-spec's Go types (specs-go/config.go), as runc's decoder
   checks it.  */
#ifndef NR_SPEC_NUMBERS_H
#define NR_SPEC_NUMBERS_H

#include "error.h"
#include "json.h"

#include <stdbool.h>
#include <stdint.h>

/* The Go integer types of the fields numa-runtime reads.  */
enum nr_go_int
{
  NR_GO_INT64,
  NR_GO_UINT64,
  NR_GO_UINT32,
  NR_GO_UINT16,
};

/* Would Go's encoding/json decode V into an integer of TYPE?  True for
   null (a pointer left nil, a value left alone) and for an integer
   literal in TYPE's range; false for a fraction, an exponent, a sign on
   an unsigned type, a number out of range and any other JSON type.  */
bool nr_go_int_accepts (yajl_val v, enum nr_go_int type);

/* Check every number of SPEC (the document root) that numa-runtime reads
   against its type (the table in spec_numbers.c, listed in
   docs/CONTRACT.md): an error naming the first field runc would refuse.  */
int nr_spec_check_numbers (yajl_val spec, nr_error_t *err);

/* The value of a number that nr_go_int_accepts took, as an int64: a
   uint64 beyond INT64_MAX saturates; null and absent are 0.  */
int64_t nr_go_int_value (yajl_val v);

#endif
