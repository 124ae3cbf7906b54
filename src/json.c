/* numa-runtime: helpers over yajl's tree.  */
#include <config.h>

#include "json.h"
#include "util.h"

#include <string.h>
#include <yajl/yajl_gen.h>

void
cleanup_json_freep (yajl_val *v)
{
  if (*v)
    yajl_tree_free (*v);
}

/* The four hex digits at P (N bytes left) as a code unit, or -1.  */
static long
hex4 (const char *p, size_t n)
{
  long v = 0;

  if (n < 4)
    return -1;
  for (int i = 0; i < 4; i++)
    {
      int c = (unsigned char) p[i], d;
      if (c >= '0' && c <= '9')
        d = c - '0';
      else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
      else
        return -1;
      v = v * 16 + d;
    }
  return v;
}

/* The string escape at TEXT[*I] (a backslash): refuse what yajl's tree
   cannot carry through unchanged — \u0000 (its strings are NUL-terminated)
   and a UTF-16 surrogate without its pair (yajl writes `?` or bytes that
   are not UTF-8).  Leaves *I on the escape's last character.  */
static int
check_escape (const char *text, size_t len, size_t *i, nr_error_t *err)
{
  size_t at = *i;
  long unit, low;

  if (at + 1 >= len || text[at + 1] != 'u' || (unit = hex4 (text + at + 2, len - at - 2)) < 0)
    {
      *i = at + 1;
      return 0;
    }
  *i = at + 5;
  if (unit == 0)
    return nr_make_error (err, 0,
                          "a string holds \\u0000 (NUL), which numa-runtime cannot "
                          "carry through unchanged");
  if (unit >= 0xdc00 && unit <= 0xdfff)
    return nr_make_error (err, 0, "a string holds a lone UTF-16 surrogate (\\u%04lx)", unit);
  if (unit < 0xd800 || unit > 0xdbff)
    return 0;
  if (at + 7 >= len || text[at + 6] != '\\' || text[at + 7] != 'u'
      || (low = hex4 (text + at + 8, len - at - 8)) < 0xdc00 || low > 0xdfff)
    return nr_make_error (err, 0, "a string holds a lone UTF-16 surrogate (\\u%04lx)", unit);
  *i = at + 11;
  return 0;
}

/* What yajl would accept but we must refuse, found before yajl builds a
   tree: nesting deeper than NR_JSON_MAX_DEPTH (yajl's tree and generator
   recurse, and its generator stops at 128 levels), and the escapes of
   check_escape.  Strings and comments (yajl allows them) are skipped so
   that brackets inside them do not count.  */
