/* numa-runtime: reading sysfs without leaving it (locality_walk.h): the
   root, links resolved inside it, directory lists, a device's numa_node.
   Below every other locality_*.c file; it calls none of them.  */
#include <config.h>

#include "locality_walk.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void
nr_dir_list_free (struct nr_dir_list *list)
{
  for (int i = 0; i < list->n; i++)
    free (list->entries[i]);
  free (list->entries);
  list->entries = NULL;
  list->n = 0;
}

static int
not_dot (const struct dirent *de)
{
  return de->d_name[0] != '.';
}

/* In name order, so that what we report does not depend on the order the
   kernel created the entries.  */
int
nr_sysfs_list_dir (const char *path, int max, struct nr_dir_list *out, nr_error_t *err)
{
  out->entries = NULL;
  out->n = scandir (path, &out->entries, not_dot, alphasort);
  if (out->n < 0)
    {
      out->n = 0;
      out->entries = NULL;
      if (errno == ENOENT || errno == ENOTDIR)
        return 0;
      return nr_make_error (err, errno, "read directory `%s`", path);
    }
  if (out->n > max)
    {
      nr_warn ("`%s`: %d entries, only the first %d read", path, out->n, max);
      for (int i = max; i < out->n; i++)
        free (out->entries[i]);
      out->n = max;
    }
  return 0;
}

int
nr_sysfs_open (struct nr_sysfs *sysfs, const char *sysfs_root, const char *proc_root,
               nr_error_t *err)
{
  char *root = realpath (sysfs_root, NULL);

  memset (sysfs, 0, sizeof (*sysfs));
  if (root == NULL)
    return nr_make_error (err, errno, "sysfs root `%s`", sysfs_root);
  sysfs->root = root;
  /* "/" as root: every absolute path is inside, and the prefix is empty.  */
  sysfs->root_len = strcmp (root, "/") == 0 ? 0 : strlen (root);
  sysfs->proc_root = proc_root;
  return 0;
}

void
nr_sysfs_close (struct nr_sysfs *sysfs)
{
  free (sysfs->root);
  memset (sysfs, 0, sizeof (*sysfs));
}

void
nr_reached_free (struct nr_reached_list *list)
{
  for (size_t i = 0; i < list->n; i++)
    free (list->items[i].via);
  free (list->items);
  memset (list, 0, sizeof (*list));
}

static bool
inside_root (const struct nr_sysfs *sysfs, const char *real)
{
  return strncmp (real, sysfs->root, sysfs->root_len) == 0
         && (real[sysfs->root_len] == '/' || real[sysfs->root_len] == '\0');
}

/* A planted or broken link must not make us read arbitrary files.  */
int
nr_sysfs_resolve (const struct nr_sysfs *sysfs, const char *path, char **out, nr_error_t *err)
{
  cleanup_free char *real = realpath (path, NULL);

  *out = NULL;
  if (real == NULL)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        return 0;
      return nr_make_error (err, errno, "resolve `%s`", path);
    }
  if (! inside_root (sysfs, real))
    return nr_make_error (err, 0, "`%s` leads to `%s`, outside the sysfs root `%s`", path, real,
                          sysfs->root);
  *out = steal_pointer (&real);
  return 0;
}

/* The numa_node of DIR (canonical, inside the root) or of its nearest
   ancestor below the root, in *NODE; -1 when there is none or it says
   -1.  */
int
nr_sysfs_numa_node (const struct nr_sysfs *sysfs, const char *dir, int *node, nr_error_t *err)
{
  char path[PATH_MAX];
  size_t len = strlen (dir);

  *node = -1;
  if (len >= sizeof (path) - sizeof ("/numa_node"))
    return nr_make_error (err, ENAMETOOLONG, "`%s`", dir);
  memcpy (path, dir, len + 1);
  while (len > sysfs->root_len)
    {
      char value[32];
      char *end;
      long parsed;

      memcpy (path + len, "/numa_node", sizeof ("/numa_node"));
      if (read_small_file (path, value, sizeof (value)) < 0)
        {
          if (errno != ENOENT && errno != ENOTDIR)
            return nr_make_error (err, errno, "read `%s`", path);
          path[len] = '\0';
          len = (size_t) (strrchr (path, '/') - path);
          continue;
        }
      errno = 0;
      parsed = strtol (value, &end, 10);
      if (errno != 0 || end == value || *end != '\0' || parsed < -1 || parsed > INT_MAX)
        return nr_make_error (err, 0, "`%s`: unexpected content `%.32s`", path, value);
      *node = (int) parsed;
      return 0;
    }
  return 0;
}

bool
nr_pci_address_valid (const char *name)
{
  size_t len = strlen (name);
  return len > 0 && len < 32 && strspn (name, "0123456789abcdefABCDEF:.") == len
         && strspn (name, ".") != len;
}
