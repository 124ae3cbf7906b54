/* numa-runtime: the ledger's files.  See ledger_store.h.  */
#include <config.h>

#include "ledger_store.h"
#include "ledger_lock.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

/* ---- the directory and the lock ----------------------------------------- */

int
ledger_store_open (struct ledger_store *st, const char *path, nr_error_t *err)
{
  cleanup_free char *base_copy = xstrdup (path);
  cleanup_free char *lock_path = xasprintf ("%s.lock", path);
  cleanup_free char *lock_name = NULL;

  memset (st, 0, sizeof (*st));
  st->path = xstrdup (path);
  st->dir = nr_path_dir (path);
  st->base = xstrdup (basename (base_copy));
  st->shard_dir_name = xasprintf ("%s.d", st->base);
  st->lock_fd = -1;
  st->shard_dir_fd = -1;
  st->dir_fd = -1;
  if (mkdir_parents (st->dir, 0700, err) < 0)
    return nr_error_wrap (err, "create the ledger directory");
  /* Whoever can write there can make a root process read what they
     like.  Every later open is relative to this descriptor, so that the
     directory checked is the one used.  */
  st->dir_fd = open_private_dir (st->dir, "the ledger directory", err);
  if (st->dir_fd < 0)
    return -1;
  lock_name = xasprintf ("%s.lock", st->base);
  return ledger_lock_take (st->dir_fd, lock_name, lock_path, &st->lock_fd, err);
}

static void
forget_garbage (struct ledger_store *st)
{
  for (size_t i = 0; i < st->n_garbage; i++)
    free (st->garbage[i]);
  st->n_garbage = 0;
}

void
ledger_store_close (struct ledger_store *st)
{
  if (st->lock_fd >= 0)
    close (st->lock_fd); /* releases the flock */
  if (st->shard_dir_fd >= 0)
    close (st->shard_dir_fd);
  if (st->dir_fd >= 0)
    close (st->dir_fd);
  forget_garbage (st);
  free (st->garbage);
  free (st->path);
  free (st->dir);
  free (st->base);
  free (st->shard_dir_name);
  free (st->aside);
  memset (st, 0, sizeof (*st));
  st->lock_fd = st->shard_dir_fd = st->dir_fd = -1;
}

void
ledger_store_supersede (struct ledger_store *st, const char *file)
{
  st->garbage = xrealloc (st->garbage, (st->n_garbage + 1) * sizeof (*st->garbage));
  st->garbage[st->n_garbage++] = xstrdup (file);
}

/* The name of a shard file in the shard directory ("NN-G.json").  */
static const char *
shard_name (const struct ledger_store *st, const char *file)
{
  return file + strlen (st->shard_dir_name) + 1;
}

/* The shard directory, opened (O_NOFOLLOW) on first use; CREATE makes it
   (0700) when missing.  -1 with errno set on failure.  */
static int
shard_dir (struct ledger_store *st, bool create)
{
  static const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW;

  if (st->shard_dir_fd >= 0)
    return st->shard_dir_fd;
  st->shard_dir_fd = openat (st->dir_fd, st->shard_dir_name, flags);
  if (st->shard_dir_fd < 0 && errno == ENOENT && create)
    {
      if (mkdirat (st->dir_fd, st->shard_dir_name, 0700) < 0 && errno != EEXIST)
        return -1;
      st->shard_dir_fd = openat (st->dir_fd, st->shard_dir_name, flags);
    }
  return st->shard_dir_fd;
}

/* ---- reading ------------------------------------------------------------- */

/* Read LEN bytes of FD into BUF; -1 (errno 0 for a file shorter than
   that) otherwise.  */
static int
read_exactly (int fd, char *buf, size_t len)
{
  size_t done = 0;

  while (done < len)
    {
      ssize_t r = read (fd, buf + done, len - done);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        {
          if (r == 0)
            errno = 0;
          return -1;
        }
      done += (size_t) r;
    }
  return 0;
}

/* Does shard K hold an entry whose id belongs to another shard?  Found
   by fuzzing: such an entry is counted and charged, but find and remove
   (which go by the id's shard) never see it, so delete could not release
   it.  A ledger of another shard count is redistributed by id instead.  */
