/* numa-runtime: the bundle's config.json.  */
#include <config.h>

#include "spec.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

int
nr_spec_load (const char *bundle, const char *config_file, struct nr_spec *spec, nr_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *what = NULL;
  struct stat st;

  memset (spec, 0, sizeof (*spec));
  if (config_file && config_file[0] == '/')
    spec->path = xstrdup (config_file);
  else
    spec->path = xasprintf ("%s/%s", bundle, config_file ? config_file : "config.json");

  /* Opened without following a symbolic link, and its mode and owner
     taken from the descriptor: whoever can write the bundle could swap a
     link in between a check by path and an open by path, and have root
     copy what the link names into the bundle.  (Not followed at all: the
     save renames a new file over the path, which would replace a link
     rather than what it points to.)  */
  fd = open (spec->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0 && errno == ELOOP)
    return nr_make_error (err, 0, "`%s` is a symbolic link, which numa-runtime does not edit",
                          spec->path);
  if (fd < 0)
    return nr_make_error (err, errno, "open `%s`", spec->path);
  if (fstat (fd, &st) < 0)
    return nr_make_error (err, errno, "stat `%s`", spec->path);
  if (! S_ISREG (st.st_mode))
    return nr_make_error (err, 0, "`%s` is not a regular file", spec->path);
  if ((uint64_t) st.st_size > NR_SPEC_MAX_SIZE)
    return nr_make_error (err, 0, "`%s` is %lld bytes, over the limit of %zu", spec->path,
                          (long long) st.st_size, (size_t) NR_SPEC_MAX_SIZE);
  spec->mode = st.st_mode & 07777;
  spec->uid = st.st_uid;
  spec->gid = st.st_gid;
  what = xasprintf ("`%s`", spec->path);
  if (read_fd (fd, NR_SPEC_MAX_SIZE, what, &spec->original, &spec->original_len, err) < 0)
    return -1;
  if (nr_json_parse (spec->original, spec->original_len, &spec->root, err) < 0)
    return nr_error_wrap (err, "`%s`", spec->path);
  if (spec->root->type != yajl_t_object)
    return nr_make_error (err, 0, "`%s`: the document is not a JSON object", spec->path);
  if (nr_spec_check_limits (spec->root, NULL, err) < 0)
    return nr_error_wrap (err, "`%s`", spec->path);
  return 0;
}

/* The length of array ARR (0 when absent or not an array) against MAX.  */
static int
check_count (yajl_val arr, size_t max, const char *what, nr_error_t *err)
{
  if (arr != NULL && arr->type == yajl_t_array && arr->u.array.len > max)
    return nr_make_error (err, 0, "%s has %zu entries, over the limit of %zu", what,
                          arr->u.array.len, max);
  return 0;
}

int
nr_spec_check_limits (yajl_val root, const char *id, nr_error_t *err)
{
  static const char *const env_path[] = { "process", "env", NULL };
  static const char *const devices_path[] = { "linux", "devices", NULL };
  static const char *const cgroup_devices_path[] = { "linux", "resources", "devices", NULL };
  yajl_val annotations = nr_json_get (root, "annotations");

  if (id && strlen (id) > NR_SPEC_MAX_ID_LEN)
    return nr_make_error (err, 0, "the container id is %zu bytes, over the limit of %d",
                          strlen (id), NR_SPEC_MAX_ID_LEN);
  if (check_count (nr_json_get_path (root, env_path), NR_SPEC_MAX_ENV, "process.env", err) < 0
      || check_count (nr_json_get (root, "mounts"), NR_SPEC_MAX_MOUNTS, "mounts", err) < 0
      || check_count (nr_json_get_path (root, devices_path), NR_SPEC_MAX_DEVICES, "linux.devices",
                      err)
             < 0
      || check_count (nr_json_get_path (root, cgroup_devices_path), NR_SPEC_MAX_DEVICES,
                      "linux.resources.devices", err)
             < 0)
    return -1;
  if (annotations == NULL || annotations->type != yajl_t_object)
    return 0;
  if (annotations->u.object.len > NR_SPEC_MAX_ANNOTATIONS)
    return nr_make_error (err, 0, "annotations has %zu entries, over the limit of %d",
                          annotations->u.object.len, NR_SPEC_MAX_ANNOTATIONS);
  for (size_t i = 0; i < annotations->u.object.len; i++)
    {
      yajl_val v = annotations->u.object.values[i];
      if (strlen (annotations->u.object.keys[i]) > NR_SPEC_MAX_ANNOTATION_KEY)
        return nr_make_error (err, 0, "an annotation key is over the limit of %d bytes",
                              NR_SPEC_MAX_ANNOTATION_KEY);
      if (v && v->type == yajl_t_string && strlen (v->u.string) > NR_SPEC_MAX_ANNOTATION_VALUE)
        return nr_make_error (err, 0, "an annotation value is over the limit of %d bytes",
                              NR_SPEC_MAX_ANNOTATION_VALUE);
    }
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

  if (text == NULL)
    return nr_make_error (err, 0, "`%s`: cannot write the edited document", spec->path);
  if (write_file_atomic (spec->path, text, len, spec->mode, true, err) < 0)
    return -1;
  /* The new inode is ours; give it back to the bundle's owner, or put
     the original back.  */
  if (chown (spec->path, spec->uid, spec->gid) < 0 && errno != EPERM)
    {
      int saved = errno;
      nr_error_t restore_err = NULL;
      if (write_file_atomic (spec->path, spec->original, spec->original_len, spec->mode, true,
                             &restore_err)
          < 0)
        nr_log_error (&restore_err);
      return nr_make_error (err, saved, "chown `%s`", spec->path);
    }
  return 0;
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

void
cleanup_specp (struct nr_spec *spec)
{
  nr_spec_free (spec);
}
