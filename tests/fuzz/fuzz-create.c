/* The whole `create`, in-process, over what a pod's owner and a damaged
   node can hand it together: config.json, the INI config, the container
   id and the ledger (index and shards).  The input is parts separated by
   a line "--": config.json, the INI, the id, the ledger index, then shard
   files "<name>\n<contents>".  The runtime's exec is this file's execv,
   which looks at config.json as the runtime would find it.
   Properties: config.json is JSON at the exec (when numa-runtime changed
   it), and byte-identical once create has returned, whether it refused
   or rolled back after the exec failed; never a crash.  The config's
   paths are forced into the scratch directory, the machine is the
   twonode fixture, /proc a fake one whose boot id is "fuzz-boot".  */
#include "fuzz-world.h"

#include "args.h"
#include "commands.h"
#include "conf.h"
#include "json.h"

#include <errno.h>

static char *spec_path;
static const char *spec_given;
static size_t spec_given_len;

/* The runtime: config.json as it is handed over, then "not executable"
   (spawned children, e.g. a features probe, fail the same way).  */
int
execv (const char *path, char *const argv[])
{
  cleanup_free char *text = NULL;
  size_t len;

  (void) path;
  (void) argv;
  if (spec_path && read_file (spec_path, 8 << 20, &text, &len, NULL) == 0
      && ! (len == spec_given_len && memcmp (text, spec_given, len) == 0))
    {
      cleanup_json yajl_val doc = NULL;
      FUZZ_CHECK (nr_json_parse (text, len, &doc, NULL) == 0,
                  "config.json is not JSON at the runtime's exec");
    }
  errno = ENOEXEC;
  return -1;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *dir = fuzz_scratch_dir ("create");
  cleanup_free char *bundle = xasprintf ("%s/bundle", dir);
  cleanup_free char *root = xasprintf ("%s/state", dir);
  cleanup_free char *ledger_dir = xasprintf ("%s/ledger", dir);
  cleanup_free char *id = NULL;
  cleanup_free char *after = NULL;
  struct fuzz_parts parts;
  struct nr_config config;
  struct nr_args args;
  nr_error_t err = NULL;
  size_t after_len;

  fuzz_quiet ();
  fuzz_clear (dir, 3);
  fuzz_split (data, size, &parts);
  mkdir (bundle, 0700);
  mkdir (root, 0700);
  mkdir (ledger_dir, 0700);
  fuzz_fake_proc (dir);
  spec_path = xasprintf ("%s/config.json", bundle);
  spec_given = parts.text[0];
  spec_given_len = parts.len[0];
  fuzz_write (spec_path, spec_given, spec_given_len);
  fuzz_lay_out_ledger (ledger_dir, &parts, 3);
  id = fuzz_part (&parts, 2);
  id[strcspn (id, "\n")] = '\0';

  if (fuzz_load_config (dir, parts.n > 1 ? parts.text[1] : "", parts.n > 1 ? parts.len[1] : 0,
                        &config))
    {
      char *argv[] = {
        xstrdup ("numa-runtime"), xstrdup ("--root"), xstrdup (root), xstrdup ("create"),
        xstrdup ("--bundle"),     xstrdup (bundle),   xstrdup (id),   NULL
      };
      int argc = 7;

      if (nr_args_parse (argc, argv, &args, &err) == 0)
        nr_cmd_create (&args, &config, &err);
      nr_error_release (&err);
      nr_config_free (&config);
      for (int i = 0; i < argc; i++)
        free (argv[i]);
    }

  FUZZ_CHECK (read_file (spec_path, 8 << 20, &after, &after_len, NULL) == 0, "config.json is gone");
  FUZZ_CHECK (after_len == spec_given_len && memcmp (after, spec_given, after_len) == 0,
              "config.json is not byte-identical after create returned");
  free (spec_path);
  spec_path = NULL;
  return 0;
}
