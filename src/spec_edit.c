/* numa-runtime: the placement written into the container's spec — its
   cpuset, mems and NUMA_NODE (the memory policy is mempolicy.c's, the
   seccomp rule seccomp_edit.c's).  */
#include <config.h>

#include "spec_edit.h"
#include "util.h"

#include <string.h>

static int
set_env (yajl_val spec, const char *name, const char *value, nr_error_t *err)
{
  yajl_val process, env;
  size_t name_len = strlen (name);
  cleanup_free char *entry = xasprintf ("%s=%s", name, value);

  if (nr_json_ensure_object (spec, "process", "process", &process, err) < 0)
    return -1;
  env = nr_json_get (process, "env");
  if (env == NULL || env->type == yajl_t_null)
    {
      env = nr_json_new_array ();
      nr_json_set (process, "env", env);
    }
  if (env->type != yajl_t_array)
    return nr_make_error (err, 0, "`process.env` is not an array");
  for (size_t i = env->u.array.len; i > 0; i--)
    {
      yajl_val v = env->u.array.values[i - 1];
      if (v && v->type == yajl_t_string && strncmp (v->u.string, name, name_len) == 0
          && v->u.string[name_len] == '=')
        nr_json_array_remove (env, i - 1);
    }
  nr_json_array_append (env, nr_json_new_string (entry));
  return 0;
}

const char *
nr_spec_env (yajl_val spec, const char *name)
{
  static const char *const env_path[] = { "process", "env", NULL };
  yajl_val env = nr_json_get_path (spec, env_path);
  size_t len = strlen (name);

  if (env == NULL || env->type != yajl_t_array)
    return NULL;
  for (size_t i = env->u.array.len; i > 0; i--)
    {
      yajl_val v = env->u.array.values[i - 1];
      if (v && v->type == yajl_t_string && strncmp (v->u.string, name, len) == 0
          && v->u.string[len] == '=')
        return v->u.string + len + 1;
    }
  return NULL;
}

int
nr_apply_placement (yajl_val spec, const struct nr_placement *placement, nr_error_t *err)
{
  yajl_val linux_obj, resources, cpu;
  cleanup_free char *cpus = nr_set_format (&placement->cpus);
  cleanup_free char *nodes = nr_set_format (&placement->nodes);
  cleanup_free char *mems =
      nr_set_format (nr_set_is_empty (&placement->mems) ? &placement->nodes : &placement->mems);

  if (nr_json_ensure_object (spec, "linux", "linux", &linux_obj, err) < 0
      || nr_json_ensure_object (linux_obj, "resources", "linux.resources", &resources, err) < 0
      || nr_json_ensure_object (resources, "cpu", "linux.resources.cpu", &cpu, err) < 0)
    return -1;
  if (! placement->keep_cpus)
    nr_json_set (cpu, "cpus", nr_json_new_string (cpus));
  if (! placement->keep_mems)
    nr_json_set (cpu, "mems", nr_json_new_string (mems));
  /* NUMA_NODE: where its CPUs are; NUMA_MEMORY_NODES: every node its
     memory may use (the same unless memory tiers were added).  */
  if (set_env (spec, "NUMA_NODE", nodes, err) < 0)
    return -1;
  return set_env (spec, "NUMA_MEMORY_NODES", mems, err);
}
