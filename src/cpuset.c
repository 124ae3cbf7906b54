/* numa-runtime: fixed-size bit sets of CPUs or nodes.  */
#include <config.h>

#include "cpuset.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NWORDS (NR_SET_MAX / 64)

void
nr_set_clear (nr_set_t *set)
{
  memset (set, 0, sizeof (*set));
}

void
nr_set_add (nr_set_t *set, int bit)
{
  if (bit >= 0 && bit < NR_SET_MAX)
    set->words[bit / 64] |= UINT64_C (1) << (bit % 64);
}

void
nr_set_remove (nr_set_t *set, int bit)
{
  if (bit >= 0 && bit < NR_SET_MAX)
    set->words[bit / 64] &= ~(UINT64_C (1) << (bit % 64));
}

bool
nr_set_has (const nr_set_t *set, int bit)
{
  if (bit < 0 || bit >= NR_SET_MAX)
    return false;
  return (set->words[bit / 64] >> (bit % 64)) & 1;
}

int
nr_set_count (const nr_set_t *set)
{
  int n = 0;
  /* Sets are sparse: most words are 0, and without a popcount
     instruction each count is a library call.  */
  for (int i = 0; i < NWORDS; i++)
    if (set->words[i])
      n += __builtin_popcountll (set->words[i]);
  return n;
}

int
nr_set_difference (nr_set_t *dst, const nr_set_t *a, const nr_set_t *b)
{
  int n = 0;
  for (int i = 0; i < NWORDS; i++)
    {
      uint64_t w = a->words[i];
      if (w)
        {
          w &= ~b->words[i];
          n += __builtin_popcountll (w);
        }
      dst->words[i] = w;
    }
  return n;
}

void
nr_set_count_minus (const nr_set_t *a, const nr_set_t *b, const nr_set_t *c, int *n_ab, int *n_abc)
{
  int ab = 0, abc = 0;
  for (int i = 0; i < NWORDS; i++)
    if (a->words[i])
      {
        uint64_t w = a->words[i] & ~b->words[i];
        ab += __builtin_popcountll (w);
        abc += __builtin_popcountll (w & ~c->words[i]);
      }
  *n_ab = ab;
  *n_abc = abc;
}

bool
nr_set_is_empty (const nr_set_t *set)
{
  for (int i = 0; i < NWORDS; i++)
    if (set->words[i])
      return false;
  return true;
}

bool
nr_set_equal (const nr_set_t *a, const nr_set_t *b)
{
  return memcmp (a, b, sizeof (*a)) == 0;
}

bool
nr_set_is_subset (const nr_set_t *sub, const nr_set_t *super)
{
  for (int i = 0; i < NWORDS; i++)
    if (sub->words[i] & ~super->words[i])
      return false;
  return true;
}

bool
nr_set_intersects (const nr_set_t *a, const nr_set_t *b)
{
  for (int i = 0; i < NWORDS; i++)
    if (a->words[i] & b->words[i])
      return true;
  return false;
}

void
nr_set_union (nr_set_t *dst, const nr_set_t *src)
{
  for (int i = 0; i < NWORDS; i++)
    dst->words[i] |= src->words[i];
}

void
nr_set_intersect (nr_set_t *dst, const nr_set_t *src)
{
  for (int i = 0; i < NWORDS; i++)
    dst->words[i] &= src->words[i];
}

void
nr_set_subtract (nr_set_t *dst, const nr_set_t *src)
{
  for (int i = 0; i < NWORDS; i++)
    dst->words[i] &= ~src->words[i];
}

int
nr_set_next (const nr_set_t *set, int from)
{
  if (from < 0)
    from = 0;
  for (int i = from / 64; i < NWORDS; i++)
    {
      uint64_t w = set->words[i];
      if (i == from / 64)
        w &= ~UINT64_C (0) << (from % 64);
      if (w)
        return i * 64 + __builtin_ctzll (w);
    }
  return -1;
}

int
nr_set_next_below (const nr_set_t *set, int from, int end)
{
  if (from < 0)
    from = 0;
  if (end > NR_SET_MAX)
    end = NR_SET_MAX;
  for (int i = from / 64; i * 64 < end; i++)
    {
      uint64_t w = set->words[i];
      if (i == from / 64)
        w &= ~UINT64_C (0) << (from % 64);
      if (w)
        {
          int bit = i * 64 + __builtin_ctzll (w);
          return bit < end ? bit : -1;
        }
    }
  return -1;
}

int
nr_set_count_common (const nr_set_t *a, const nr_set_t *b, int end)
{
  int n = 0;

  if (end > NR_SET_MAX)
    end = NR_SET_MAX;
  for (int i = 0; i * 64 < end; i++)
    {
      uint64_t w = a->words[i] & b->words[i];
      if (end - i * 64 < 64)
        w &= (UINT64_C (1) << (end - i * 64)) - 1;
      n += __builtin_popcountll (w);
    }
  return n;
}

static int
parse_number (const char **p, long *out)
{
  char *end;

  if (! isdigit ((unsigned char) **p))
    return -1;
  errno = 0;
  *out = strtol (*p, &end, 10);
  if (errno != 0 || *out < 0 || *out >= NR_SET_MAX)
    return -1;
  *p = end;
  return 0;
}

int
nr_set_parse (const char *list, nr_set_t *out, nr_error_t *err)
{
  const char *p = list;

  nr_set_clear (out);
  while (isspace ((unsigned char) *p))
    p++;
  while (*p && ! isspace ((unsigned char) *p))
    {
      long first, last;

      if (parse_number (&p, &first) < 0)
        return nr_make_error (err, 0, "invalid list `%s`", list);
      last = first;
      if (*p == '-')
        {
          p++;
          if (parse_number (&p, &last) < 0 || last < first)
            return nr_make_error (err, 0, "invalid range in list `%s`", list);
        }
      for (long b = first; b <= last; b++)
        nr_set_add (out, (int) b);
      if (*p == ',')
        {
          p++;
          if (*p == '\0' || isspace ((unsigned char) *p))
            return nr_make_error (err, 0, "invalid list `%s`", list);
        }
      else if (*p && ! isspace ((unsigned char) *p))
        return nr_make_error (err, 0, "invalid list `%s`", list);
    }
  while (isspace ((unsigned char) *p))
    p++;
  if (*p != '\0')
    return nr_make_error (err, 0, "invalid list `%s`", list);
  return 0;
}

char *
nr_set_format (const nr_set_t *set)
{
  size_t cap = 64, len = 0;
  char *out = xmalloc (cap);

  out[0] = '\0';
  for (int b = nr_set_next (set, 0); b >= 0;)
    {
      int last = b;
      char piece[32];
      int n;

      while (nr_set_has (set, last + 1))
        last++;
      if (last == b)
        n = snprintf (piece, sizeof (piece), "%s%d", len ? "," : "", b);
      else
        n = snprintf (piece, sizeof (piece), "%s%d-%d", len ? "," : "", b, last);
      if (len + (size_t) n + 1 > cap)
        {
          cap = (len + (size_t) n + 1) * 2;
          out = xrealloc (out, cap);
        }
      memcpy (out + len, piece, (size_t) n + 1);
      len += (size_t) n;
      b = nr_set_next (set, last + 1);
    }
  return out;
}
