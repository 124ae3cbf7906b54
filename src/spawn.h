/* numa-runtime: running a program as our child — the runtime's `delete`
   and `update`, its `features` probe — the one place that forks.  */
#ifndef NR_SPAWN_H
#define NR_SPAWN_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

struct nr_spawn
{
  const char *path;  /* the program */
  char **argv;       /* NULL-terminated; the child gets ARGV0 as argv[0] */
  const char *argv0; /* NULL: PATH */
  /* Standard input: INPUT (INPUT_LEN bytes) through a pipe when INPUT is
     not NULL, else /dev/null when CAPTURE is set, else ours.  */
  const char *input;
  size_t input_len;
  /* Capture standard output (at most OUTPUT_MAX bytes: the child is
     killed past that, and the result says so); its standard error then
     goes to /dev/null, as nothing the engine reads may carry it.  */
  bool capture;
  size_t output_max;
  int timeout_ms; /* > 0: the child is killed after that long, an error */
};

struct nr_spawn_result
{
  int status;   /* exit status, 128 + signal when killed */
  char *output; /* with CAPTURE: what it wrote, NUL-terminated; caller frees */
  size_t output_len;
  bool too_big; /* killed for writing more than OUTPUT_MAX */
};

/* Run SPEC's program and wait for it.  Fails (< 0) when it cannot be
   forked or waited for, or ran past its timeout; an exit status of 127
   with nothing written means it could not be executed.  SIGPIPE is
   ignored while the input is written: a child that exits without reading
   it must not kill us.  The argv goes to the debug log.  */
int nr_spawn (const struct nr_spawn *spec, struct nr_spawn_result *result, nr_error_t *err);

#endif
