/* numa-runtime: kubelet's CPU and Memory Manager checkpoints.  See
   kubelet_state.h for the formats.  */
#include <config.h>

#include "kubelet_state.h"
#include "json.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HUGEPAGES_PREFIX "hugepages-"

/* ---- cpu_manager_state ------------------------------------------------ */

/* Add the CPU list V (WHERE names it) to CPUS.  */
static int
add_cpu_list (yajl_val v, const char *where, nr_set_t *cpus, nr_error_t *err)
{
  nr_set_t set;

  if (v == NULL || v->type != yajl_t_string)
    return nr_make_error (err, 0, "%s is not a CPU list", where);
  if (nr_set_parse (v->u.string, &set, err) < 0)
    return nr_error_wrap (err, "%s", where);
  nr_set_union (cpus, &set);
  return 0;
}

/* One member of "entries": v2 maps a pod's containers to their CPU lists,
   v1 a container id straight to its list.  */
static int
add_entry (yajl_val entry, nr_set_t *cpus, nr_error_t *err)
{
  if (entry && entry->type == yajl_t_string)
    return add_cpu_list (entry, "an entry", cpus, err);
  if (entry == NULL || entry->type != yajl_t_object)
    return nr_make_error (err, 0, "an entry is neither a CPU list nor an object of them");
  for (size_t i = 0; i < entry->u.object.len; i++)
    if (add_cpu_list (entry->u.object.values[i], "a container's entry", cpus, err) < 0)
      return -1;
  return 0;
}

int
nr_kubelet_parse_cpu_state (const char *text, size_t len, struct nr_kubelet_state *out,
                            nr_error_t *err)
{
  cleanup_json yajl_val root = NULL;
  const char *policy;
  yajl_val entries;

  out->cpu_static = false;
  nr_set_clear (&out->exclusive_cpus);
  if (nr_json_parse (text, len, &root, err) < 0)
    return -1;
  if (root->type != yajl_t_object || (policy = nr_json_get_string (root, "policyName")) == NULL)
    return nr_make_error (err, 0, "not a CPU Manager checkpoint (no policyName)");
  entries = nr_json_get (root, "entries");
  if (entries && entries->type != yajl_t_object && entries->type != yajl_t_null)
    return nr_make_error (err, 0, "`entries` is not an object");
  for (size_t i = 0; entries && entries->type == yajl_t_object && i < entries->u.object.len; i++)
    if (add_entry (entries->u.object.values[i], &out->exclusive_cpus, err) < 0)
      {
        nr_set_clear (&out->exclusive_cpus);
        return nr_error_wrap (err, "`entries`");
      }
  out->cpu_static = strcmp (policy, "static") == 0;
  return 0;
}

/* ---- memory_manager_state --------------------------------------------- */

/* A node id as machineState spells it: decimal digits, no leading zero,
   below NR_SET_MAX.  */
static int
parse_node_id (const char *key)
{
  int node = 0;

  if (*key == '\0' || (key[0] == '0' && key[1] != '\0'))
    return -1;
  for (const char *p = key; *p; p++)
    {
      if (*p < '0' || *p > '9')
        return -1;
      node = node * 10 + (*p - '0');
      if (node >= NR_SET_MAX)
        return -1;
    }
  return node;
}

/* Add TABLE's "reserved" (a byte count; absent: 0) to *SUM.  */
static int
add_reserved (yajl_val table, int64_t *sum, nr_error_t *err)
{
  yajl_val v;

  if (table == NULL || table->type != yajl_t_object)
    return nr_make_error (err, 0, "a memory table is not an object");
  v = nr_json_get (table, "reserved");
  if (v == NULL || v->type == yajl_t_null)
    return 0;
  if (! YAJL_IS_INTEGER (v) || YAJL_GET_INTEGER (v) < 0)
    return nr_make_error (err, 0, "`reserved` is not a byte count");
  if (__builtin_add_overflow (*sum, YAJL_GET_INTEGER (v), sum))
    return nr_make_error (err, 0, "`reserved` adds up beyond 2^63 bytes");
  return 0;
}

/* One node of machineState into R.  */
static int
read_node (const char *key, yajl_val state, struct nr_kubelet_reservation *r, nr_error_t *err)
{
  yajl_val map;

  memset (r, 0, sizeof (*r));
  r->node = parse_node_id (key);
  if (r->node < 0)
    return nr_make_error (err, 0, "a node of `machineState` is not a node id");
  if (state == NULL || state->type == yajl_t_null)
    return 0;
  if (state->type != yajl_t_object)
    return nr_make_error (err, 0, "node %d of `machineState` is not an object", r->node);
  map = nr_json_get (state, "memoryMap");
  if (map == NULL || map->type == yajl_t_null)
    return 0;
  if (map->type != yajl_t_object)
    return nr_make_error (err, 0, "node %d's `memoryMap` is not an object", r->node);
  for (size_t i = 0; i < map->u.object.len; i++)
    {
      const char *type = map->u.object.keys[i];
      int64_t *sum = strcmp (type, "memory") == 0 ? &r->memory
                     : strncmp (type, HUGEPAGES_PREFIX, sizeof (HUGEPAGES_PREFIX) - 1) == 0
                         ? &r->hugepages
                         : NULL;
      if (sum && add_reserved (map->u.object.values[i], sum, err) < 0)
        return nr_error_wrap (err, "node %d", r->node);
    }
  return 0;
}

