/* The INI configuration, read from a memfd through the same path as a
   file.  Property: an error is one line; a config that loads has sane
   values.  */
#define _GNU_SOURCE
#include "fuzz.h"

#include "conf.h"
#include "util.h"

#include <sys/mman.h>
#include <unistd.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static int fd = -1;
  static char path[64];
  struct nr_config config;
  nr_error_t err = NULL;

  fuzz_quiet ();
  if (fd < 0)
    {
      fd = memfd_create ("fuzz-conf", MFD_CLOEXEC);
      FUZZ_CHECK (fd >= 0, "memfd_create");
      snprintf (path, sizeof (path), "/proc/self/fd/%d", fd);
    }
  FUZZ_CHECK (ftruncate (fd, 0) == 0 && pwrite (fd, data, size, 0) == (ssize_t) size, "memfd");
  memset (&config, 0, sizeof (config));
  if (nr_config_load_file (&config, path, true, &err) < 0)
    {
      FUZZ_CHECK (err != NULL, "a failure without a message");
      nr_error_release (&err);
    }
  else
    FUZZ_CHECK (config.ledger_path && config.sysfs_root && config.proc_root
                    && config.policy >= NR_POLICY_NONE
                    && config.policy <= NR_POLICY_SINGLE_NUMA_NODE && config.reserved_memory >= 0,
                "a loaded config with insane values");
  nr_config_free (&config);
  return 0;
}
