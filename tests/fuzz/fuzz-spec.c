/* config.json: load -> placement edits -> save.  Property: what we would
   save parses, holds our edits, and with them taken out again equals the
   input.  */
#include "fuzz.h"

#include "spec_edit.h"
#include "json.h"
#include "spec.h"
#include "util.h"

static const char *const cpu_path[] = { "linux", "resources", "cpu", NULL };
static const char *const env_path[] = { "process", "env", NULL };

/* Drop member KEY of OBJ when it is null or empty (an object or array our
   edits may have created).  */
static void
prune (yajl_val obj, const char *key)
{
  yajl_val v;

  if (obj == NULL || obj->type != yajl_t_object || (v = nr_json_get (obj, key)) == NULL)
    return;
  if (v->type == yajl_t_null || (v->type == yajl_t_object && v->u.object.len == 0)
      || (v->type == yajl_t_array && v->u.array.len == 0))
    nr_json_remove (obj, key);
}

/* Take out everything nr_apply_placement writes.  */
static void
strip_edits (yajl_val root)
{
  yajl_val cpu = nr_json_get_path (root, cpu_path);
  yajl_val env = nr_json_get_path (root, env_path);
  yajl_val linux_obj = nr_json_get (root, "linux");
  yajl_val process = nr_json_get (root, "process");

  if (cpu && cpu->type == yajl_t_object)
    {
      nr_json_remove (cpu, "cpus");
      nr_json_remove (cpu, "mems");
    }
  if (env && env->type == yajl_t_array)
    for (size_t i = env->u.array.len; i > 0; i--)
      {
        yajl_val e = env->u.array.values[i - 1];
        if (e && e->type == yajl_t_string
            && (strncmp (e->u.string, "NUMA_NODE=", 10) == 0
                || strncmp (e->u.string, "NUMA_MEMORY_NODES=", 18) == 0))
          nr_json_array_remove (env, i - 1);
      }
  prune (nr_json_get (linux_obj, "resources"), "cpu");
  prune (linux_obj, "resources");
  prune (root, "linux");
  prune (process, "env");
  prune (root, "process");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *text = fuzz_text (data, size);
  cleanup_free char *before = NULL, *after = NULL, *edited = NULL, *stripped = NULL;
  cleanup_json yajl_val root = NULL, again = NULL;
  struct nr_placement p = { 0 };
  nr_error_t err = NULL;
  size_t len;
  yajl_val cpu, env;
  bool has_env = false;

  fuzz_quiet ();
  if (nr_json_parse (text, size, &root, &err) < 0 || root->type != yajl_t_object
      || nr_spec_check_limits (root, NULL, &err) < 0)
    {
      nr_error_release (&err);
      return 0;
    }
  before = nr_json_generate (root, &len);
  FUZZ_CHECK (before != NULL, "a document we parsed cannot be written back");

  nr_set_add (&p.nodes, 1);
  nr_set_add (&p.cpus, 2);
  nr_set_add (&p.cpus, 3);
  if (nr_apply_placement (root, &p, &err) < 0)
    {
      /* Refused (a member of the wrong type): nothing is written.  */
      nr_error_release (&err);
      return 0;
    }
  edited = nr_json_generate (root, &len);
  FUZZ_CHECK (edited != NULL, "the edited document cannot be written");
  FUZZ_CHECK (strlen (edited) == len, "the edited document holds a NUL");
  FUZZ_CHECK (nr_json_parse (edited, len, &again, &err) == 0, "what we save does not parse: %s",
              err ? err->msg : "");

  cpu = nr_json_get_path (again, cpu_path);
  FUZZ_CHECK (cpu && nr_json_get_string (cpu, "cpus")
                  && strcmp (nr_json_get_string (cpu, "cpus"), "2-3") == 0,
              "cpus not written");
  FUZZ_CHECK (strcmp (nr_json_get_string (cpu, "mems"), "1") == 0, "mems not written");
  env = nr_json_get_path (again, env_path);
  for (size_t i = 0; env && env->type == yajl_t_array && i < env->u.array.len; i++)
    has_env |= YAJL_IS_STRING (env->u.array.values[i])
               && strcmp (env->u.array.values[i]->u.string, "NUMA_NODE=1") == 0;
  FUZZ_CHECK (has_env, "NUMA_NODE not in process.env");

  /* Our edits out of both: the rest must be the input, byte for byte as
     the generator writes it.  */
  yajl_tree_free (root);
  root = NULL;
  FUZZ_CHECK (nr_json_parse (before, strlen (before), &root, NULL) == 0, "input did not reparse");
  strip_edits (root);
  strip_edits (again);
  stripped = nr_json_generate (root, NULL);
  after = nr_json_generate (again, NULL);
  FUZZ_CHECK (stripped && after && strcmp (stripped, after) == 0,
              "the saved document differs from the input beyond our edits:\n%s\n%s", stripped,
              after);
  return 0;
}
