/* numa-runtime: finding a container's cgroup and reading its files.
 *
 * Where a container's cgroup is: the spec's linux.cgroupsPath when it is
 * absolute or in systemd's "slice:prefix:name" form (what every engine
 * writes), else what /proc/<init>/cgroup says (runc and crun make a
 * relative or empty path relative to their own cgroup, which only the
 * kernel then knows).  The cgroup file system's root is [topology]
 * cgroup_root, so that tests point it at a fixture tree.  */
#ifndef NR_CGROUP_H
#define NR_CGROUP_H

#include "error.h"
#include "json.h"

#include <stddef.h>

enum nr_cgroup_layout
{
  NR_CGROUP_UNKNOWN, /* neither: no cgroup file system at the root */
  NR_CGROUP_V1,      /* one hierarchy per controller, ROOT/<controller> */
  NR_CGROUP_V2,      /* one unified hierarchy at ROOT */
};

/* The layout under ROOT: v2 when ROOT/cgroup.controllers exists, v1 when
   ROOT/memory or ROOT/cpuset does (a hybrid host's ROOT/unified holds no
   controller we read).  */
enum nr_cgroup_layout nr_cgroup_layout (const char *root);

/* Longest linux.cgroupsPath kept (PATH_MAX): a longer one names no
   directory the kernel would open.  */
#define NR_CGROUP_PATH_MAX 4096

/* A copy of SPEC's linux.cgroupsPath for the ledger, or NULL when it has
   none (or an empty or overlong one).  The caller frees it.  */
char *nr_cgroup_spec_path (yajl_val spec);

/* The cgroup, relative to a hierarchy's root and starting with '/', that
   a spec's CGROUPS_PATH names: "/a/b" as it is; systemd's
   "kubepods-besteffort.slice:cri-containerd:ID" as
   "/kubepods.slice/kubepods-besteffort.slice/cri-containerd-ID.scope".
   NULL (nothing to free) for NULL, "", a relative path or a malformed
   systemd form.  The caller frees the result.  */
char *nr_cgroup_from_spec (const char *cgroups_path);

/* PID's cgroup from PROC_ROOT/PID/cgroup, relative to its hierarchy's
   root: CONTROLLER's line on v1 (LAYOUT), the "0::" line on v2.  NULL
   when the process or the line is not there.  The caller frees it.  */
char *nr_cgroup_of_pid (const char *proc_root, int pid, enum nr_cgroup_layout layout,
                        const char *controller);

/* The directory of cgroup REL (from the two above) for CONTROLLER under
   ROOT: ROOT/REL on v2, ROOT/CONTROLLER/REL on v1.  Caller frees.  */
char *nr_cgroup_dir (const char *root, enum nr_cgroup_layout layout, const char *controller,
                     const char *rel);

/* Read DIR/FILE whole (at most MAX_SIZE bytes) into *TEXT (NUL-ended,
   caller frees).  Errors name the file; errno ENOENT in the error's
   status says the cgroup (its container) is gone.  */
int nr_cgroup_read (const char *dir, const char *file, size_t max_size, char **text, size_t *len,
                    nr_error_t *err);

#endif