static bool
misplaced_entry (const struct ledger_model *m, size_t k)
{
  const struct ledger_lines *ls = &m->shards[k].lines;

  if (m->n_shards != LEDGER_SHARDS)
    return false;
  for (size_t j = 0; j < ls->n; j++)
    {
      cleanup_free char *id = ledger_line_id (&ls->v[j]);
      /* An entry without a readable id is damage found when it is read.  */
      if (id && ledger_shard_of (id, m->n_shards) != k)
        return true;
    }
  return false;
}

char *
ledger_store_read_shard (struct ledger_store *st, struct ledger_model *m, size_t k)
{
  struct ledger_shard *s = &m->shards[k];
  cleanup_free char *path = xasprintf ("%s/%s", st->dir, s->file);
  cleanup_close int fd = -1;
  struct stat st_buf;
  int dfd = shard_dir (st, false);

  fd = dfd < 0
           ? -1
           : openat (dfd, shard_name (st, s->file), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0 || fstat (fd, &st_buf) < 0)
    return xasprintf ("shard `%s`: %s", path, strerror (errno));
  if (! S_ISREG (st_buf.st_mode) || st_buf.st_size == 0 || st_buf.st_size > LEDGER_MAX_SIZE)
    return xasprintf ("shard `%s`: not a shard file", path);
  /* Read, not mapped: a few KB to a few dozen, where a mapping's set-up
     and tear-down cost more than the copy.  Lines point into the buffer
     and are written back from it.  Shard files are never modified once
     written, only unlinked.  */
  s->text_len = (size_t) st_buf.st_size;
  s->text = xmalloc (s->text_len);
  if (read_exactly (fd, s->text, s->text_len) < 0)
    return xasprintf ("shard `%s`: %s", path, errno ? strerror (errno) : "cut short");
  if (ledger_shard_parse (s->text, s->text_len, &s->lines) < 0)
    return xasprintf ("shard `%s` is damaged", path);
  if (s->lines.n != s->entries)
    return xasprintf ("shard `%s` holds %zu entries, the index says %zu", path, s->lines.n,
                      s->entries);
  if (misplaced_entry (m, k))
    return xasprintf ("shard `%s` holds an entry of another shard", path);
  s->loaded = true;
  return NULL;
}

/* A version 1 ledger's entries into their shards; the next commit writes
   version 2.  */
static int
take_v1 (struct ledger_model *m, struct ledger_index *ix)
{
  size_t bad;

  ledger_model_init (m, LEDGER_SHARDS);
  for (size_t i = 0; i < ix->v1_entries.n; i++)
    {
      struct ledger_line *ln = &ix->v1_entries.v[i];
      cleanup_free char *id = ledger_line_id (ln);
      struct ledger_shard *s = &m->shards[ledger_shard_of (id ? id : "", LEDGER_SHARDS)];
      ledger_lines_append (&s->lines, ln->text, ln->len, true);
      ln->owned = false; /* the shard's now */
      s->dirty = true;
    }
  return ledger_model_recompute (m, &bad, NULL);
}

/* IX into M: the header, and each shard's file and count.  */
static int
take_index (struct ledger_model *m, struct ledger_index *ix)
{
  if (ix->v1)
    {
      if (take_v1 (m, ix) < 0)
        return -1;
    }
  else
    {
      ledger_model_init (m, ix->shard_count);
      for (size_t i = 0; i < ix->n_shards; i++)
        {
          struct ledger_shard *s = &m->shards[ix->shards[i].shard];
          s->file = steal_pointer (&ix->shards[i].file);
          s->entries = ix->shards[i].entries;
          s->loaded = false;
        }
      m->usage = steal_pointer (&ix->usage);
      m->n_usage = ix->n_usage;
      m->sums_stale = ix->sums_without_held;
      m->generation = ix->generation;
    }
  m->boot_id = steal_pointer (&ix->boot_id);
  m->reclaim_cursor = ix->reclaim_cursor;
  m->counters = ix->counters;
  m->dirty = ix->v1;
  return 0;
}

