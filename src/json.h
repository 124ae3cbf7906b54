/* numa-runtime: small helpers over yajl's tree, for reading and editing
   JSON documents we do not own (config.json) without losing anything:
   key order, duplicate keys and the exact text of every number are kept.  */
#ifndef NR_JSON_H
#define NR_JSON_H

#include "cpuset.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

void cleanup_json_freep (yajl_val *v);
#define cleanup_json __attribute__ ((cleanup (cleanup_json_freep)))

/* Deepest nesting accepted in any JSON we read (config.json, the
   ledger, state, --resources): below yajl's generator limit of 128 with
   room for the members we add.  */
#define NR_JSON_MAX_DEPTH 100

/* Parse TEXT (LEN bytes, NUL-terminated).  Refuses nesting deeper than
   NR_JSON_MAX_DEPTH, \u0000 and lone UTF-16 surrogates in strings.  The caller frees the tree with
   yajl_tree_free.  */
int nr_json_parse (const char *text, size_t len, yajl_val *out, nr_error_t *err);

/* Serialise V compactly; the caller frees the result.  NULL when yajl's
   generator refuses (too deep, out of memory): every status is checked.  */
char *nr_json_generate (yajl_val v, size_t *len);

/* Member KEY of object OBJ (the last one when the key repeats, as Go's
   decoder sees it), or NULL.  */
yajl_val nr_json_get (yajl_val obj, const char *key);

/* The first key of object OBJ that occurs more than once, or NULL (also
   when OBJ is no object).  Quadratic: for objects of a few dozen members.  */
const char *nr_json_repeated_key (yajl_val obj);

/* Follow a NULL-terminated path of member names, NULL when any is absent.  */
yajl_val nr_json_get_path (yajl_val v, const char *const *path);

/* The string value of member KEY, or NULL when absent or not a string.  */
const char *nr_json_get_string (yajl_val obj, const char *key);

/* Set member KEY of OBJ to VALUE (taking ownership), replacing the old
   value in place so the key keeps its position, else appending.  */
void nr_json_set (yajl_val obj, const char *key, yajl_val value);

/* Member KEY of OBJ as an object, created (or replacing a null) when
   absent.  Fails when the member exists with another type.  */
int nr_json_ensure_object (yajl_val obj, const char *key, const char *where, yajl_val *out,
                           nr_error_t *err);

/* Remove member KEY from OBJ (every occurrence).  */
void nr_json_remove (yajl_val obj, const char *key);

yajl_val nr_json_new_object (void);
yajl_val nr_json_new_array (void);
yajl_val nr_json_new_string (const char *s);

/* Append VALUE (owned) to array ARR.  */
void nr_json_array_append (yajl_val arr, yajl_val value);
/* Remove element INDEX of ARR, freeing it.  */
void nr_json_array_remove (yajl_val arr, size_t index);

/* Writing object members with yajl's generator: KEY then the value (a
   NULL string is written as null, a set in list form).  */
void nr_json_gen_key (yajl_gen g, const char *key);
void nr_json_gen_string (yajl_gen g, const char *key, const char *value);
void nr_json_gen_set (yajl_gen g, const char *key, const nr_set_t *set);
void nr_json_gen_int (yajl_gen g, const char *key, long long value);
void nr_json_gen_bool (yajl_gen g, const char *key, bool value);
/* The generator's output as a string the caller frees; frees G.  */
char *nr_json_gen_finish (yajl_gen g, size_t *len);

#endif
