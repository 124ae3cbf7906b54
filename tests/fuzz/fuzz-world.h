/* numa-runtime: what the end-to-end fuzz harnesses (create, update,
   sysfs) share: a scratch directory on tmpfs, inputs cut into parts, and
   files laid out from them.  An input is parts separated by a line "--";
   a "file part" is "<relative path>\n<contents>".  */
#ifndef NR_FUZZ_WORLD_H
#define NR_FUZZ_WORLD_H

#include "fuzz.h"

#include "conf.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_MAX_PARTS 64

struct fuzz_parts
{
  const char *text[FUZZ_MAX_PARTS];
  size_t len[FUZZ_MAX_PARTS];
  size_t n;
};

/* DATA cut at each "\n--\n" (at most FUZZ_MAX_PARTS; the last takes the
   rest).  */
static inline void
fuzz_split (const uint8_t *data, size_t size, struct fuzz_parts *out)
{
  const char *p = (const char *) data, *end = p + size;

  out->n = 0;
  while (out->n < FUZZ_MAX_PARTS)
    {
      const char *sep =
          out->n + 1 < FUZZ_MAX_PARTS ? memmem (p, (size_t) (end - p), "\n--\n", 4) : NULL;
      out->text[out->n] = p;
      out->len[out->n] = (size_t) ((sep ? sep : end) - p);
      out->n++;
      if (sep == NULL)
        break;
      p = sep + 4;
    }
}

/* Part I as a string (empty when absent), caller frees.  */
static inline char *
fuzz_part (const struct fuzz_parts *parts, size_t i)
{
  return i < parts->n ? xmemdup (parts->text[i], parts->len[i]) : xstrdup ("");
}

/* Remove everything under PATH (DEPTH levels of directories), PATH kept.  */
static inline void
fuzz_clear (const char *path, int depth)
{
  DIR *d = opendir (path);
  struct dirent *de;

  if (d == NULL)
    return;
  while ((de = readdir (d)))
    {
      cleanup_free char *child = NULL;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      child = xasprintf ("%s/%s", path, de->d_name);
      if (depth > 0)
        fuzz_clear (child, depth - 1);
      if (unlink (child) < 0)
        rmdir (child);
    }
  closedir (d);
}

static inline void
fuzz_write (const char *path, const char *text, size_t len)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return;
  FUZZ_CHECK (write_all (fd, text, len) == 0, "write a fixture");
  close (fd);
}

/* Is S (N bytes) a relative path of plain names, without "." or ".."
   components, at most DEPTH deep?  */
static inline bool
fuzz_plain_path (const char *s, size_t n, int depth)
{
  int slashes = 0;

  if (n == 0 || n > 200 || s[0] == '/' || s[n - 1] == '/')
    return false;
  for (size_t i = 0; i < n; i++)
    {
      if (! strchr ("0123456789abcdefghijklmnopqrstuvwxyz_-.:/", s[i]))
        return false;
      if (s[i] == '/' && ++slashes > depth)
        return false;
      if (s[i] == '.' && (i == 0 || s[i - 1] == '/'))
        return false;
    }
  return true;
}

/* Write the file part TEXT (LEN bytes) under DIR, making its
   directories; a part whose path is not plain is left out.  */
static inline void
fuzz_write_file_part (const char *dir, const char *text, size_t len, int depth)
{
  const char *nl = memchr (text, '\n', len);
  cleanup_free char *path = NULL;

  if (nl == NULL || ! fuzz_plain_path (text, (size_t) (nl - text), depth))
    return;
  path = xasprintf ("%s/%.*s", dir, (int) (nl - text), text);
  for (char *slash = strchr (path + strlen (dir) + 1, '/'); slash; slash = strchr (slash + 1, '/'))
    {
      *slash = '\0';
      mkdir (path, 0700);
      *slash = '/';
    }
  fuzz_write (path, nl + 1, (size_t) (len - (size_t) (nl + 1 - text)));
}

static char fuzz_scratch[4096];

static void
fuzz_remove_scratch (void)
{
  fuzz_clear (fuzz_scratch, 16);
  rmdir (fuzz_scratch);
}

/* A scratch directory for this process, on tmpfs when there is one (no
   fsync there), under $NR_FUZZ_TMPDIR when set (fuzz.sh removes it:
   libFuzzer's exits skip atexit).  */
