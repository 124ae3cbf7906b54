/* numa-runtime: the spec's numbers against their runtime-spec types.
 *
 * runc decodes config.json into the runtime-spec's Go structs, so a
 * number is valid exactly when Go's encoding/json puts it in the field's
 * type: int64 for cpu.quota and memory.limit, uint64 for cpu.shares,
 * cpu.period and hugepageLimits[].limit, and so on.  One rule for all
 * (int64) refused valid specs with 2^64-1 in a uint64 field, and let
 * through negative values runc refuses; the table below says each field's
 * own type, and docs/CONTRACT.md lists it.  */
#include <config.h>

#include "spec_numbers.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* "[]" stands for every element of an array.  */
#define NR_PATH_MAX_DEPTH 5

static const struct
{
  const char *path[NR_PATH_MAX_DEPTH + 1];
  enum nr_go_int type;
} spec_numbers[] = {
  /* LinuxCPU */
  { { "linux", "resources", "cpu", "shares", NULL }, NR_GO_UINT64 },
  { { "linux", "resources", "cpu", "quota", NULL }, NR_GO_INT64 },
  { { "linux", "resources", "cpu", "period", NULL }, NR_GO_UINT64 },
  /* LinuxMemory */
  { { "linux", "resources", "memory", "limit", NULL }, NR_GO_INT64 },
  /* LinuxHugepageLimit */
  { { "linux", "resources", "hugepageLimits", "[]", "limit", NULL }, NR_GO_UINT64 },
  /* LinuxDevice */
  { { "linux", "devices", "[]", "major", NULL }, NR_GO_INT64 },
  { { "linux", "devices", "[]", "minor", NULL }, NR_GO_INT64 },
};

static const char *const go_int_names[] = {
  [NR_GO_INT64] = "int64",
  [NR_GO_UINT64] = "uint64",
  [NR_GO_UINT32] = "uint32",
  [NR_GO_UINT16] = "uint16",
};

static const uint64_t go_uint_max[] = {
  [NR_GO_INT64] = INT64_MAX,
  [NR_GO_UINT64] = UINT64_MAX,
  [NR_GO_UINT32] = UINT32_MAX,
  [NR_GO_UINT16] = UINT16_MAX,
};

bool
nr_go_int_accepts (yajl_val v, enum nr_go_int type)
{
  const char *text, *digits;
  bool negative;
  uint64_t magnitude;
  char *end;

  if (v == NULL || v->type == yajl_t_null)
    return true;
  if (v->type != yajl_t_number || v->u.number.r == NULL)
    return false;
  /* strconv.ParseInt/ParseUint on the literal: digits with an optional
     minus (signed types only); no fraction, no exponent.  */
  text = v->u.number.r;
  negative = *text == '-';
  digits = negative ? text + 1 : text;
  if (*digits < '0' || *digits > '9' || strspn (digits, "0123456789") != strlen (digits))
    return false;
  if (negative && type != NR_GO_INT64)
    return false;
  errno = 0;
  magnitude = strtoull (digits, &end, 10);
  if (errno == ERANGE)
    return false;
  /* int64 reaches one further below zero than above.  */
  if (negative)
    return magnitude <= (uint64_t) INT64_MAX + 1;
  return magnitude <= go_uint_max[type];
}

int64_t
nr_go_int_value (yajl_val v)
{
  if (v == NULL || v->type != yajl_t_number)
    return 0;
  if (YAJL_IS_INTEGER (v))
    return YAJL_GET_INTEGER (v);
  return v->u.number.r && v->u.number.r[0] == '-' ? INT64_MIN : INT64_MAX;
}

/* The path of table row ROW as text ("linux.resources.hugepageLimits[].limit").  */
static char *
path_text (const char *const *path)
{
  char *out = xstrdup (path[0]);

  for (size_t i = 1; path[i]; i++)
    {
      char *joined = xasprintf ("%s%s%s", out, strcmp (path[i], "[]") == 0 ? "" : ".", path[i]);
      free (out);
      out = joined;
    }
  return out;
}

/* Check the values at PATH under V (every element where PATH says "[]").
   A member of another type than the path expects is not ours to judge
   here: the readers of that member say what they make of it.  */
static bool
all_accepted (yajl_val v, const char *const *path, enum nr_go_int type)
{
  if (*path == NULL)
    return nr_go_int_accepts (v, type);
  if (strcmp (*path, "[]") == 0)
    {
      if (v == NULL || v->type != yajl_t_array)
        return true;
      for (size_t i = 0; i < v->u.array.len; i++)
        if (! all_accepted (v->u.array.values[i], path + 1, type))
          return false;
      return true;
    }
  if (v == NULL || v->type != yajl_t_object)
    return true;
  return all_accepted (nr_json_get (v, *path), path + 1, type);
}

int
nr_spec_check_numbers (yajl_val spec, nr_error_t *err)
{
  for (size_t i = 0; i < NR_N_ELEMENTS (spec_numbers); i++)
    if (! all_accepted (spec, spec_numbers[i].path, spec_numbers[i].type))
      {
        cleanup_free char *where = path_text (spec_numbers[i].path);
        return nr_make_error (err, 0, "`%s` is not an integer in the range of %s", where,
                              go_int_names[spec_numbers[i].type]);
      }
  return 0;
}
