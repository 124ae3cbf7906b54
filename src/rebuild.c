/* numa-runtime: rebuilding the ledger from runtime state.  See rebuild.h.  */
#include <config.h>

#include "rebuild.h"

#include "cgroup.h"
#include "request.h"
#include "resolve.h"
#include "spec.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* runc's state.json embeds the whole container config; keep a bound well
   above the spec's own.  */
#define STATE_MAX_SIZE (4 * NR_SPEC_MAX_SIZE)

/* The bundle path from runc's state: config.labels holds "bundle=<path>".
   Returns a pointer into STATE, or NULL.  */
static const char *
bundle_of (yajl_val state)
{
  yajl_val labels = nr_json_get (nr_json_get (state, "config"), "labels");

  if (labels == NULL || labels->type != yajl_t_array)
    return NULL;
  for (size_t i = 0; i < labels->u.array.len; i++)
    {
      const char *label = YAJL_GET_STRING (labels->u.array.values[i]);
      if (label && strncmp (label, "bundle=", 7) == 0 && label[7] == '/')
        return label + 7;
    }
  return NULL;
}

/* Nodes whose CPUs CPUS touches.  */
static void
nodes_of_cpus (const struct nr_topology *topo, const nr_set_t *cpus, nr_set_t *nodes)
{
  nr_set_clear (nodes);
  for (int i = 0; topo && i < topo->n_nodes; i++)
    if (nr_set_intersects (&topo->nodes[i].cpus, cpus))
      nr_set_add (nodes, topo->nodes[i].id);
}

/* Fill E (strings owned by E) for container ID from its spec.  Returns 1
   when the spec shows a placement, 0 when it shows none (a container
   numa-runtime left alone), -1 on error.  TAKEN is the union of the
   exclusive CPUs of the entries rebuilt so far.  */
static int
entry_from_spec (yajl_val spec, const char *id, const char *root, const struct nr_config *config,
                 const struct nr_topology *topo, const nr_set_t *taken, struct nr_ledger_entry *e,
                 nr_error_t *err)
{
  struct nr_request req;
  struct nr_resolved resolved;

  if (nr_request_from_spec (spec, id, &req, err) < 0)
    return -1;
  if (! req.has_cpus && ! req.has_mems)
    {
      nr_request_free (&req);
      return 0;
    }
  memset (e, 0, sizeof (*e));
  e->id = xstrdup (id);
  e->root = xstrdup (root);
  e->cgroup = nr_cgroup_spec_path (spec);
  e->cpus = req.cpus;
  if (req.has_mems)
    e->nodes = req.mems;
  else
    nodes_of_cpus (topo, &req.cpus, &e->nodes);
  if (! req.has_cpus && topo)
    nr_topology_cpus_of (topo, &e->nodes, &e->cpus);
  e->mems = e->nodes;
  /* Memory-only nodes in its mems: its CPUs' nodes are its nodes.  */
  for (int i = 0; topo && i < topo->n_nodes; i++)
    if (nr_set_is_empty (&topo->nodes[i].cpus) && nr_set_has (&e->nodes, topo->nodes[i].id))
      nr_set_remove (&e->nodes, topo->nodes[i].id);
  if (nr_set_is_empty (&e->nodes))
    e->nodes = e->mems;
  e->millicpus = req.millicpus;
  e->memory = req.memory;
  e->memory_local = e->memory * nr_set_count (&e->nodes) / nr_set_count (&e->mems);
  e->hugepages = req.hugepages;
  e->sandbox = req.sandbox;
  e->pod = steal_pointer (&req.pod);
  /* The spec does not say whether its CPUs were handed out exclusively.
     A container that qualified for exclusive CPUs (as create decides,
     nr_request_resolve) and whose CPU count equals their number almost
     certainly got them to itself; counting them as held can only make
     placement more careful, and CPUs already held by another entry are
     never counted twice.  */
  nr_request_resolve (&req, config, &resolved);
  e->exclusive_pod = resolved.exclusive_pod_cpus > 0;
  if (resolved.exclusive_cpus > 0 && nr_set_count (&e->cpus) == resolved.exclusive_cpus
      && ! nr_set_intersects (&e->cpus, taken))
    e->exclusive = e->cpus;
  e->load = req.millicpus > 0 ? req.millicpus : config->best_effort_millicpus;
  nr_request_free (&req);
  return 1;
}

/* Rebuild the entry of the container whose state directory is NAME.
   Returns 1 when an entry was added, 0 when there was nothing to add.  */
