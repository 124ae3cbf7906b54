/* `update` end to end, in-process: the INI config, the container id, the
   update's flags, the resources document (in a file or on stdin) and the
   ledger (index and shards).  The input is parts separated by a line
   "--": the INI, the id, the flags (one line, blank-separated; "@" stands
   for the resources file), the resources, the ledger index, then shard
   files "<name>\n<contents>".  The runtime is this file's execv: in
   numa-runtime's own process it fails (ENOEXEC); in a child spawned with
   the narrowed resources on its stdin it exits 0 when they are a JSON
   object, else RESOURCES_NOT_JSON.
   Properties: what update hands the runtime on stdin is a JSON object, a
   --cpuset-cpus it rewrote is a CPU list, the ledger is never written
   (update only reads it); never a crash.  */
#include "fuzz-world.h"

#include "args.h"
#include "commands.h"
#include "conf.h"
#include "json.h"

#include <errno.h>

#define RESOURCES_NOT_JSON 86
#define MAX_FLAGS 8

static pid_t harness_pid;
static char **given_argv;

int
execv (const char *path, char *const argv[])
{
  cleanup_free char *text = NULL;
  cleanup_json yajl_val doc = NULL;
  size_t len;

  (void) path;
  if (getpid () == harness_pid)
    {
      /* Only a value numa-runtime rewrote: the caller's own is passed on
         as it came, for the runtime to judge.  */
      for (int i = 1; argv[i] && given_argv[i]; i++)
        {
          const char *value = strncmp (argv[i], "--cpuset-cpus=", 14) == 0 ? argv[i] + 14
                              : strcmp (argv[i - 1], "--cpuset-cpus") == 0 ? argv[i]
                                                                           : NULL;
          nr_set_t cpus;
          if (value && strcmp (argv[i], given_argv[i]) != 0)
            FUZZ_CHECK (nr_set_parse (value, &cpus, NULL) == 0,
                        "--cpuset-cpus `%s` handed on is not a CPU list", value);
        }
      errno = ENOEXEC;
      return -1;
    }
  /* A real exec would close the descriptors marked close-on-exec, the
     write end of our stdin's pipe among them: without that, stdin never
     ends.  */
  for (int fd = 3; fd < 1024; fd++)
    close (fd);
  if (read_fd (STDIN_FILENO, 8 << 20, "stdin", &text, &len, NULL) < 0
      || nr_json_parse (text, len, &doc, NULL) < 0 || doc->type != yajl_t_object)
    _exit (RESOURCES_NOT_JSON);
  _exit (0);
}

/* Every file of the ledger directory DIR, names and contents, as one
   string (caller frees).  */
static char *
ledger_files (const char *dir)
{
  static const char *const subdirs[] = { "", "/ledger.json.d" };
  char *out = xstrdup ("");

  for (size_t k = 0; k < NR_N_ELEMENTS (subdirs); k++)
    {
      cleanup_free char *path = xasprintf ("%s%s", dir, subdirs[k]);
      struct dirent **names;
      int n = scandir (path, &names, NULL, alphasort);

      for (int i = 0; i < n; i++)
        {
          cleanup_free char *file = xasprintf ("%s/%s", path, names[i]->d_name);
          cleanup_free char *text = NULL;
          size_t len = strlen (file);
          /* The lock file is made by the first opener, reader or writer.  */
          bool lock = len > 5 && strcmp (file + len - 5, ".lock") == 0;
          if (! lock && read_file (file, 1 << 20, &text, &len, NULL) == 0)
            {
              char *joined = xasprintf ("%s%s\n%zu\n%s\n", out, file, len, text);
              free (out);
              out = joined;
            }
          free (names[i]);
        }
      if (n >= 0)
        free (names);
    }
  return out;
}

/* The update's argv: numa-runtime --root ROOT update FLAGS... ID.  */
static int
make_argv (const char *root, const char *flags, const char *resources, const char *id, char **argv)
{
  cleanup_free char *copy = xstrdup (flags);
  int argc = 0;
  char *save = NULL;

  argv[argc++] = xstrdup ("numa-runtime");
  argv[argc++] = xstrdup ("--root");
  argv[argc++] = xstrdup (root);
  argv[argc++] = xstrdup ("update");
  for (char *tok = strtok_r (copy, " \t\n", &save); tok && argc < 4 + MAX_FLAGS;
       tok = strtok_r (NULL, " \t\n", &save))
    argv[argc++] = strcmp (tok, "@") == 0 ? xstrdup (resources) : xstrdup (tok);
  argv[argc++] = xstrdup (id);
  argv[argc] = NULL;
  return argc;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *dir = fuzz_scratch_dir ("update");
  cleanup_free char *root = xasprintf ("%s/state", dir);
  cleanup_free char *ledger_dir = xasprintf ("%s/ledger", dir);
  cleanup_free char *resources = xasprintf ("%s/resources.json", dir);
  cleanup_free char *id = NULL, *flags = NULL, *before = NULL, *after = NULL;
  char *argv[4 + MAX_FLAGS + 2] = { NULL };
  struct fuzz_parts parts;
  struct nr_config config;
  struct nr_args args;
  nr_error_t err = NULL;
  int argc, saved_stdin, resources_fd, status;

  fuzz_quiet ();
  harness_pid = getpid ();
  fuzz_clear (dir, 3);
  fuzz_split (data, size, &parts);
  mkdir (root, 0700);
  mkdir (ledger_dir, 0700);
  fuzz_fake_proc (dir);
  fuzz_lay_out_ledger (ledger_dir, &parts, 4);
  id = fuzz_part (&parts, 1);
  id[strcspn (id, "\n")] = '\0';
  flags = fuzz_part (&parts, 2);
  fuzz_write (resources, parts.n > 3 ? parts.text[3] : "", parts.n > 3 ? parts.len[3] : 0);
  if (! fuzz_load_config (dir, parts.text[0], parts.len[0], &config))
    return 0;
  before = ledger_files (ledger_dir);

  /* The resources are on stdin too, for --resources=-.  */
  saved_stdin = dup (STDIN_FILENO);
  resources_fd = open (resources, O_RDONLY | O_CLOEXEC);
  FUZZ_CHECK (saved_stdin >= 0 && resources_fd >= 0 && dup2 (resources_fd, STDIN_FILENO) == 0,
              "stdin");
  close (resources_fd);
  argc = make_argv (root, flags, resources, id, argv);
  given_argv = argv;
  if (nr_args_parse (argc, argv, &args, &err) == 0)
    {
      status = nr_cmd_update (&args, &config, &err);
      FUZZ_CHECK (status != RESOURCES_NOT_JSON, "the resources handed on are not a JSON object");
    }
  nr_error_release (&err);
  dup2 (saved_stdin, STDIN_FILENO);
  close (saved_stdin);
  for (int i = 0; i < argc; i++)
    free (argv[i]);
  nr_config_free (&config);

  after = ledger_files (ledger_dir);
  FUZZ_CHECK (strcmp (before, after) == 0, "update wrote the ledger");
  return 0;
}