static void
clear_memory (struct nr_kubelet_state *out)
{
  free (out->reserved);
  out->reserved = NULL;
  out->n_reserved = 0;
  out->memory_static = false;
}

int
nr_kubelet_parse_memory_state (const char *text, size_t len, struct nr_kubelet_state *out,
                               nr_error_t *err)
{
  cleanup_json yajl_val root = NULL;
  const char *policy;
  yajl_val machine;

  clear_memory (out);
  if (nr_json_parse (text, len, &root, err) < 0)
    return -1;
  if (root->type != yajl_t_object || (policy = nr_json_get_string (root, "policyName")) == NULL)
    return nr_make_error (err, 0, "not a Memory Manager checkpoint (no policyName)");
  machine = nr_json_get (root, "machineState");
  if (machine && machine->type != yajl_t_object && machine->type != yajl_t_null)
    return nr_make_error (err, 0, "`machineState` is not an object");
  if (machine && machine->type == yajl_t_object && machine->u.object.len > 0)
    {
      /* A node id has one spelling; a repeated one is read as Go's
         decoder reads it, the last one winning (nr_kubelet_reserved_on).  */
      out->reserved = xmalloc0 (machine->u.object.len * sizeof (*out->reserved));
      for (size_t i = 0; i < machine->u.object.len; i++)
        if (read_node (machine->u.object.keys[i], machine->u.object.values[i],
                       &out->reserved[out->n_reserved++], err)
            < 0)
          {
            clear_memory (out);
            return nr_error_wrap (err, "`machineState`");
          }
    }
  out->memory_static = strcmp (policy, "Static") == 0;
  return 0;
}

/* ---- reading them ----------------------------------------------------- */

/* Read ROOT/NAME into *TEXT.  False, having said why when it matters, when
   there is nothing to parse.  */
static bool
read_checkpoint (const char *root, const char *name, char **text, size_t *len)
{
  cleanup_free char *path = xasprintf ("%s/%s", root, name);
  cleanup_close int fd = open_regular (path, 0);
  nr_error_t err = NULL;
  struct stat st;

  if (fd < 0 && errno == ENOENT && stat (root, &st) < 0 && errno == ENOENT)
    {
      nr_debug ("no %s: kubelet does not run here", root);
      return false;
    }
  if (fd < 0)
    {
      nr_warn ("kubelet's %s: %s; what its static managers gave other pods is not known", path,
               strerror (errno));
      return false;
    }
  if (read_fd (fd, NR_KUBELET_STATE_MAX, path, text, len, &err) < 0)
    {
      nr_warn ("kubelet's checkpoint: %s; what its static managers gave other pods is not known",
               err->msg);
      nr_error_release (&err);
      return false;
    }
  return true;
}

/* Parse one checkpoint with PARSE, warning on garbage.  */
static void
read_one (const char *root, const char *name,
          int (*parse) (const char *, size_t, struct nr_kubelet_state *, nr_error_t *),
          struct nr_kubelet_state *out)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  nr_error_t err = NULL;

  if (! read_checkpoint (root, name, &text, &len))
    return;
  if (parse (text, len, out, &err) < 0)
    {
      nr_warn ("kubelet's %s/%s: %s; ignored", root, name, err->msg);
      nr_error_release (&err);
    }
}

void
nr_kubelet_state_read (const char *root, struct nr_kubelet_state *out)
{
  memset (out, 0, sizeof (*out));
  if (root == NULL)
    return;
  read_one (root, NR_KUBELET_CPU_STATE, nr_kubelet_parse_cpu_state, out);
  read_one (root, NR_KUBELET_MEMORY_STATE, nr_kubelet_parse_memory_state, out);
}

void
nr_kubelet_reserved_on (const struct nr_kubelet_state *state, int node, int64_t *memory,
                        int64_t *hugepages)
{
  *memory = *hugepages = 0;
  for (size_t i = 0; i < state->n_reserved; i++)
    if (state->reserved[i].node == node)
      {
        *memory = state->reserved[i].memory;
        *hugepages = state->reserved[i].hugepages;
      }
}

void
nr_kubelet_state_free (struct nr_kubelet_state *state)
{
  free (state->reserved);
  memset (state, 0, sizeof (*state));
}
