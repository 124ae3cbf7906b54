/* numa-runtime: memory.numa_stat, cgroup v2 and v1.  See numastat.h.  */
#include <config.h>

#include "numastat.h"

#include <string.h>

/* Which lines hold the memory we count.  */
enum numastat_form
{
  FORM_V2,      /* "anon N0=bytes ..." and "file N0=bytes ..." */
  FORM_V1_HIER, /* "hierarchical_total=pages N0=pages ..." */
  FORM_V1,      /* "total=pages N0=pages ..." (a kernel without hierarchy) */
};

/* One line of the file: its key and where its node fields start.  */
struct numastat_line
{
  const char *key;
  size_t key_len;
  const char *fields; /* after the key (and v1's "=value") */
  const char *end;    /* the line's end, newline excluded */
  bool v1;            /* "key=value" rather than "key" */
};

static bool
key_is (const struct numastat_line *ln, const char *key)
{
  return ln->key_len == strlen (key) && memcmp (ln->key, key, ln->key_len) == 0;
}

/* Split off the line at *P (up to END) and step *P past it.  */
static void
next_line (const char **p, const char *end, struct numastat_line *ln)
{
  const char *nl = memchr (*p, '\n', (size_t) (end - *p));
  const char *stop = nl ? nl : end;
  const char *q = *p;

  ln->key = q;
  while (q < stop && *q != ' ' && *q != '=')
    q++;
  ln->key_len = (size_t) (q - ln->key);
  ln->v1 = q < stop && *q == '=';
  while (q < stop && *q != ' ')
    q++;
  ln->fields = q;
  ln->end = stop;
  *p = nl ? nl + 1 : end;
}

/* Digits at [*P, END) as an unsigned number, at most UINT64_MAX; *P is
   left after them.  False when there is no digit or it overflows.  */
static bool
parse_u64 (const char **p, const char *end, uint64_t *out)
{
  const char *q = *p;
  uint64_t v = 0;

  if (q >= end || *q < '0' || *q > '9')
    return false;
  for (; q < end && *q >= '0' && *q <= '9'; q++)
    if (__builtin_mul_overflow (v, 10, &v) || __builtin_add_overflow (v, (uint64_t) (*q - '0'), &v))
      return false;
  *p = q;
  *out = v;
  return true;
}

/* One "N<node>=<value>" field at *P, ending at a blank or END.  */
static bool
parse_field (const char **p, const char *end, uint64_t *node, uint64_t *value)
{
  if (*p >= end || **p != 'N')
    return false;
  (*p)++;
  if (! parse_u64 (p, end, node) || *p >= end || **p != '=')
    return false;
  (*p)++;
  return parse_u64 (p, end, value) && (*p == end || **p == ' ');
}

/* Add the "N<node>=<value>" fields of LN, each times UNIT, into OUT.  */
static int
add_fields (const struct numastat_line *ln, uint64_t unit, struct nr_numastat *out, nr_error_t *err)
{
  const char *p = ln->fields;
  nr_set_t seen;
  int key_len = ln->key_len > 64 ? 64 : (int) ln->key_len;

  nr_set_clear (&seen);
  while (p < ln->end)
    {
      uint64_t node, value, bytes;

      if (*p == ' ')
        {
          p++;
          continue;
        }
      if (! parse_field (&p, ln->end, &node, &value))
        return nr_make_error (err, 0, "memory.numa_stat: `%.*s`: a field is not N<node>=<value>",
                              key_len, ln->key);
      if (node >= NR_NUMASTAT_MAX_NODES)
        return nr_make_error (err, 0, "memory.numa_stat: `%.*s`: node %llu is out of range",
                              key_len, ln->key, (unsigned long long) node);
      if (nr_set_has (&seen, (int) node))
        return nr_make_error (err, 0, "memory.numa_stat: `%.*s`: node %llu listed twice", key_len,
                              ln->key, (unsigned long long) node);
      nr_set_add (&seen, (int) node);
      if (__builtin_mul_overflow (value, unit, &bytes)
          || __builtin_add_overflow (out->bytes[node], bytes, &out->bytes[node])
          || __builtin_add_overflow (out->total, bytes, &out->total))
        return nr_make_error (err, 0, "memory.numa_stat: `%.*s`: the sum overflows", key_len,
                              ln->key);
      nr_set_add (&out->nodes, (int) node);
    }
  return 0;
}

/* The form of TEXT: the lines it has decide which are counted.  */
static int
find_form (const char *text, const char *end, enum numastat_form *form, nr_error_t *err)
{
  bool v2 = false, v1 = false, v1_hier = false;

  for (const char *p = text; p < end;)
    {
      struct numastat_line ln;
      next_line (&p, end, &ln);
      if (! ln.v1 && (key_is (&ln, "anon") || key_is (&ln, "file")))
        v2 = true;
      else if (ln.v1 && key_is (&ln, "hierarchical_total"))
        v1_hier = true;
      else if (ln.v1 && key_is (&ln, "total"))
        v1 = true;
    }
  if (v2 + (v1 || v1_hier) != 1)
    return nr_make_error (err, 0, "memory.numa_stat: %s",
                          v2 ? "both the v1 and the v2 form" : "neither anon/file nor total");
  *form = v2 ? FORM_V2 : v1_hier ? FORM_V1_HIER : FORM_V1;
  return 0;
}

static bool
counted (const struct numastat_line *ln, enum numastat_form form)
{
  switch (form)
    {
    case FORM_V2:
      return ! ln->v1 && (key_is (ln, "anon") || key_is (ln, "file"));
    case FORM_V1_HIER:
      return ln->v1 && key_is (ln, "hierarchical_total");
    case FORM_V1:
      return ln->v1 && key_is (ln, "total");
    }
  return false;
}

int
nr_numastat_parse (const char *text, size_t len, uint64_t page_size, struct nr_numastat *out,
                   nr_error_t *err)
{
  const char *end = text + len;
  enum numastat_form form = FORM_V2;
  bool seen_key[2] = { false, false };

  memset (out, 0, sizeof (*out));
  if (len > NR_NUMASTAT_MAX_SIZE)
    return nr_make_error (err, 0, "memory.numa_stat: longer than %d bytes", NR_NUMASTAT_MAX_SIZE);
  if (memchr (text, '\0', len))
    return nr_make_error (err, 0, "memory.numa_stat: a NUL byte");
  if (find_form (text, end, &form, err) < 0)
    return -1;
  for (const char *p = text; p < end;)
    {
      struct numastat_line ln;
      int which;

      next_line (&p, end, &ln);
      if (! counted (&ln, form))
        continue;
      /* v2 counts anon and file once each, v1 its one line once.  */
      which = form == FORM_V2 && key_is (&ln, "file") ? 1 : 0;
      if (seen_key[which])
        return nr_make_error (err, 0, "memory.numa_stat: `%.*s` twice", (int) ln.key_len, ln.key);
      seen_key[which] = true;
      if (add_fields (&ln, form == FORM_V2 ? 1 : page_size, out, err) < 0)
        return -1;
    }
  return 0;
}
