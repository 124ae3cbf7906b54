/* config.json round trip: whatever numa-runtime does not own comes back
   exactly — order, types, big integers, floats, unicode.  */
#include <config.h>

#include "unit.h"

#include "spec_edit.h"
#include "json.h"
#include "util.h"

#include <string.h>

static char *
round_trip (const char *text)
{
  cleanup_json yajl_val v = NULL;
  nr_error_t err = NULL;

  if (nr_json_parse (text, strlen (text), &v, &err) < 0)
    fail_msg ("parse: %s", err->msg);
  return nr_json_generate (v, NULL);
}

static void
keeps_order_types_and_numbers (void **state)
{
  static const char *const docs[] = {
    "{\"z\":1,\"a\":2,\"m\":[1,2,[3,[4,{}]],{\"k\":null}]}",
    "{\"limit\":18446744073709551615,\"neg\":-9223372036854775808}",
    "{\"f\":1.5,\"e\":1e400,\"g\":-0.0,\"h\":2.50E-3}",
    "{\"t\":true,\"f\":false,\"n\":null,\"s\":\"\",\"a\":[],\"o\":{}}",
    "{\"dup\":1,\"dup\":2}",
  };
  for (size_t i = 0; i < sizeof (docs) / sizeof (docs[0]); i++)
    {
      cleanup_free char *out = round_trip (docs[i]);
      assert_string_equal (out, docs[i]);
    }
}

static void
unicode_escapes_survive_as_the_same_characters (void **state)
{
  cleanup_free char *out =
      round_trip ("{\"s\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\n\\t\\u0001\"}");
  assert_string_equal (out,
                       "{\"s\":\"caf\xc3\xa9 \xf0\x9f\x98\x80 \\\"q\\\" \\\\ \\n\\t\\u0001\"}");
}

static void
rejects_bad_json_with_one_line (void **state)
{
  static const char *const bad[] = { "{", "{\"a\":}", "[1,2", "{\"a\":1}}" };
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      yajl_val v = NULL;
      nr_error_t err = NULL;
      assert_int_equal (nr_json_parse (bad[i], strlen (bad[i]), &v, &err), -1);
      assert_null (strchr (err->msg, '\n'));
      assert_non_null (strstr (err->msg, "invalid JSON"));
      nr_error_release (&err);
    }
}

static void
rejects_embedded_nul (void **state)
{
  yajl_val v = NULL;
  nr_error_t err = NULL;
  assert_int_equal (nr_json_parse ("{}\0{}", 5, &v, &err), -1);
  nr_error_release (&err);
}

static void
refuses_a_nul_escape_it_could_not_keep (void **state)
{
  static const char bad[] = "{\"s\":\"a\\u0000b\"}";
  static const char fine[] = "{\"s\":\"a\\\\u0000b\"}"; /* an escaped backslash */
  yajl_val v = NULL;
  nr_error_t err = NULL;
  cleanup_free char *out = NULL;

  assert_int_equal (nr_json_parse (bad, sizeof (bad) - 1, &v, &err), -1);
  assert_non_null (strstr (err->msg, "NUL"));
  nr_error_release (&err);
  out = round_trip (fine);
  assert_string_equal (out, fine);
}

static void
apply_creates_objects_and_replaces_numa_node (void **state)
{
  static const char *in =
      "{\"ociVersion\":\"1.0.2\",\"process\":{\"env\":[\"PATH=/bin\",\"NUMA_NODE=7\",\"X=1\"]},"
      "\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]},\"z\":18446744073709551615}";
  cleanup_json yajl_val v = NULL;
  cleanup_free char *out = NULL;
  struct nr_placement p = { 0 };
  nr_error_t err = NULL;

  assert_int_equal (nr_json_parse (in, strlen (in), &v, &err), 0);
  nr_set_add (&p.nodes, 1);
  p.cpus = set_of ("4-7");
  assert_int_equal (nr_apply_placement (v, &p, &err), 0);
  out = nr_json_generate (v, NULL);
  assert_string_equal (out, "{\"ociVersion\":\"1.0.2\",\"process\":{\"env\":[\"PATH=/"
                            "bin\",\"X=1\",\"NUMA_NODE=1\",\"NUMA_MEMORY_NODES=1\"]},"
                            "\"linux\":{\"namespaces\":[{\"type\":\"pid\"}],\"resources\":{\"cpu\":"
                            "{\"cpus\":\"4-7\",\"mems\":\"1\"}}},\"z\":18446744073709551615}");
}

static void
apply_keeps_existing_cpu_fields_in_place (void **state)
{
  static const char *in =
      "{\"linux\":{\"resources\":{\"cpu\":{\"shares\":1024,\"cpus\":\"0\",\"quota\":50000}}}}";
  cleanup_json yajl_val v = NULL;
  cleanup_free char *out = NULL;
  struct nr_placement p = { 0 };

  assert_int_equal (nr_json_parse (in, strlen (in), &v, NULL), 0);
  nr_set_add (&p.nodes, 0);
  p.cpus = set_of ("0-3");
  assert_int_equal (nr_apply_placement (v, &p, NULL), 0);
  out = nr_json_generate (v, NULL);
  assert_string_equal (
      out, "{\"linux\":{\"resources\":{\"cpu\":{\"shares\":1024,\"cpus\":\"0-3\",\"quota\":50000,"
           "\"mems\":\"0\"}}},\"process\":{\"env\":[\"NUMA_NODE=0\",\"NUMA_MEMORY_NODES=0\"]}}");
}

