/* numa-runtime: the bundle's config.json.  */
#include <config.h>

#include "spec.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int
nr_spec_load (const char *bundle, const char *config_file, struct nr_spec *spec, nr_error_t *err)
{
  struct stat st;

  memset (spec, 0, sizeof (*spec));
  if (config_file && config_file[0] == '/')
    spec->path = xstrdup (config_file);
  else
    spec->path = xasprintf ("%s/%s", bundle, config_file ? config_file : "config.json");

  if (stat (spec->path, &st) < 0)
    return nr_make_error (err, errno, "stat `%s`", spec->path);
  spec->mode = st.st_mode & 07777;
  spec->uid = st.st_uid;
  spec->gid = st.st_gid;
  if (read_file (spec->path, NR_SPEC_MAX_SIZE, &spec->original, &spec->original_len, err) < 0)
    return -1;
  if (nr_json_parse (spec->original, spec->original_len, &spec->root, err) < 0)
    return nr_error_wrap (err, "`%s`", spec->path);
  if (spec->root->type != yajl_t_object)
    return nr_make_error (err, 0, "`%s`: the document is not a JSON object", spec->path);
  return 0;
}

static int
replace_file (struct nr_spec *spec, const char *data, size_t len, nr_error_t *err)
{
  if (write_file_atomic (spec->path, data, len, spec->mode, true, err) < 0)
    return -1;
  /* The new inode is ours; give it back to the bundle's owner.  */
  if (chown (spec->path, spec->uid, spec->gid) < 0 && errno != EPERM)
    return nr_make_error (err, errno, "chown `%s`", spec->path);
  return 0;
}

int
nr_spec_save (struct nr_spec *spec, nr_error_t *err)
{
  size_t len;
  cleanup_free char *text = nr_json_generate (spec->root, &len);

  return replace_file (spec, text, len, err);
}

int
nr_spec_restore (struct nr_spec *spec, nr_error_t *err)
{
  return replace_file (spec, spec->original, spec->original_len, err);
}

void
nr_spec_free (struct nr_spec *spec)
{
  free (spec->path);
  free (spec->original);
  if (spec->root)
    yajl_tree_free (spec->root);
  memset (spec, 0, sizeof (*spec));
}
