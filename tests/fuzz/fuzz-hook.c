/* The OCI hook's state JSON on stdin (prestart, poststop), as an engine
   hands it over.  The ledger is absent, so only the reading is at stake.
   Property: an error is one line.  */
#define _GNU_SOURCE
#include "fuzz.h"

#include "args.h"
#include "commands.h"
#include "conf.h"
#include "util.h"

#include <sys/mman.h>
#include <unistd.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static struct nr_config config;
  static int fd = -1;
  char *argv[] = { (char *) "numa-runtime", (char *) "hook", (char *) "poststop", NULL };
  struct nr_args args;
  nr_error_t err = NULL;

  fuzz_quiet ();
  if (fd < 0)
    {
      FUZZ_CHECK (nr_config_load_file (&config, "/nonexistent/numa-runtime.conf", false, NULL) == 0,
                  "defaults");
      free (config.ledger_path);
      config.ledger_path = xstrdup ("/nonexistent/numa-runtime-fuzz/ledger.json");
      fd = memfd_create ("fuzz-hook", MFD_CLOEXEC);
      FUZZ_CHECK (fd >= 0, "memfd_create");
    }
  if (size > 0 && (data[0] & 1))
    argv[2] = (char *) "prestart";
  FUZZ_CHECK (ftruncate (fd, 0) == 0 && pwrite (fd, data, size, 0) == (ssize_t) size, "memfd");
  FUZZ_CHECK (lseek (fd, 0, SEEK_SET) == 0 && dup2 (fd, STDIN_FILENO) == STDIN_FILENO, "stdin");
  FUZZ_CHECK (nr_args_parse (3, argv, &args, NULL) == 0, "hook argv");
  if (nr_cmd_hook (&args, &config, &err) < 0)
    {
      FUZZ_CHECK (err != NULL, "a failure without a message");
      nr_error_release (&err);
    }
  return 0;
}