int
ledger_store_read_index (struct ledger_store *st, struct ledger_model *m, char **why,
                         nr_error_t *err)
{
  cleanup_close int fd =
      openat (st->dir_fd, st->base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  cleanup_free char *text = NULL;
  struct ledger_index ix;
  struct stat st_buf;
  const char *problem = NULL;
  size_t len;

  *why = NULL;
  ledger_model_init (m, LEDGER_SHARDS);
  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return nr_make_error (err, errno, "open the ledger `%s`", st->path);
  if (fstat (fd, &st_buf) < 0 || ! S_ISREG (st_buf.st_mode) || st_buf.st_size > LEDGER_MAX_SIZE)
    {
      *why = xstrdup ("not a regular file of a sane size");
      return 0;
    }
  if (st_buf.st_size == 0)
    return 0;
  if (read_fd (fd, LEDGER_MAX_SIZE, "the ledger", &text, &len, err) < 0)
    return -1;
  if (ledger_index_parse (text, len, st->shard_dir_name, &ix, &problem) < 0)
    *why = xstrdup (problem);
  else if (take_index (m, &ix) < 0)
    *why = xstrdup ("not a ledger index");
  ledger_index_free (&ix);
  if (*why)
    ledger_model_init (m, LEDGER_SHARDS);
  return 0;
}

/* ---- writing -------------------------------------------------------------- */

static int
writev_all (int fd, struct iovec *iov, size_t n)
{
  while (n > 0)
    {
      ssize_t w = writev (fd, iov, n > IOV_MAX ? IOV_MAX : (int) n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return -1;
      while (n > 0 && (size_t) w >= iov->iov_len)
        {
          w -= (ssize_t) iov->iov_len;
          iov++;
          n--;
        }
      if (n > 0)
        {
          iov->iov_base = (char *) iov->iov_base + w;
          iov->iov_len -= (size_t) w;
        }
    }
  return 0;
}

/* Create NAME in DFD (replacing a leftover of a writer killed before its
   commit), 0600 whatever the umask, holding shard S or DATA.  */
static int
create_file (int dfd, const char *name, const struct ledger_shard *s, const char *data, size_t len,
             bool sync)
{
  cleanup_close int fd = -1;
  int r;

  fd = openat (dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 && errno == EEXIST)
    {
      if (unlinkat (dfd, name, 0) < 0 && errno != ENOENT)
        return -1;
      fd = openat (dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    }
  if (fd < 0)
    return -1;
  r = fchmod (fd, 0600);
  if (r == 0 && s)
    {
      cleanup_free struct iovec *iov = xmalloc ((2 * s->lines.n + 2) * sizeof (*iov));
      size_t n = ledger_shard_layout (&s->lines, s->text, s->text_len, iov);
      r = writev_all (fd, iov, n);
    }
  else if (r == 0)
    r = write_all (fd, data, len);
  if (r == 0 && sync)
    r = fsync (fd);
  if (r == 0)
    {
      r = close (fd);
      fd = -1;
    }
  return r;
}

void
ledger_store_keep_aside (struct ledger_store *st)
{
  char stamp[32];
  time_t now = time (NULL);
  struct tm tm;

  gmtime_r (&now, &tm);
  strftime (stamp, sizeof (stamp), "%Y%m%dT%H%M%SZ", &tm);
  free (st->aside);
  st->aside = xasprintf ("%s.corrupt-%s-%d", st->path, stamp, (int) getpid ());
  st->aside_pending = true;
  forget_garbage (st);
}

/* Give the unreadable index its aside name, keeping it at PATH too, so
   that the rename of the new one still replaces PATH in one step, and
   move the shard directory along with it.  */
static int
set_aside (struct ledger_store *st, struct ledger_model *m, nr_error_t *err)
{
  cleanup_free char *aside_dir = NULL;
  const char *aside;
  int dfd = st->dir_fd;

  if (! st->aside_pending)
    return 0;
  aside = strrchr (st->aside, '/') ? strrchr (st->aside, '/') + 1 : st->aside;
  if (linkat (dfd, st->base, dfd, aside, 0) < 0 && errno != ENOENT
      && renameat (dfd, st->base, dfd, aside) < 0 && errno != ENOENT)
    return nr_make_error (err, errno, "move the unreadable ledger `%s` aside", st->path);
  aside_dir = xasprintf ("%s.d", aside);
  if (renameat (dfd, st->shard_dir_name, dfd, aside_dir) < 0 && errno != ENOENT)
    return nr_make_error (err, errno, "move `%s/%s` aside", st->dir, st->shard_dir_name);
  /* Whatever we had open is the damaged one's now.  */
  if (st->shard_dir_fd >= 0)
    close (st->shard_dir_fd);
  st->shard_dir_fd = -1;
  st->aside_pending = false;
  m->counters.set_asides++;
  return 0;
}

/* The new index: M's header and sums, FILES[k] (NULL: none) for shard k.  */
static char *
index_text (const struct ledger_store *st, const struct ledger_model *m, uint64_t generation,
            char **files, size_t *len)
{
  struct ledger_index ix = {
    .boot_id = m->boot_id,
    .generation = generation,
    .reclaim_cursor = m->reclaim_cursor,
    .shard_count = m->n_shards,
    .usage = m->usage,
    .n_usage = m->n_usage,
    .counters = m->counters,
  };
  cleanup_free struct ledger_index_shard *shards = xmalloc0 (m->n_shards * sizeof (*shards));

  ix.shards = shards;
  for (size_t k = 0; k < m->n_shards; k++)
    if (files[k])
      shards[ix.n_shards++] = (struct ledger_index_shard){
        .shard = k, .entries = ledger_shard_size (&m->shards[k]), .file = files[k]
      };
  return ledger_index_text (&ix, st->shard_dir_name, len);
}

static void
free_names (char **names, size_t n)
{
  for (size_t k = 0; k < n; k++)
    free (names[k]);
  free (names);
}

/* Each dirty, non-empty shard of M into a new file of GENERATION: its
   name into NAMES[k], its index name into FILES[k]; the unchanged ones'
   into FILES too.  */
static int
write_shards (struct ledger_store *st, const struct ledger_model *m, uint64_t generation, bool sync,
              char **names, char **files)
{
  int dfd = -1;

  for (size_t k = 0; k < m->n_shards; k++)
    {
      const struct ledger_shard *s = &m->shards[k];
      if (! s->dirty)
        {
          files[k] = s->file ? xstrdup (s->file) : NULL;
          continue;
        }
      if (s->lines.n == 0)
        continue;
      if (dfd < 0 && (dfd = shard_dir (st, true)) < 0)
        return -1;
      names[k] = xasprintf ("%02zu-%" PRIu64 ".json", k, generation);
      if (create_file (dfd, names[k], s, NULL, 0, sync) < 0)
        return -1;
      files[k] = xasprintf ("%s/%s", st->shard_dir_name, names[k]);
    }
  return sync && dfd >= 0 ? fsync (dfd) : 0;
}

/* After the rename: the files the new index no longer names.  */
static void
remove_superseded (struct ledger_store *st, struct ledger_model *m, char **files)
{
  int dfd = shard_dir (st, false);

  for (size_t k = 0; k < m->n_shards; k++)
    {
      struct ledger_shard *s = &m->shards[k];
      if (! s->dirty)
        continue;
      if (s->file)
        unlinkat (dfd, shard_name (st, s->file), 0);
      free (s->file);
      s->file = steal_pointer (&files[k]);
      s->entries = s->lines.n;
      s->dirty = false;
    }
  for (size_t i = 0; i < st->n_garbage; i++)
    unlinkat (dfd, shard_name (st, st->garbage[i]), 0);
  forget_garbage (st);
}

int
ledger_store_commit (struct ledger_store *st, struct ledger_model *m, nr_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_free char *index = NULL;
  int dfd = st->dir_fd;
  char **names = NULL; /* new file name (in the shard directory) per shard */
  char **files = NULL; /* the file the new index names per shard */
  uint64_t generation = m->generation + 1;
  size_t len;
  bool sync;
  int saved;

  if (! m->dirty)
    return 0;
  if (set_aside (st, m, err) < 0)
    return -1;
  tmp = xasprintf ("%s.tmp", st->base);
  /* On tmpfs (the default, under /run) a sync buys nothing: the files do
     not outlive the machine, and rename is atomic against a crash of the
     process.  On a disk it is what makes the rename durable.  */
  sync = ! path_on_tmpfs (st->dir);
  names = xmalloc0 (m->n_shards * sizeof (*names));
  files = xmalloc0 (m->n_shards * sizeof (*files));
  if (write_shards (st, m, generation, sync, names, files) < 0)
    goto fail;
  index = index_text (st, m, generation, files, &len);
  if (create_file (dfd, tmp, NULL, index, len, sync) < 0 || renameat (dfd, tmp, dfd, st->base) < 0)
    goto fail;
  /* Committed.  */
  if (sync && fsync (dfd) < 0)
    nr_warn ("fsync the ledger directory `%s`: %s", st->dir, strerror (errno));
  remove_superseded (st, m, files);
  m->generation = generation;
  m->dirty = false;
  free_names (names, m->n_shards);
  free_names (files, m->n_shards);
  return 0;

fail:
  /* Undo: remove what this commit wrote.  */
  saved = errno;
  for (size_t k = 0; k < m->n_shards; k++)
    if (names[k])
      unlinkat (shard_dir (st, false), names[k], 0);
  unlinkat (dfd, tmp, 0);
  free_names (names, m->n_shards);
  free_names (files, m->n_shards);
  return nr_make_error (err, saved, "write the ledger `%s`", st->path);
}

/* ---- leftovers ------------------------------------------------------------ */

/* NAME in DIR_FD as a directory stream, not through a symbolic link;
   NULL when it cannot be opened.  */
static DIR *
open_dir_at (int dir_fd, const char *name)
{
  int fd = openat (dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  DIR *dir;

  if (fd < 0)
    return NULL;
  dir = fdopendir (fd);
  if (dir == NULL)
    close (fd);
  return dir;
}

/* Is NAME (in the shard directory) a file the index refers to?  */
static bool
referenced (const struct ledger_store *st, const struct ledger_model *m, const char *name)
{
  for (size_t i = 0; i < m->n_shards; i++)
    {
      const char *file = m->shards[i].file;
      if (file && strcmp (shard_name (st, file), name) == 0)
        return true;
    }
  return false;
}

size_t
ledger_store_sweep (const struct ledger_store *st, const struct ledger_model *m)
{
  cleanup_free char *prefix = xasprintf ("%s.tmp", st->base);
  size_t prefix_len = strlen (prefix), removed = 0;
  struct dirent *de;

  {
    cleanup_dir DIR *dir = open_dir_at (st->dir_fd, ".");
    while (dir && (de = readdir (dir)) != NULL)
      {
        const char *rest = de->d_name + prefix_len;
        /* "<name>.tmp", and "<name>.tmp.<pid>" from earlier versions.  */
        if (strncmp (de->d_name, prefix, prefix_len) != 0
            || (*rest != '\0'
                && (rest[0] != '.' || rest[1] == '\0'
                    || strspn (rest + 1, "0123456789") != strlen (rest + 1))))
          continue;
        if (unlinkat (dirfd (dir), de->d_name, 0) == 0)
          removed++;
      }
  }
  /* Shard files no index refers to: written by a writer killed before
     its commit, or superseded by one killed right after it.  */
  {
    cleanup_dir DIR *dir = open_dir_at (st->dir_fd, st->shard_dir_name);
    while (dir && (de = readdir (dir)) != NULL)
      if (de->d_name[0] != '.' && ! referenced (st, m, de->d_name)
          && unlinkat (dirfd (dir), de->d_name, 0) == 0)
        removed++;
  }
  return removed;
}

/* ---- the boot ---------------------------------------------------------------- */

char *
nr_read_boot_id (const char *proc_root)
{
  cleanup_free char *path = xasprintf ("%s/sys/kernel/random/boot_id", proc_root);
  char buf[128];

  if (read_small_file (path, buf, sizeof (buf)) < 0 || buf[0] == '\0')
    return NULL;
  return xstrdup (buf);
}