static int
rebuild_one (struct nr_ledger *l, const char *root, const char *name,
             const struct nr_config *config, const struct nr_topology *topo, nr_set_t *taken,
             nr_error_t *err)
{
  cleanup_free char *state_path = xasprintf ("%s/%s/state.json", root, name);
  cleanup_free char *text = NULL;
  cleanup_json yajl_val state = NULL;
  struct nr_spec spec = { 0 };
  struct nr_ledger_entry e;
  struct stat st;
  const char *id, *bundle;
  size_t len;
  int found;

  if (read_file (state_path, STATE_MAX_SIZE, &text, &len, err) < 0)
    {
      if ((*err)->status != ENOENT && (*err)->status != ENOTDIR)
        return -1;
      nr_error_release (err);
      return 0; /* not a container directory, or one being deleted */
    }
  if (nr_json_parse (text, len, &state, err) < 0)
    return -1;
  id = nr_json_get_string (state, "id");
  if (id == NULL || strcmp (id, name) != 0)
    id = name;
  if (nr_ledger_find (l, id, NULL, NULL) > 0)
    return 0;
  bundle = bundle_of (state);
  if (bundle == NULL)
    return nr_make_error (err, 0, "`%s` names no bundle", state_path);
  if (nr_spec_load (bundle, NULL, &spec, err) < 0)
    return -1;
  found = entry_from_spec (spec.root, id, root, config, topo, taken, &e, err);
  nr_spec_free (&spec);
  if (found <= 0)
    return found;
  /* Only a time for the entry, no open follows: its file's age.  */
  e.created = stat (state_path, &st) == 0 ? (int64_t) st.st_mtime : (int64_t) time (NULL);
  nr_set_union (taken, &e.exclusive);
  nr_ledger_add (l, &e);
  nr_ledger_entry_free (&e);
  return 1;
}

int
nr_rebuild_from_state (struct nr_ledger *l, const char *root, const struct nr_config *config,
                       const struct nr_topology *topo, size_t *added, nr_error_t *err)
{
  cleanup_dir DIR *dir = opendir (root);
  struct dirent *de;
  nr_set_t taken;
  size_t n = 0;

  if (added)
    *added = 0;
  if (dir == NULL && (errno == ENOENT || errno == ENOTDIR))
    return 0;
  if (dir == NULL)
    return nr_make_error (err, errno, "list the runtime state `%s`", root);

  /* Exclusive CPUs of entries still in the ledger (it may not be empty:
     the caller can rebuild into a ledger that survived).  */
  nr_set_clear (&taken);
  for (size_t i = 0; i < nr_ledger_count (l); i++)
    {
      struct nr_ledger_entry e;
      if (nr_ledger_entry_at (l, i, &e, NULL) == 0)
        {
          nr_set_union (&taken, &e.exclusive);
          nr_ledger_entry_free (&e);
        }
    }

  while ((errno = 0, de = readdir (dir)) != NULL)
    {
      nr_error_t one_err = NULL;
      int r;

      if (de->d_name[0] == '.')
        continue;
      r = rebuild_one (l, root, de->d_name, config, topo, &taken, &one_err);
      if (r < 0)
        {
          nr_warn ("rebuild the ledger entry of %s: %s", de->d_name, one_err->msg);
          nr_error_release (&one_err);
        }
      else if (r > 0)
        n++;
    }
  if (added)
    *added = n;
  return 0;
}

void
nr_rebuild_recover (struct nr_ledger *l, void *source)
{
  const struct nr_rebuild_source *src = source;
  const char *moved = nr_ledger_moved_aside (l);
  nr_error_t err = NULL;
  size_t added = 0;

  nr_log (NR_LOG_ERROR,
          "the ledger `%s` is unreadable: keeping it as `%s` (shards in `%s.d`) and rebuilding "
          "it from the containers under `%s`; entries of containers under other "
          "runtime roots are lost",
          src->config->ledger_path, moved, moved, src->root);
  if (nr_rebuild_from_state (l, src->root, src->config, src->topo, &added, &err) < 0)
    {
      nr_log (NR_LOG_ERROR, "rebuild the ledger: %s", err->msg);
      nr_error_release (&err);
    }
  nr_log (NR_LOG_WARNING, "rebuilt %zu ledger entries from `%s`", added, src->root);
}

int
nr_ledger_open_for (const struct nr_config *config, enum nr_ledger_use use, const char *state_root,
                    const struct nr_topology *topo, struct nr_ledger **out, nr_error_t *err)
{
  cleanup_free char *boot_id = nr_read_boot_id (config->proc_root);
  struct nr_ledger_recovery recovery = { 0 };

  *out = NULL;
  if (use == NR_LEDGER_READ && access (config->ledger_path, F_OK) < 0 && errno == ENOENT)
    return 0;
  if (use == NR_LEDGER_WRITE && state_root != NULL)
    {
      struct nr_rebuild_source *source = xmalloc0 (sizeof (*source));
      source->root = state_root;
      source->config = config;
      source->topo = topo;
      recovery = (struct nr_ledger_recovery){ .rebuild = nr_rebuild_recover,
                                              .data = source,
                                              .release = free };
    }
  return nr_ledger_open (config->ledger_path, boot_id, &recovery, out, err);
}
