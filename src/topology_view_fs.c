/* numa-runtime: the topology view on disk and in config.json — the host
   facts it needs, the generated tree under the ledger's directory, its
   mounts, and its removal (see topology_view.h).  */
#include <config.h>

#include "topology_view.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <ctype.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The tree is node/, node/nodeN/ and files: deeper is not ours.  */
#define TREE_MAX_DEPTH 4

/* The kernel's live per-node files, bind-mounted over the tree.  */
static const char *const live_files[] = { "meminfo", "numastat" };

static const char *const mount_options[] = { "bind", "ro", "nosuid", "nodev", "noexec" };

/* SET from the list in SYSFS_ROOT/devices/system/node/NAME; false when
   unreadable or not a list.  */
static bool
read_node_list (const char *sysfs_root, const char *name, nr_set_t *set)
{
  cleanup_free char *path = xasprintf ("%s/devices/system/node/%s", sysfs_root, name);
  char buf[4096];

  return read_small_file (path, buf, sizeof (buf)) == 0 && nr_set_parse (buf, set, NULL) == 0;
}

static int
highest (const nr_set_t *set)
{
  int last = -1;

  for (int bit = nr_set_next (set, 0); bit >= 0; bit = nr_set_next (set, bit + 1))
    last = bit;
  return last;
}

void
nr_view_host_read (const char *sysfs_root, const struct nr_topology *topo,
                   struct nr_view_host *host)
{
  cleanup_free char *possible_path = xasprintf ("%s/devices/system/cpu/possible", sysfs_root);
  char buf[4096];
  nr_set_t possible;

  if (! read_node_list (sysfs_root, "has_memory", &host->has_memory))
    {
      nr_set_clear (&host->has_memory);
      for (int i = 0; i < topo->n_nodes; i++)
        if (topo->nodes[i].memory_total > 0)
          nr_set_add (&host->has_memory, topo->nodes[i].id);
    }
  if (! read_node_list (sysfs_root, "has_normal_memory", &host->has_normal_memory))
    host->has_normal_memory = host->has_memory;
  /* A cpumap is nr_cpu_ids bits wide: the highest possible CPU, plus one.  */
  if (read_small_file (possible_path, buf, sizeof (buf)) < 0
      || nr_set_parse (buf, &possible, NULL) < 0 || nr_set_is_empty (&possible))
    possible = topo->online_cpus;
  host->cpu_bits = highest (&possible) + 1;
}

static char *
views_root (const struct nr_config *config)
{
  cleanup_free char *dir = nr_path_dir (config->ledger_path);
  return xasprintf ("%s/%s", dir, NR_VIEW_DIR_NAME);
}

/* Remove NAME under DFD: a file, or a directory and what it holds down
   to DEPTH levels.  Symbolic links are removed, never followed.  */