static int
prescan (const char *text, size_t len, nr_error_t *err)
{
  size_t depth = 0;

  for (size_t i = 0; i < len; i++)
    {
      char c = text[i];

      if (c == '"')
        {
          for (i++; i < len && text[i] != '"'; i++)
            if (text[i] == '\\' && check_escape (text, len, &i, err) < 0)
              return -1;
        }
      else if (c == '/' && i + 1 < len && text[i + 1] == '/')
        {
          while (i < len && text[i] != '\n')
            i++;
        }
      else if (c == '/' && i + 1 < len && text[i + 1] == '*')
        {
          for (i += 2; i + 1 < len && ! (text[i] == '*' && text[i + 1] == '/'); i++)
            ;
          i++;
        }
      else if (c == '[' || c == '{')
        {
          if (++depth > NR_JSON_MAX_DEPTH)
            return nr_make_error (err, 0, "invalid JSON: nested deeper than %d levels",
                                  NR_JSON_MAX_DEPTH);
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return 0;
}

int
nr_json_parse (const char *text, size_t len, yajl_val *out, nr_error_t *err)
{
  char errbuf[1024];
  yajl_val v;

  if (strlen (text) != len)
    return nr_make_error (err, 0, "invalid JSON: contains a NUL byte");
  if (prescan (text, len, err) < 0)
    return -1;
  errbuf[0] = '\0';
  v = yajl_tree_parse (text, errbuf, sizeof (errbuf));
  if (v == NULL)
    {
      /* yajl's message spans lines (it draws an arrow); keep the first.  */
      char *nl = strchr (errbuf, '\n');
      if (nl)
        *nl = '\0';
      return nr_make_error (err, 0, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
    }
  *out = v;
  return 0;
}

static yajl_gen_status
generate_value (yajl_gen g, yajl_val v)
{
  yajl_gen_status st = yajl_gen_status_ok;

  if (v == NULL)
    return yajl_gen_null (g);
  switch (v->type)
    {
    case yajl_t_string:
      return yajl_gen_string (g, (const unsigned char *) v->u.string, strlen (v->u.string));
    case yajl_t_number:
      /* The original text, so big integers and float spellings survive.  */
      return yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
    case yajl_t_object:
      st = yajl_gen_map_open (g);
      for (size_t i = 0; st == yajl_gen_status_ok && i < v->u.object.len; i++)
        {
          const char *k = v->u.object.keys[i];
          st = yajl_gen_string (g, (const unsigned char *) k, strlen (k));
          if (st == yajl_gen_status_ok)
            st = generate_value (g, v->u.object.values[i]);
        }
      return st == yajl_gen_status_ok ? yajl_gen_map_close (g) : st;
    case yajl_t_array:
      st = yajl_gen_array_open (g);
      for (size_t i = 0; st == yajl_gen_status_ok && i < v->u.array.len; i++)
        st = generate_value (g, v->u.array.values[i]);
      return st == yajl_gen_status_ok ? yajl_gen_array_close (g) : st;
    case yajl_t_true:
      return yajl_gen_bool (g, 1);
    case yajl_t_false:
      return yajl_gen_bool (g, 0);
    default:
      return yajl_gen_null (g);
    }
}

char *
nr_json_generate (yajl_val v, size_t *len)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t buf_len;
  char *out = NULL;

  if (g == NULL)
    return NULL;
  if (generate_value (g, v) == yajl_gen_status_ok
      && yajl_gen_get_buf (g, &buf, &buf_len) == yajl_gen_status_ok)
    {
      out = xmalloc (buf_len + 1);
      memcpy (out, buf, buf_len);
      out[buf_len] = '\0';
      if (len)
        *len = buf_len;
    }
  yajl_gen_free (g);
  return out;
}

static ssize_t
find_member (yajl_val obj, const char *key)
{
  if (obj == NULL || obj->type != yajl_t_object)
    return -1;
  for (size_t i = obj->u.object.len; i > 0; i--)
    if (strcmp (obj->u.object.keys[i - 1], key) == 0)
      return (ssize_t) (i - 1);
  return -1;
}

yajl_val
nr_json_get (yajl_val obj, const char *key)
{
  ssize_t i = find_member (obj, key);
  return i < 0 ? NULL : obj->u.object.values[i];
}

const char *
nr_json_repeated_key (yajl_val obj)
{
  if (obj == NULL || obj->type != yajl_t_object)
    return NULL;
  for (size_t i = 1; i < obj->u.object.len; i++)
    {
      const char *key = obj->u.object.keys[i];

      /* The first byte first: most keys differ there, and this runs on
         every ledger line a create parses.  */
      for (size_t j = 0; j < i; j++)
        if (obj->u.object.keys[j][0] == key[0] && strcmp (obj->u.object.keys[j], key) == 0)
          return key;
    }
  return NULL;
}

yajl_val
nr_json_get_path (yajl_val v, const char *const *path)
{
  for (; v && *path; path++)
    v = nr_json_get (v, *path);
  return v;
}

const char *
nr_json_get_string (yajl_val obj, const char *key)
{
  yajl_val v = nr_json_get (obj, key);
  return v && v->type == yajl_t_string ? v->u.string : NULL;
}

void
nr_json_set (yajl_val obj, const char *key, yajl_val value)
{
  ssize_t i = find_member (obj, key);
  size_t n;

  if (i >= 0)
    {
      yajl_tree_free (obj->u.object.values[i]);
      obj->u.object.values[i] = value;
      return;
    }
  n = obj->u.object.len;
  obj->u.object.keys = xrealloc (obj->u.object.keys, (n + 1) * sizeof (char *));
  obj->u.object.values = xrealloc (obj->u.object.values, (n + 1) * sizeof (yajl_val));
  obj->u.object.keys[n] = xstrdup (key);
  obj->u.object.values[n] = value;
  obj->u.object.len = n + 1;
}

int
nr_json_ensure_object (yajl_val obj, const char *key, const char *where, yajl_val *out,
                       nr_error_t *err)
{
  yajl_val v = nr_json_get (obj, key);

  if (v != NULL && v->type == yajl_t_object)
    {
      *out = v;
      return 0;
    }
  if (v != NULL && v->type != yajl_t_null)
    return nr_make_error (err, 0, "`%s` is not an object", where);
  v = nr_json_new_object ();
  nr_json_set (obj, key, v);
  *out = v;
  return 0;
}

void
nr_json_remove (yajl_val obj, const char *key)
{
  ssize_t i;

  while ((i = find_member (obj, key)) >= 0)
    {
      size_t tail = obj->u.object.len - (size_t) i - 1;
      free ((char *) obj->u.object.keys[i]);
      yajl_tree_free (obj->u.object.values[i]);
      memmove (&obj->u.object.keys[i], &obj->u.object.keys[i + 1], tail * sizeof (char *));
      memmove (&obj->u.object.values[i], &obj->u.object.values[i + 1], tail * sizeof (yajl_val));
      obj->u.object.len--;
    }
}

static yajl_val
new_value (yajl_type type)
{
  yajl_val v = xmalloc0 (sizeof (*v));
  v->type = type;
  return v;
}

yajl_val
nr_json_new_object (void)
{
  return new_value (yajl_t_object);
}

yajl_val
nr_json_new_array (void)
{
  return new_value (yajl_t_array);
}

yajl_val
nr_json_new_string (const char *s)
{
  yajl_val v = new_value (yajl_t_string);
  v->u.string = xstrdup (s);
  return v;
}

void
nr_json_array_append (yajl_val arr, yajl_val value)
{
  size_t n = arr->u.array.len;
  arr->u.array.values = xrealloc (arr->u.array.values, (n + 1) * sizeof (yajl_val));
  arr->u.array.values[n] = value;
  arr->u.array.len = n + 1;
}

void
nr_json_array_remove (yajl_val arr, size_t index)
{
  size_t tail = arr->u.array.len - index - 1;
  yajl_tree_free (arr->u.array.values[index]);
  memmove (&arr->u.array.values[index], &arr->u.array.values[index + 1], tail * sizeof (yajl_val));
  arr->u.array.len--;
}

void
nr_json_gen_key (yajl_gen g, const char *key)
{
  yajl_gen_string (g, (const unsigned char *) key, strlen (key));
}

void
nr_json_gen_string (yajl_gen g, const char *key, const char *value)
{
  nr_json_gen_key (g, key);
  if (value)
    yajl_gen_string (g, (const unsigned char *) value, strlen (value));
  else
    yajl_gen_null (g);
}

void
nr_json_gen_set (yajl_gen g, const char *key, const nr_set_t *set)
{
  cleanup_free char *list = nr_set_format (set);
  nr_json_gen_string (g, key, list);
}

void
nr_json_gen_int (yajl_gen g, const char *key, long long value)
{
  nr_json_gen_key (g, key);
  yajl_gen_integer (g, value);
}

void
nr_json_gen_bool (yajl_gen g, const char *key, bool value)
{
  nr_json_gen_key (g, key);
  yajl_gen_bool (g, value);
}

char *
nr_json_gen_finish (yajl_gen g, size_t *len)
{
  const unsigned char *buf;
  size_t buf_len;
  char *out;

  yajl_gen_get_buf (g, &buf, &buf_len);
  out = xstrndup ((const char *) buf, buf_len);
  if (len)
    *len = buf_len;
  yajl_gen_free (g);
  return out;
}
