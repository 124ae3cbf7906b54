/* numa-runtime: the bundle's config.json, loaded, edited and saved back
   atomically with its original mode and owner.  */
#ifndef NR_SPEC_H
#define NR_SPEC_H

#include "error.h"
#include "json.h"

#include <sys/types.h>

/* config.json files larger than this are refused.  Real specs are a few
   KiB, or some hundred KiB with a large seccomp profile.  */
#define NR_SPEC_MAX_SIZE (4 * 1024 * 1024)

/* What else a config.json may hold before numa-runtime refuses it, all
   far above what engines write (docs/CONTRACT.md, "Limits").  Checked
   when the spec is loaded, before anything is written.  */
#define NR_SPEC_MAX_ID_LEN 255             /* container id, bytes: a file name for the runtime */
#define NR_SPEC_MAX_ANNOTATIONS 4096       /* annotations */
#define NR_SPEC_MAX_ANNOTATION_KEY 1024    /* bytes */
#define NR_SPEC_MAX_ANNOTATION_VALUE 65536 /* bytes */
#define NR_SPEC_MAX_DEVICES 4096           /* linux.devices and linux.resources.devices, each */
#define NR_SPEC_MAX_MOUNTS 4096            /* mounts */
#define NR_SPEC_MAX_ENV 16384              /* process.env */

struct nr_spec
{
  char *path;     /* bundle/config.json (or crun's --config) */
  yajl_val root;  /* parsed document, edited in place */
  char *original; /* the bytes read, to restore after a later failure */
  size_t original_len;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

/* Load the spec of BUNDLE (CONFIG_FILE overrides bundle/config.json; a
   relative CONFIG_FILE is taken relative to the bundle, as crun does).  */
int nr_spec_load (const char *bundle, const char *config_file, struct nr_spec *spec,
                  nr_error_t *err);

/* Refuse a spec (or container ID, NULL: not checked) over the limits
   above, with one line naming the limit.  */
int nr_spec_check_limits (yajl_val root, const char *id, nr_error_t *err);

/* Write the edited document over the file atomically (temp file in the
   same directory, fsync, rename), keeping mode and owner.  */
int nr_spec_save (struct nr_spec *spec, nr_error_t *err);

/* Put the original bytes back (after a failure that follows a save).  */
int nr_spec_restore (struct nr_spec *spec, nr_error_t *err);

void nr_spec_free (struct nr_spec *spec);
void cleanup_specp (struct nr_spec *spec);
#define cleanup_spec __attribute__ ((cleanup (cleanup_specp)))

#endif