static void
apply_refuses_wrong_types (void **state)
{
  static const char *const bad[] = { "{\"linux\":[]}", "{\"linux\":{\"resources\":1}}",
                                     "{\"process\":{\"env\":{}}}" };
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      cleanup_json yajl_val v = NULL;
      struct nr_placement p = { 0 };
      nr_error_t err = NULL;
      assert_int_equal (nr_json_parse (bad[i], strlen (bad[i]), &v, NULL), 0);
      assert_int_equal (nr_apply_placement (v, &p, &err), -1);
      assert_non_null (strstr (err->msg, "is not an"));
      nr_error_release (&err);
    }
}

static char *
nested (size_t depth)
{
  char *s = xmalloc (2 * depth + 1);
  memset (s, '[', depth);
  memset (s + depth, ']', depth);
  s[2 * depth] = '\0';
  return s;
}

/* Issue 12, item 1: yajl's generator stops at 128 levels and its tree
   recurses; deeper documents are refused at parse time, and what parses
   is written back whole.  */
static void
refuses_nesting_beyond_the_limit_and_writes_back_what_it_accepts (void **state)
{
  cleanup_free char *ok = nested (NR_JSON_MAX_DEPTH);
  cleanup_free char *deep = nested (NR_JSON_MAX_DEPTH + 1);
  cleanup_free char *huge = nested (1000000);
  cleanup_free char *out = NULL;
  cleanup_json yajl_val v = NULL;
  nr_error_t err = NULL;

  out = round_trip (ok);
  assert_string_equal (out, ok);
  assert_int_equal (nr_json_parse (deep, strlen (deep), &v, &err), -1);
  assert_non_null (strstr (err->msg, "nested deeper than 100 levels"));
  nr_error_release (&err);
  assert_int_equal (nr_json_parse (huge, strlen (huge), &v, &err), -1);
  nr_error_release (&err);
  /* Brackets in strings and comments do not count.  */
  {
    cleanup_free char *in_string = xasprintf ("{\"a\":\"%s\"}", deep);
    cleanup_free char *back = round_trip (in_string);
    assert_string_equal (back, in_string);
  }
}

/* Issue 12, item 6: lone surrogates are refused (yajl would write `?` or
   bytes that are not UTF-8); pairs keep working.  */
static void
refuses_lone_surrogates (void **state)
{
  static const char *const bad[] = { "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\uD83D x\"]",
                                     "[\"\\ud800\\u0041\"]", "[\"a\\udfff\"]" };
  cleanup_free char *pair = round_trip ("[\"\\ud83d\\ude00\\\\ud800\"]");

  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      cleanup_json yajl_val v = NULL;
      nr_error_t err = NULL;
      assert_int_equal (nr_json_parse (bad[i], strlen (bad[i]), &v, &err), -1);
      assert_non_null (strstr (err->msg, "lone UTF-16 surrogate"));
      nr_error_release (&err);
    }
  /* The pair as UTF-8; an escaped backslash before "ud800" is no escape.  */
  assert_string_equal (pair, "[\"\xf0\x9f\x98\x80\\\\ud800\"]");
}

/* Every yajl_gen status is checked: a tree deeper than the generator's
   limit (built by hand, the parser would refuse it) gives NULL, never a
   truncated document.  */
static void
generate_reports_what_yajl_refuses (void **state)
{
  cleanup_json yajl_val root = nr_json_new_array ();
  yajl_val v = root;

  for (int i = 0; i < 200; i++)
    {
      yajl_val child = nr_json_new_array ();
      nr_json_array_append (v, child);
      v = child;
    }
  assert_null (nr_json_generate (root, NULL));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (keeps_order_types_and_numbers),
    cmocka_unit_test (unicode_escapes_survive_as_the_same_characters),
    cmocka_unit_test (rejects_bad_json_with_one_line),
    cmocka_unit_test (rejects_embedded_nul),
    cmocka_unit_test (refuses_a_nul_escape_it_could_not_keep),
    cmocka_unit_test (apply_creates_objects_and_replaces_numa_node),
    cmocka_unit_test (apply_keeps_existing_cpu_fields_in_place),
    cmocka_unit_test (apply_refuses_wrong_types),
    cmocka_unit_test (refuses_nesting_beyond_the_limit_and_writes_back_what_it_accepts),
    cmocka_unit_test (refuses_lone_surrogates),
    cmocka_unit_test (generate_reports_what_yajl_refuses),
  };
  return cmocka_run_group_tests_name ("json", tests, NULL, NULL);
}
