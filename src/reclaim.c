/* numa-runtime: releasing ledger entries whose container is gone.  See
   reclaim.h for the rules.  */
#include <config.h>

#include "reclaim.h"

#include "counters.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

uint64_t
nr_process_start_time (const char *proc_root, int pid)
{
  cleanup_free char *path = NULL;
  char buf[1024];
  char *p;

  if (pid <= 0)
    return 0;
  path = xasprintf ("%s/%d/stat", proc_root, pid);
  /* The command (field 2) is in parentheses and may itself hold spaces and
     parentheses: count fields from the last ')'.  */
  if (read_small_file (path, buf, sizeof (buf)) < 0 || (p = strrchr (buf, ')')) == NULL)
    return 0;
  /* P ends field 2; step to the blank that opens field 22.  */
  for (int field = 3; field <= 22 && p; field++)
    p = strchr (p + 1, ' ');
  return p ? strtoull (p + 1, NULL, 10) : 0;
}

/* The runtime root last looked in, kept open across one reclaim pass so
   that each entry costs a lookup of its id, not of the whole path.  */
struct root_cache
{
  char *root;
  int fd; /* -1: not open (or not openable: fall back to the path) */
};

static void
root_cache_release (struct root_cache *c)
{
  if (c->fd >= 0)
    close (c->fd);
  free (c->root);
  c->root = NULL;
  c->fd = -1;
}

/* True when <root>/<id> exists or cannot be ruled out (a permission
   problem says nothing about the container).  */
static bool
state_may_exist (struct root_cache *cache, const char *root, const char *id)
{
  cleanup_free char *path = NULL;
  struct stat st;
  int r;

  if (cache && (cache->root == NULL || strcmp (cache->root, root) != 0))
    {
      root_cache_release (cache);
      cache->root = xstrdup (root);
      cache->fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (cache && cache->fd >= 0 && strchr (id, '/') == NULL)
    r = fstatat (cache->fd, id, &st, AT_SYMLINK_NOFOLLOW);
  else
    {
      path = xasprintf ("%s/%s", root, id);
      r = lstat (path, &st);
    }
  if (r == 0)
    return true;
  return errno != ENOENT && errno != ENOTDIR;
}

static bool
entry_alive (struct root_cache *cache, const struct nr_ledger_entry *e, const char *proc_root)
{
  bool has_root = e->root && *e->root;

  if (has_root && state_may_exist (cache, e->root, e->id))
    return true;
  if (e->creator_pid > 0)
    {
      uint64_t start = nr_process_start_time (proc_root, e->creator_pid);
      /* An entry without a start time trusts the pid alone.  */
      if (start != 0 && (e->creator_start == 0 || start == e->creator_start))
        return true;
      /* Gone now, but it may have written the state and exited since we
         looked: only now is the state directory's absence final.  (Found
         by tests/stress/parallel.sh: two entries in 2,000 operations were
         released while their container was being created.)  */
      return has_root && state_may_exist (cache, e->root, e->id);
    }
  /* Neither a root nor a creator: cannot tell, so keep it.  */
  return ! has_root;
}

bool
nr_entry_alive (const struct nr_ledger_entry *e, const char *proc_root)
{
  return entry_alive (NULL, e, proc_root);
}

int
nr_reclaim_each (struct nr_ledger *l, const char *proc_root, size_t budget,
                 nr_reclaim_fn on_reclaim, void *data, size_t *reclaimed, nr_error_t *err)
{
  size_t count = nr_ledger_count (l);
  size_t to_check = budget < count ? budget : count;
  size_t i = count ? nr_ledger_reclaim_cursor (l) % count : 0;
  size_t removed = 0;
  struct root_cache cache = { .root = NULL, .fd = -1 };

  for (size_t checked = 0; checked < to_check; checked++)
    {
      struct nr_ledger_entry e;
      nr_error_t entry_err = NULL;

      if (nr_ledger_count (l) == 0)
        break;
      if (i >= nr_ledger_count (l))
        i = 0;
      if (nr_ledger_entry_brief_at (l, i, &e, &entry_err) < 0)
        {
          /* A line that does not parse (a hand edit, a damaged disk)
             made the ledger unreadable and empty: the caller rebuilds.  */
          nr_warn ("ledger entry %zu: %s", i, entry_err->msg);
          nr_error_release (&entry_err);
          i++;
          continue;
        }
      if (entry_alive (&cache, &e, proc_root))
        i++;
      else
        {
          /* The next entry slides into slot I.  Routine housekeeping
             (`runc run` deletes its own container behind our back): the
             log at debug level, never stderr.  */
          nr_debug ("reclaimed ledger entry %s: container gone", e.id);
          if (on_reclaim)
            {
              struct nr_ledger_entry full;
              if (nr_ledger_entry_at (l, i, &full, NULL) == 0)
                {
                  on_reclaim (&full, data);
                  nr_ledger_entry_free (&full);
                }
            }
          nr_ledger_remove (l, e.id);
          nr_ledger_counters_for_update (l)->reclaims++;
          removed++;
        }
      nr_ledger_entry_free (&e);
    }
  root_cache_release (&cache);
  count = nr_ledger_count (l);
  nr_ledger_set_reclaim_cursor (l, count ? i % count : 0);
  if (reclaimed)
    *reclaimed = removed;
  return 0;
}

int
nr_reclaim (struct nr_ledger *l, const char *proc_root, size_t budget, size_t *reclaimed,
            nr_error_t *err)
{
  return nr_reclaim_each (l, proc_root, budget, NULL, NULL, reclaimed, err);
}
