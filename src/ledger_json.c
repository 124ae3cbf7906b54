/* numa-runtime: ledger entries to and from their one-line JSON form.  */
#include <config.h>

#include "ledger_internal.h"
#include "util.h"

#include <string.h>

void
nr_ledger_entry_gen_fields (yajl_gen g, const struct nr_ledger_entry *e, bool every_key)
{
  nr_json_gen_string (g, "id", e->id);
  nr_json_gen_set (g, "nodes", &e->nodes);
  nr_json_gen_set (g, "cpus", &e->cpus);
  nr_json_gen_set (g, "exclusive_cpus", &e->exclusive);
  nr_json_gen_int (g, "load", e->load);
  nr_json_gen_int (g, "millicpus", e->millicpus);
  nr_json_gen_int (g, "memory", e->memory);
  nr_json_gen_int (g, "hugepages", e->hugepages);
  /* Only an entry with memory-only nodes has these in the ledger: older
     readers see the lines they know.  */
  if (every_key || (! nr_set_is_empty (&e->mems) && ! nr_set_equal (&e->mems, &e->nodes)))
    {
      nr_json_gen_set (g, "mems", &e->mems);
      nr_json_gen_int (g, "memory_local", e->memory_local);
    }
  if (e->pod || every_key)
    nr_json_gen_string (g, "pod", e->pod);
  if (e->sandbox || every_key)
    nr_json_gen_bool (g, "sandbox", e->sandbox);
  if (e->kubelet_cpus || every_key)
    nr_json_gen_bool (g, "kubelet_cpus", e->kubelet_cpus);
  if (e->root || every_key)
    nr_json_gen_string (g, "root", e->root);
  nr_json_gen_int (g, "pid", e->creator_pid);
  nr_json_gen_int (g, "pid_start", (long long) e->creator_start);
  nr_json_gen_int (g, "created", e->created);
}

char *
ledger_entry_to_line (const struct nr_ledger_entry *e, size_t *len)
{
  yajl_gen g = yajl_gen_alloc (NULL);

  yajl_gen_map_open (g);
  nr_ledger_entry_gen_fields (g, e, false);
  yajl_gen_map_close (g);
  return nr_json_gen_finish (g, len);
}

long long
ledger_get_int (yajl_val obj, const char *key)
{
  yajl_val v = nr_json_get (obj, key);
  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
}

int
ledger_get_set (yajl_val obj, const char *key, nr_set_t *out, nr_error_t *err)
{
  const char *s = nr_json_get_string (obj, key);
  if (s == NULL)
    {
      nr_set_clear (out);
      return 0;
    }
  return nr_set_parse (s, out, err);
}

int
ledger_entry_from_json (yajl_val obj, struct nr_ledger_entry *e, nr_error_t *err)
{
  const char *id = nr_json_get_string (obj, "id");
  const char *s;

  memset (e, 0, sizeof (*e));
  if (obj == NULL || obj->type != yajl_t_object || id == NULL || *id == '\0')
    return nr_make_error (err, 0, "ledger entry without an id");
  if (ledger_get_set (obj, "nodes", &e->nodes, err) < 0
      || ledger_get_set (obj, "cpus", &e->cpus, err) < 0
      || ledger_get_set (obj, "exclusive_cpus", &e->exclusive, err) < 0
      || ledger_get_set (obj, "mems", &e->mems, err) < 0)
    return nr_error_wrap (err, "ledger entry `%s`", id);
  e->id = xstrdup (id);
  e->load = ledger_get_int (obj, "load");
  e->millicpus = ledger_get_int (obj, "millicpus");
  e->memory = ledger_get_int (obj, "memory");
  e->hugepages = ledger_get_int (obj, "hugepages");
  e->memory_local = ledger_get_int (obj, "memory_local");
  ledger_entry_default_mems (e);
  if ((s = nr_json_get_string (obj, "pod")))
    e->pod = xstrdup (s);
  e->sandbox = YAJL_IS_TRUE (nr_json_get (obj, "sandbox"));
  e->kubelet_cpus = YAJL_IS_TRUE (nr_json_get (obj, "kubelet_cpus"));
  if ((s = nr_json_get_string (obj, "root")))
    e->root = xstrdup (s);
  e->creator_pid = (int) ledger_get_int (obj, "pid");
  e->creator_start = (uint64_t) ledger_get_int (obj, "pid_start");
  e->created = ledger_get_int (obj, "created");
  return 0;
}

int
ledger_entry_from_text (const char *line, size_t len, struct nr_ledger_entry *e, nr_error_t *err)
{
  cleanup_json yajl_val obj = NULL;
  cleanup_free char *heap = NULL;
  char stack[1024];
  char *text = stack;

  /* The parser wants a NUL-terminated string; mapped lines have none.  */
  if (len >= sizeof (stack))
    text = heap = xmalloc (len + 1);
  memcpy (text, line, len);
  text[len] = '\0';
  memset (e, 0, sizeof (*e));
  if (nr_json_parse (text, len, &obj, err) < 0)
    return -1;
  return ledger_entry_from_json (obj, e, err);
}

void
nr_ledger_entry_free (struct nr_ledger_entry *e)
{
  free (e->id);
  free (e->pod);
  free (e->root);
  memset (e, 0, sizeof (*e));
}
