/* The ledger's index and shard readers, and the commit.  The input is
   parts separated by a line "--": the index (ledger.json), then shard
   files, each "<name>\n<contents>" with NAME its file name in
   ledger.json.d/.  Property: a ledger we could read stays readable after
   our commit, holding what it held plus our entry; damage is found, never
   a crash.  */
#include "fuzz.h"
#include "fuzz-world.h"

#include "ledger.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* On tmpfs when there is one: commits there skip fsync.  */
static char dir[4096] = "/dev/shm/numa-runtime-fuzz-ledger.XXXXXX";
static bool made;

static void
remove_dir (void)
{
  fuzz_clear (dir, 2);
  rmdir (dir);
}

static bool
plain_name (const char *s, size_t n)
{
  if (n == 0 || n > 64 || s[0] == '.')
    return false;
  for (size_t i = 0; i < n; i++)
    if (! strchr ("0123456789abcdefghijklmnopqrstuvwxyz-_.", s[i]))
      return false;
  return true;
}

/* Lay the input out as a ledger under DIR.  */
static void
lay_out (const char *text, size_t len)
{
  cleanup_free char *index = xasprintf ("%s/ledger.json", dir);
  cleanup_free char *shard_dir = xasprintf ("%s/ledger.json.d", dir);
  const char *end = text + len, *p = text;
  bool first = true;

  mkdir (shard_dir, 0700);
  while (p <= end)
    {
      const char *sep = memmem (p, (size_t) (end - p), "\n--\n", 4);
      const char *part_end = sep ? sep : end;
      if (first)
        fuzz_write (index, p, (size_t) (part_end - p));
      else
        {
          const char *nl = memchr (p, '\n', (size_t) (part_end - p));
          if (nl && plain_name (p, (size_t) (nl - p)))
            {
              cleanup_free char *path = xasprintf ("%s/%.*s", shard_dir, (int) (nl - p), p);
              fuzz_write (path, nl + 1, (size_t) (part_end - nl - 1));
            }
        }
      first = false;
      if (sep == NULL)
        break;
      p = sep + 4;
    }
}

/* Open and read the whole ledger: its entry count, or -1 when damaged.  */
static long
read_all (struct nr_ledger **out)
{
  cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
  nr_error_t err = NULL;

  *out = NULL;
  if (nr_ledger_open (path, "fuzz-boot", NULL, out, &err) < 0)
    {
      nr_error_release (&err);
      return -2;
    }
  nr_ledger_load_all (*out);
  if (nr_ledger_moved_aside (*out))
    return -1;
  for (size_t i = 0; i < nr_ledger_count (*out); i++)
    {
      struct nr_ledger_entry e;
      if (nr_ledger_entry_at (*out, i, &e, &err) < 0)
        {
          nr_error_release (&err);
          return -1;
        }
      nr_ledger_entry_free (&e);
    }
  return (long) nr_ledger_count (*out);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct nr_ledger *l = NULL;
  struct nr_ledger_entry entry = { 0 };
  nr_error_t err = NULL;
  cleanup_free char *removed = NULL;
  long before, after;
  bool had = false, seen_damage;

  fuzz_quiet ();
  if (! made)
    {
      made = true;
      /* fuzz.sh names a directory it removes afterwards: libFuzzer's
         exits skip atexit.  */
      const char *base = getenv ("NR_FUZZ_TMPDIR");
      if (base && *base)
        snprintf (dir, sizeof (dir), "%.*s/ledger.XXXXXX", (int) sizeof (dir) - 16, base);
      if (mkdtemp (dir) == NULL)
        {
          snprintf (dir, sizeof (dir), "/tmp/numa-runtime-fuzz-ledger.XXXXXX");
          FUZZ_CHECK (mkdtemp (dir) != NULL, "mkdtemp");
        }
      atexit (remove_dir);
    }
  fuzz_clear (dir, 2);
  lay_out ((const char *) data, size);

  /* What a reader that looks at everything finds (status, gc).  */
  before = read_all (&l);
  if (l)
    had = before >= 0 && nr_ledger_find (l, "fuzz-new", NULL, NULL) == 1;
  nr_ledger_close (l);
  if (before == -2)
    return 0; /* refused outright: nothing to commit to */

  /* What create does: read the shards it needs, add, commit.  */
  {
    cleanup_free char *path = xasprintf ("%s/ledger.json", dir);
    FUZZ_CHECK (nr_ledger_open (path, "fuzz-boot", NULL, &l, &err) == 0, "second open: %s",
                err ? err->msg : "");
  }
  /* ... and what delete does: remove an entry (another shard's file may
     not go with it).  */
  if (before > 0 && ! had)
    {
      struct nr_ledger_entry old;
      if (nr_ledger_entry_at (l, 0, &old, NULL) == 0)
        {
          removed = xstrdup (old.id);
          nr_ledger_entry_free (&old);
          nr_ledger_remove (l, removed);
        }
    }
  entry.id = (char *) "fuzz-new";
  nr_set_add (&entry.nodes, 0);
  nr_set_add (&entry.cpus, 1);
  entry.load = 100;
  entry.millicpus = 100;
  entry.root = (char *) "/run/runc";
  nr_ledger_add (l, &entry);
  seen_damage = nr_ledger_moved_aside (l) != NULL;
  FUZZ_CHECK (nr_ledger_commit (l, &err) == 0, "commit failed: %s", err ? err->msg : "");
  nr_ledger_close (l);
  if (before < 0)
    {
      /* Damaged.  A shard this commit never read stays as it is, to be
         found by the reader that reads it (by design: shards are read
         as needed).  Damage the commit saw is set aside, and what it
         wrote is readable.  */
      if (! seen_damage)
        return 0;
      after = read_all (&l);
      nr_ledger_close (l);
      FUZZ_CHECK (after >= 0, "unreadable after a commit over a damaged ledger");
      return 0;
    }

  after = read_all (&l);
  FUZZ_CHECK (after >= 0, "a ledger we could read is unreadable after our commit");
  FUZZ_CHECK (after == before + (had ? 0 : 1) - (removed ? 1 : 0),
              "%ld entries before, %ld after adding one and removing %d", before, after,
              removed ? 1 : 0);
  FUZZ_CHECK (nr_ledger_find (l, "fuzz-new", NULL, NULL) == 1, "our entry is lost");
  FUZZ_CHECK (removed == NULL || nr_ledger_find (l, removed, NULL, NULL) == 0,
              "the removed entry is back");
  if (removed)
    before--;
  nr_ledger_remove (l, "fuzz-new");
  FUZZ_CHECK (nr_ledger_commit (l, &err) == 0, "second commit failed: %s", err ? err->msg : "");
  nr_ledger_close (l);
  after = read_all (&l);
  FUZZ_CHECK (after == before - (had ? 1 : 0), "%ld entries before, %ld after removing ours",
              before, after);
  nr_ledger_close (l);
  return 0;
}