static int
remove_at (int dfd, const char *name, int depth)
{
  cleanup_close int fd = -1;
  DIR *dir;
  struct dirent *de;

  if (unlinkat (dfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return -1;
  if (depth <= 0)
    return -1;
  fd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  dir = fdopendir (fd);
  if (dir == NULL)
    return -1;
  fd = -1; /* the DIR owns it now */
  while ((de = readdir (dir)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      remove_at (dirfd (dir), de->d_name, depth - 1);
  closedir (dir);
  return unlinkat (dfd, name, AT_REMOVEDIR);
}

/* ID names a tree directly under the views' directory: create checked
   it against runc's charset, but delete hands on whatever argv said.  */
static bool
is_tree_name (const char *id)
{
  return *id != '\0' && strchr (id, '/') == NULL && strcmp (id, ".") != 0 && strcmp (id, "..") != 0;
}

static void
remove_tree (const char *root, const char *id)
{
  cleanup_close int dfd = -1;

  if (! is_tree_name (id))
    return;
  dfd = open (root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return;
  if (faccessat (dfd, id, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
    return;
  if (remove_at (dfd, id, TREE_MAX_DEPTH) < 0)
    nr_warn ("remove the topology view `%s/%s`: %s", root, id, strerror (errno));
  else
    nr_debug ("container %s: topology view `%s/%s` removed", id, root, id);
}

void
nr_view_remove (const struct nr_config *config, const char *id)
{
  cleanup_free char *root = views_root (config);
  remove_tree (root, id);
}

size_t
nr_view_sweep (const struct nr_config *config, struct nr_ledger *ledger)
{
  cleanup_free char *root = views_root (config);
  cleanup_dir DIR *dir = opendir (root);
  struct dirent *de;
  size_t removed = 0;

  if (dir == NULL)
    return 0;
  while ((de = readdir (dir)) != NULL)
    {
      struct nr_ledger_entry entry;

      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (nr_ledger_find (ledger, de->d_name, &entry, NULL) > 0)
        {
          nr_ledger_entry_free (&entry);
          continue;
        }
      if (remove_at (dirfd (dir), de->d_name, TREE_MAX_DEPTH) == 0)
        removed++;
    }
  return removed;
}

static int
write_text (const char *path, const char *text, nr_error_t *err)
{
  cleanup_close int fd =
      open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t) 0444);

  if (fd < 0 || write_all (fd, text, strlen (text)) < 0)
    return nr_make_error (err, errno, "write `%s`", path);
  return 0;
}

static yajl_val
new_bind_mount (const char *destination, const char *source)
{
  yajl_val mount = nr_json_new_object ();
  yajl_val options = nr_json_new_array ();

  for (size_t i = 0; i < NR_N_ELEMENTS (mount_options); i++)
    nr_json_array_append (options, nr_json_new_string (mount_options[i]));
  nr_json_set (mount, "destination", nr_json_new_string (destination));
  nr_json_set (mount, "type", nr_json_new_string ("bind"));
  nr_json_set (mount, "source", nr_json_new_string (source));
  nr_json_set (mount, "options", options);
  return mount;
}

/* Write TREE at DIR (node/ inside it), each node's live files as empty
   mount points, and append the mounts to MOUNTS.  */
static int
write_tree (const char *dir, const struct nr_view_tree *tree, const char *sysfs_root,
            yajl_val mounts, nr_error_t *err)
{
  cleanup_free char *top = xasprintf ("%s/node", dir);

  if (mkdir (dir, 0755) < 0 || mkdir (top, 0755) < 0)
    return nr_make_error (err, errno, "create `%s`", top);
  for (int id = nr_set_next (&tree->nodes, 0); id >= 0; id = nr_set_next (&tree->nodes, id + 1))
    {
      cleanup_free char *node_dir = xasprintf ("%s/node%d", top, id);
      if (mkdir (node_dir, 0755) < 0)
        return nr_make_error (err, errno, "create `%s`", node_dir);
    }
  for (size_t i = 0; i < tree->n_files; i++)
    {
      cleanup_free char *path = xasprintf ("%s/%s", top, tree->files[i].path);
      if (write_text (path, tree->files[i].text, err) < 0)
        return -1;
    }
  nr_json_array_append (mounts, new_bind_mount (NR_VIEW_MOUNT_POINT, top));
  for (int id = nr_set_next (&tree->nodes, 0); id >= 0; id = nr_set_next (&tree->nodes, id + 1))
    for (size_t f = 0; f < NR_N_ELEMENTS (live_files); f++)
      {
        cleanup_free char *live =
            xasprintf ("%s/devices/system/node/node%d/%s", sysfs_root, id, live_files[f]);
        cleanup_free char *point = xasprintf ("%s/node%d/%s", top, id, live_files[f]);
        cleanup_free char *inside =
            xasprintf ("%s/node%d/%s", NR_VIEW_MOUNT_POINT, id, live_files[f]);

        if (access (live, R_OK) < 0)
          continue; /* an older kernel, or a fixture without it */
        if (write_text (point, "", err) < 0)
          return -1;
        nr_json_array_append (mounts, new_bind_mount (inside, live));
      }
  return 0;
}

/* SPEC's mounts into *MOUNTS (NULL when it has none), and whether one
   of them is at /sys.  -1 with *ERR set when `mounts` is not an array.  */
static int
spec_mounts (yajl_val spec, yajl_val *mounts, bool *has_sys, nr_error_t *err)
{
  *mounts = nr_json_get (spec, "mounts");
  *has_sys = false;
  if (*mounts == NULL || (*mounts)->type == yajl_t_null)
    {
      *mounts = NULL;
      return 0;
    }
  if ((*mounts)->type != yajl_t_array)
    return nr_make_error (err, 0, "`mounts` is not an array");
  for (size_t i = 0; i < (*mounts)->u.array.len; i++)
    {
      yajl_val m = (*mounts)->u.array.values[i];
      const char *dest =
          m && m->type == yajl_t_object ? nr_json_get_string (m, "destination") : NULL;
      if (dest && (strcmp (dest, "/sys") == 0 || strcmp (dest, "/sys/") == 0))
        *has_sys = true;
    }
  return 0;
}

/* The set in SPEC's linux.resources.cpu.KEY, else FALLBACK.  */
static nr_set_t
spec_set (yajl_val spec, const char *key, const nr_set_t *fallback)
{
  const char *const path[] = { "linux", "resources", "cpu", key, NULL };
  yajl_val v = nr_json_get_path (spec, path);
  nr_set_t set;

  if (v && v->type == yajl_t_string && nr_set_parse (v->u.string, &set, NULL) == 0
      && ! nr_set_is_empty (&set))
    return set;
  return *fallback;
}

int
nr_view_add (yajl_val spec, const struct nr_config *config, const char *id,
             const struct nr_topology *topo, nr_error_t *err)
{
  cleanup_free char *root = views_root (config);
  cleanup_free char *dir = xasprintf ("%s/%s", root, id);
  struct nr_view_tree tree;
  struct nr_view_host host;
  nr_set_t all_nodes, cpus, nodes;
  bool has_sys;
  yajl_val mounts;
  size_t mounts_before;

  if (! is_tree_name (id))
    return nr_make_error (err, 0, "topology view: container id `%s` cannot name a directory", id);
  if (spec_mounts (spec, &mounts, &has_sys, err) < 0)
    return nr_error_wrap (err, "topology view");
  if (! has_sys)
    {
      nr_warn ("container %s: no mount at /sys, so no topology view", id);
      return 0;
    }
  nr_set_clear (&all_nodes);
  for (int i = 0; i < topo->n_nodes; i++)
    nr_set_add (&all_nodes, topo->nodes[i].id);
  cpus = spec_set (spec, "cpus", &topo->online_cpus);
  nodes = spec_set (spec, "mems", &all_nodes);
  nr_view_host_read (config->sysfs_root, topo, &host);
  if (nr_view_render (topo, &host, &nodes, &cpus, &tree, err) < 0)
    return -1;
  if (mkdir_parents (root, 0755, err) < 0)
    {
      nr_view_tree_free (&tree);
      return nr_error_wrap (err, "topology view");
    }
  remove_tree (root, id); /* a leftover of an earlier container of that id */
  mounts_before = mounts->u.array.len;
  if (write_tree (dir, &tree, config->sysfs_root, mounts, err) < 0)
    {
      while (mounts->u.array.len > mounts_before)
        nr_json_array_remove (mounts, mounts->u.array.len - 1);
      remove_tree (root, id);
      nr_view_tree_free (&tree);
      return nr_error_wrap (err, "topology view");
    }
  {
    cleanup_free char *listed = nr_set_format (&tree.nodes);
    nr_debug ("container %s: topology view of node(s) %s at `%s`", id, listed, dir);
  }
  nr_view_tree_free (&tree);
  return 1;
}

/* TEXT at PATH in place of what is there: a reader inside the container
   sees the old file or the new one, never a part.  */
static int
replace_text (const char *path, const char *text, nr_error_t *err)
{
  cleanup_free char *tmp = xasprintf ("%s.new", path);

  unlink (tmp);
  if (write_text (tmp, text, err) < 0)
    return -1;
  if (rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return nr_make_error (err, saved, "replace `%s`", path);
    }
  return 0;
}

/* A node's meminfo or numastat is a few hundred bytes.  */
#define LIVE_COPY_MAX (64 * 1024)

/* A node the container gained: its directory, and a copy of the host's
   live files taken now (the mounts of live files are made at create, in
   the container's own mount namespace).  */
static int
add_node_dir (const char *top, int id, const char *sysfs_root, nr_error_t *err)
{
  cleanup_free char *node_dir = xasprintf ("%s/node%d", top, id);

  if (mkdir (node_dir, 0755) < 0)
    return errno == EEXIST ? 0 : nr_make_error (err, errno, "create `%s`", node_dir);
  for (size_t f = 0; f < NR_N_ELEMENTS (live_files); f++)
    {
      cleanup_free char *live =
          xasprintf ("%s/devices/system/node/node%d/%s", sysfs_root, id, live_files[f]);
      cleanup_free char *copy = xasprintf ("%s/%s", node_dir, live_files[f]);
      cleanup_free char *text = NULL;
      size_t len;

      if (read_file (live, LIVE_COPY_MAX, &text, &len, NULL) < 0)
        continue;
      if (write_text (copy, text, err) < 0)
        return -1;
    }
  return 0;
}

/* Remove TOP's node directories of nodes not in NODES.  */
static void
drop_node_dirs (const char *top, const nr_set_t *nodes)
{
  cleanup_dir DIR *dir = opendir (top);
  struct dirent *de;

  if (dir == NULL)
    return;
  while ((de = readdir (dir)) != NULL)
    {
      char *end;
      long id;

      if (strncmp (de->d_name, "node", 4) != 0 || ! isdigit ((unsigned char) de->d_name[4]))
        continue;
      id = strtol (de->d_name + 4, &end, 10);
      if (*end == '\0' && id >= 0 && id < NR_SET_MAX && ! nr_set_has (nodes, (int) id)
          && remove_at (dirfd (dir), de->d_name, 2) < 0)
        nr_warn ("remove `%s/%s`: %s", top, de->d_name, strerror (errno));
    }
}

int
nr_view_refresh (const struct nr_config *config, const char *id, const struct nr_topology *topo,
                 const nr_set_t *nodes, const nr_set_t *cpus, nr_error_t *err)
{
  cleanup_free char *root = views_root (config);
  cleanup_free char *top = NULL;
  struct nr_view_tree tree;
  struct nr_view_host host;
  struct stat st;
  int r = 1;

  if (! is_tree_name (id))
    return 0;
  top = xasprintf ("%s/%s/node", root, id);
  if (lstat (top, &st) < 0 || ! S_ISDIR (st.st_mode))
    return 0;
  nr_view_host_read (config->sysfs_root, topo, &host);
  if (nr_view_render (topo, &host, nodes, cpus, &tree, err) < 0)
    return -1;
  drop_node_dirs (top, &tree.nodes);
  for (int n = nr_set_next (&tree.nodes, 0); n >= 0 && r > 0; n = nr_set_next (&tree.nodes, n + 1))
    if (add_node_dir (top, n, config->sysfs_root, err) < 0)
      r = -1;
  for (size_t i = 0; i < tree.n_files && r > 0; i++)
    {
      cleanup_free char *path = xasprintf ("%s/%s", top, tree.files[i].path);
      if (replace_text (path, tree.files[i].text, err) < 0)
        r = -1;
    }
  nr_view_tree_free (&tree);
  return r < 0 ? nr_error_wrap (err, "topology view") : 1;
}