static inline const char *
fuzz_scratch_dir (const char *name)
{
  const char *base = getenv ("NR_FUZZ_TMPDIR");

  if (fuzz_scratch[0])
    return fuzz_scratch;
  snprintf (fuzz_scratch, sizeof (fuzz_scratch), "%s/numa-runtime-fuzz-%s.XXXXXX",
            base && *base ? base : "/dev/shm", name);
  if (mkdtemp (fuzz_scratch) == NULL)
    {
      snprintf (fuzz_scratch, sizeof (fuzz_scratch), "/tmp/numa-runtime-fuzz-%s.XXXXXX", name);
      FUZZ_CHECK (mkdtemp (fuzz_scratch) != NULL, "mkdtemp");
    }
  chmod (fuzz_scratch, 0700);
  atexit (fuzz_remove_scratch);
  return fuzz_scratch;
}

/* The ledger from parts FIRST on: the index, then shard files ("<name>\n
   <contents>") into DIR/ledger.json.d.  */
static inline void
fuzz_lay_out_ledger (const char *dir, const struct fuzz_parts *parts, size_t first)
{
  cleanup_free char *index = xasprintf ("%s/ledger.json", dir);
  cleanup_free char *shard_dir = xasprintf ("%s/ledger.json.d", dir);

  if (first >= parts->n)
    return;
  fuzz_write (index, parts->text[first], parts->len[first]);
  mkdir (shard_dir, 0700);
  for (size_t i = first + 1; i < parts->n; i++)
    fuzz_write_file_part (shard_dir, parts->text[i], parts->len[i], 0);
}

/* DIR/proc: a /proc with only a boot id ("fuzz-boot", as the seed
   ledgers say) and a meminfo, so that ledgers are this boot's and no
   process of the host is taken for a container's creator.  */
static inline void
fuzz_fake_proc (const char *dir)
{
  static const char boot[] = "fuzz-boot\n", meminfo[] = "MemTotal:       16303460 kB\n";
  cleanup_free char *random_dir = xasprintf ("%s/proc/sys/kernel/random", dir);
  cleanup_free char *boot_path = xasprintf ("%s/boot_id", random_dir);
  cleanup_free char *meminfo_path = xasprintf ("%s/proc/meminfo", dir);

  for (char *slash = strchr (random_dir + strlen (dir) + 1, '/'); slash;
       slash = strchr (slash + 1, '/'))
    {
      *slash = '\0';
      mkdir (random_dir, 0700);
      *slash = '/';
    }
  mkdir (random_dir, 0700);
  fuzz_write (boot_path, boot, sizeof (boot) - 1);
  fuzz_write (meminfo_path, meminfo, sizeof (meminfo) - 1);
}

/* The fixture machine the harnesses run create and update on.  */
static inline char *
fuzz_fixture_sysfs (void)
{
  const char *top = getenv ("TOP_SRCDIR");
#ifdef NR_TOP_SRCDIR
  if (top == NULL || *top == '\0')
    top = NR_TOP_SRCDIR;
#endif
  FUZZ_CHECK (top && *top, "TOP_SRCDIR is not set (the fixture machines are there)");
  return xasprintf ("%s/tests/fixtures/twonode", top);
}

/* Load INI text (LEN bytes) as the configuration, then point every path
   into DIR: the runtime is /bin/true, the machine the fixture.  False
   (nothing held) when the INI is refused.  */
static inline bool
fuzz_load_config (const char *dir, const char *text, size_t len, struct nr_config *config)
{
  cleanup_free char *ini_path = xasprintf ("%s/numa-runtime.conf", dir);
  nr_error_t err = NULL;

  fuzz_write (ini_path, text, len);
  if (nr_config_load_file (config, ini_path, true, &err) < 0)
    {
      nr_error_release (&err);
      nr_config_free (config);
      return false;
    }
  free (config->runtime_path);
  free (config->ledger_path);
  free (config->sysfs_root);
  free (config->proc_root);
  config->runtime_path = xstrdup ("/bin/true");
  config->ledger_path = xasprintf ("%s/ledger/ledger.json", dir);
  config->sysfs_root = fuzz_fixture_sysfs ();
  config->proc_root = xasprintf ("%s/proc", dir);
  return true;
}

#endif
