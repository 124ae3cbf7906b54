/* numa-runtime: finding and running the real OCI runtime.  */
#ifndef NR_RUNTIME_H
#define NR_RUNTIME_H

#include "conf.h"
#include "error.h"

/* The real runtime's path: [runtime] path, else the first runc or crun on
   PATH.  Refuses a runtime that is numa-runtime itself.  Caller frees.  */
int nr_runtime_resolve (const struct nr_config *config, char **path, nr_error_t *err);

/* The argv[0] RUNTIME gets, given the one we were called with: its path
   when we were called by path, its file name when by name, so that the
   runtime's own messages ("runc: ...") read as if it had been called in
   our place.  */
const char *nr_runtime_argv0 (const char *runtime, const char *our_argv0);

/* Replace this process with RUNTIME, giving it ARGV[1..] untouched.  Returns
   only on failure.  */
int nr_runtime_exec (const char *runtime, char **argv, nr_error_t *err);

/* Run RUNTIME with ARGV[1..] as a child sharing our stdio; *STATUS gets its
   exit status (128 + signal when killed).  */
int nr_runtime_run (const char *runtime, char **argv, int *status, nr_error_t *err);

#endif
