/* argv: the input split at NUL bytes into arguments after the program
   name.  Property: a parse that succeeds points only into argv.  */
#include "fuzz.h"

#include "args.h"
#include "util.h"

#define MAX_ARGS 64

static bool
in_argv (const char *p, char **argv, int argc)
{
  if (p == NULL)
    return true;
  for (int i = 0; i < argc; i++)
    if (p >= argv[i] && p <= argv[i] + strlen (argv[i]))
      return true;
  return false;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *text = fuzz_text (data, size);
  char *argv[MAX_ARGS + 2];
  int argc = 0;
  struct nr_args args;
  nr_error_t err = NULL;

  fuzz_quiet ();
  argv[argc++] = (char *) "numa-runtime";
  for (char *p = text; p <= text + size && argc < MAX_ARGS; p += strlen (p) + 1)
    argv[argc++] = p;
  argv[argc] = NULL;
  memset (&args, 0, sizeof (args));
  if (nr_args_parse (argc, argv, &args, &err) < 0)
    {
      FUZZ_CHECK (err != NULL, "a failure without a message");
      nr_error_release (&err);
      return 0;
    }
  FUZZ_CHECK (in_argv (args.id, argv, argc) && in_argv (args.bundle, argv, argc)
                  && in_argv (args.root, argv, argc) && in_argv (args.command, argv, argc),
              "a parsed value outside argv");
  FUZZ_CHECK (nr_args_bundle (&args) != NULL && nr_args_root (&args) != NULL, "no bundle or root");
  return 0;
}
