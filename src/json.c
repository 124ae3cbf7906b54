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

/* True when TEXT holds the escape \u0000 (not an escaped backslash
   followed by "u0000").  yajl's tree keeps strings NUL-terminated, so such
   a string would come back cut short: refuse it rather than alter it.  */
static bool
has_nul_escape (const char *text, size_t len)
{
  for (const char *p = text; (p = memchr (p, '\\', len - (size_t) (p - text))); p += 2)
    {
      if ((size_t) (p - text) + 1 >= len)
        return false;
      if (p[1] == 'u' && (size_t) (p - text) + 6 <= len && memcmp (p + 2, "0000", 4) == 0)
        return true;
    }
  return false;
}

int
nr_json_parse (const char *text, size_t len, yajl_val *out, nr_error_t *err)
{
  char errbuf[1024];
  yajl_val v;

  if (strlen (text) != len)
    return nr_make_error (err, 0, "invalid JSON: contains a NUL byte");
  if (has_nul_escape (text, len))
    return nr_make_error (err, 0,
                          "a string holds \\u0000 (NUL), which numa-runtime cannot "
                          "carry through unchanged");
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

static void
generate_value (yajl_gen g, yajl_val v)
{
  if (v == NULL)
    {
      yajl_gen_null (g);
      return;
    }
  switch (v->type)
    {
    case yajl_t_string:
      yajl_gen_string (g, (const unsigned char *) v->u.string, strlen (v->u.string));
      break;
    case yajl_t_number:
      /* The original text, so big integers and float spellings survive.  */
      yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
      break;
    case yajl_t_object:
      yajl_gen_map_open (g);
      for (size_t i = 0; i < v->u.object.len; i++)
        {
          const char *k = v->u.object.keys[i];
          yajl_gen_string (g, (const unsigned char *) k, strlen (k));
          generate_value (g, v->u.object.values[i]);
        }
      yajl_gen_map_close (g);
      break;
    case yajl_t_array:
      yajl_gen_array_open (g);
      for (size_t i = 0; i < v->u.array.len; i++)
        generate_value (g, v->u.array.values[i]);
      yajl_gen_array_close (g);
      break;
    case yajl_t_true:
      yajl_gen_bool (g, 1);
      break;
    case yajl_t_false:
      yajl_gen_bool (g, 0);
      break;
    default:
      yajl_gen_null (g);
      break;
    }
}

char *
nr_json_generate (yajl_val v, size_t *len)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t buf_len;
  char *out;

  generate_value (g, v);
  yajl_gen_get_buf (g, &buf, &buf_len);
  out = xmalloc (buf_len + 1);
  memcpy (out, buf, buf_len);
  out[buf_len] = '\0';
  if (len)
    *len = buf_len;
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

yajl_val
nr_json_new_number (const char *text)
{
  yajl_val v = new_value (yajl_t_number);
  v->u.number.r = xstrdup (text);
  v->u.number.i = strtoll (text, NULL, 10);
  v->u.number.d = strtod (text, NULL);
  v->u.number.flags = YAJL_NUMBER_INT_VALID | YAJL_NUMBER_DOUBLE_VALID;
  return v;
}

yajl_val
nr_json_new_bool (bool b)
{
  return new_value (b ? yajl_t_true : yajl_t_false);
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
