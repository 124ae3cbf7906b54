/* numa-runtime: a container's cgroup.  See cgroup.h.  */
#include <config.h>

#include "cgroup.h"

#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* /proc/PID/cgroup: one line per hierarchy; a v1 host has ~13.  */
#define PROC_CGROUP_MAX_SIZE (64 * 1024)

enum nr_cgroup_layout
nr_cgroup_layout (const char *root)
{
  cleanup_free char *v2 = xasprintf ("%s/cgroup.controllers", root);
  cleanup_free char *memory = xasprintf ("%s/memory", root);
  cleanup_free char *cpuset = xasprintf ("%s/cpuset", root);

  if (access (v2, F_OK) == 0)
    return NR_CGROUP_V2;
  if (access (memory, F_OK) == 0 || access (cpuset, F_OK) == 0)
    return NR_CGROUP_V1;
  return NR_CGROUP_UNKNOWN;
}

char *
nr_cgroup_spec_path (yajl_val spec)
{
  const char *path = nr_json_get_string (nr_json_get (spec, "linux"), "cgroupsPath");

  if (path == NULL || *path == '\0' || strlen (path) >= NR_CGROUP_PATH_MAX)
    return NULL;
  return xstrdup (path);
}

static bool
ends_with (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);
  return n >= m && strcmp (s + n - m, suffix) == 0;
}

/* A systemd unit name part: no '/', not "." or "..", not empty.  */
static bool
unit_name_ok (const char *s, size_t len)
{
  return len > 0 && memchr (s, '/', len) == NULL && ! (len == 1 && s[0] == '.')
         && ! (len == 2 && s[0] == '.' && s[1] == '.');
}

/* systemd's path of SLICE ("a-b.slice" -> "/a.slice/a-b.slice"): each
   dash ends a parent.  "" is system.slice (runc's and crun's default),
   "-.slice" the root.  NULL when SLICE is no slice name.  */
static char *
slice_path (const char *slice, size_t len)
{
  cleanup_free char *name = len ? xstrndup (slice, len) : xstrdup ("system.slice");
  size_t base_len, out_len = 0;
  char *out;

  if (strcmp (name, "-.slice") == 0)
    return xstrdup ("");
  if (! ends_with (name, ".slice") || ! unit_name_ok (name, strlen (name)))
    return NULL;
  base_len = strlen (name) - strlen (".slice");
  if (base_len == 0 || name[0] == '-' || name[base_len - 1] == '-' || strstr (name, "--"))
    return NULL;
  /* Each prefix up to a dash, and the whole: at most (base_len + 1)
     parents of at most len + 1 bytes each.  */
  out = xmalloc ((base_len + 1) * (strlen (name) + 2) + 1);
  for (size_t i = 0; i <= base_len; i++)
    if (i == base_len || name[i] == '-')
      out_len += (size_t) sprintf (out + out_len, "/%.*s.slice", (int) i, name);
  return out;
}

char *
nr_cgroup_from_spec (const char *cgroups_path)
{
  const char *c1, *c2;
  cleanup_free char *parent = NULL;

  if (cgroups_path == NULL || *cgroups_path == '\0')
    return NULL;
  if (cgroups_path[0] == '/')
    return strstr (cgroups_path, "/../") || ends_with (cgroups_path, "/..")
               ? NULL
               : xstrdup (cgroups_path);
  c1 = strchr (cgroups_path, ':');
  c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  if (c2 == NULL || strchr (c2 + 1, ':') || ! unit_name_ok (c2 + 1, strlen (c2 + 1))
      || memchr (c1 + 1, '/', (size_t) (c2 - c1 - 1)))
    return NULL;
  parent = slice_path (cgroups_path, (size_t) (c1 - cgroups_path));
  if (parent == NULL)
    return NULL;
  /* The unit: a slice is its own cgroup under the parent, anything else
     the scope "<prefix>-<name>.scope" (runc; crun leaves out an empty
     prefix's dash).  */
  if (ends_with (c2 + 1, ".slice"))
    return xasprintf ("%s/%s", parent, c2 + 1);
  if (c2 == c1 + 1)
    return xasprintf ("%s/%s.scope", parent, c2 + 1);
  return xasprintf ("%s/%.*s-%s.scope", parent, (int) (c2 - c1 - 1), c1 + 1, c2 + 1);
}

/* Does the v1 controller list LIST (LEN bytes, "cpu,cpuacct") hold NAME?  */
static bool
list_has (const char *list, size_t len, const char *name)
{
  size_t n = strlen (name);

  for (const char *p = list; p < list + len;)
    {
      const char *comma = memchr (p, ',', (size_t) (list + len - p));
      size_t item = comma ? (size_t) (comma - p) : (size_t) (list + len - p);
      if (item == n && memcmp (p, name, n) == 0)
        return true;
      p += item + 1;
    }
  return false;
}

char *
nr_cgroup_of_pid (const char *proc_root, int pid, enum nr_cgroup_layout layout,
                  const char *controller)
{
  cleanup_free char *path = xasprintf ("%s/%d/cgroup", proc_root, pid);
  cleanup_free char *text = NULL;
  size_t len;

  if (pid <= 0 || read_file (path, PROC_CGROUP_MAX_SIZE, &text, &len, NULL) < 0)
    return NULL;
  /* "<id>:<controllers>:<path>" a line; v2's is "0::<path>".  */
  for (char *line = text, *next; line && *line; line = next)
    {
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      char *nl = strchr (line, '\n');

      next = nl ? nl + 1 : NULL;
      if (nl)
        *nl = '\0';
      if (c2 == NULL || c2[1] != '/')
        continue;
      if (layout == NR_CGROUP_V2 ? c2 == c1 + 1 && strncmp (line, "0:", 2) == 0
                                 : list_has (c1 + 1, (size_t) (c2 - c1 - 1), controller))
        return xstrdup (c2 + 1);
    }
  return NULL;
}

char *
nr_cgroup_dir (const char *root, enum nr_cgroup_layout layout, const char *controller,
               const char *rel)
{
  if (layout == NR_CGROUP_V1)
    return xasprintf ("%s/%s%s", root, controller, rel);
  return xasprintf ("%s%s", root, rel);
}

int
nr_cgroup_read (const char *dir, const char *file, size_t max_size, char **text, size_t *len,
                nr_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);

  return read_file (path, max_size, text, len, err);
}
