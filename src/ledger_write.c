/* numa-runtime: committing the ledger — each changed shard into a new
   file, then the index into a temp file renamed over the old one, which is
   the moment the update happens — and what commits leave behind: a
   damaged ledger set aside, files of writers killed half-way.  See
   ledger.h.  */
#include <config.h>

#include "ledger_internal.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

/* S as a JSON string's contents (escaped, without the quotes).  */
static char *
json_plain (const char *s)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  char *out;

  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
  yajl_gen_get_buf (g, &buf, &len);
  out = xstrndup ((const char *) buf + 1, len - 2);
  yajl_gen_free (g);
  return out;
}

/* The index as one line, naming FILES[k] (NULL: none) for shard k.  */
static char *
index_text (const struct nr_ledger *l, uint64_t generation, char **files, size_t *len)
{
  static const char head[] = ",\"shards\":[";
  static const char item_fmt[] = "%s{\"shard\":%zu,\"entries\":%zu,\"file\":\"%s%s\"}";
  yajl_gen g = yajl_gen_alloc (NULL);
  cleanup_free char *dir_json = json_plain (l->shard_dir_name);
  const unsigned char *buf;
  char *out;
  size_t n, size;

  yajl_gen_map_open (g);
  nr_json_gen_int (g, "version", LEDGER_VERSION);
  nr_json_gen_string (g, "boot_id", l->boot_id ? l->boot_id : "");
  nr_json_gen_int (g, "generation", (long long) generation);
  nr_json_gen_int (g, "reclaim_cursor", (long long) l->reclaim_cursor);
  nr_json_gen_int (g, "shard_count", (long long) l->n_shards);
  nr_json_gen_key (g, "nodes");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < l->n_usage; i++)
    {
      const struct nr_node_usage *u = &l->usage[i];
      if (u->containers == 0)
        continue;
      yajl_gen_map_open (g);
      nr_json_gen_int (g, "node", u->node);
      nr_json_gen_int (g, "containers", u->containers);
      nr_json_gen_int (g, "load", u->load);
      nr_json_gen_int (g, "millicpus", u->millicpus);
      nr_json_gen_int (g, "memory", u->memory);
      nr_json_gen_int (g, "hugepages", u->hugepages);
      nr_json_gen_set (g, "exclusive_cpus", &u->exclusive);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  nr_counters_gen (g, &l->counters);
  /* The shard list by hand: 64 small objects through the generator cost
     a create more than everything else it writes.  File names are ours
     ("<base>.d/NN-G.json", the reader refuses any other form); only the
     base name can need escaping.  The buffer is sized from the names
     themselves all the same.  */
  yajl_gen_get_buf (g, &buf, &n);
  size = n + sizeof (head) + 4;
  for (size_t k = 0; k < l->n_shards; k++)
    if (files[k] != NULL)
      size += sizeof (item_fmt) + 2 * 20 + strlen (dir_json) + strlen (files[k]);
  out = xmalloc (size);
  memcpy (out, buf, n);
  memcpy (out + n, head, sizeof (head) - 1);
  n += sizeof (head) - 1;
  for (size_t k = 0; k < l->n_shards; k++)
    {
      const struct shard *s = &l->shards[k];
      if (files[k] == NULL)
        continue;
      n += (size_t) snprintf (out + n, size - n, item_fmt, out[n - 1] == '[' ? "" : ",", k,
                              s->loaded ? s->n_lines : s->entries, dir_json,
                              files[k] + strlen (l->shard_dir_name));
    }
  memcpy (out + n, "]}\n", 4);
  *len = n + 3;
  yajl_gen_free (g);
  return out;
}

static void
push_piece (struct iovec *iov, size_t *n, const char *base, size_t len)
{
  if (*n > 0 && (const char *) iov[*n - 1].iov_base + iov[*n - 1].iov_len == base)
    iov[*n - 1].iov_len += len;
  else
    iov[(*n)++] = (struct iovec){ .iov_base = (void *) base, .iov_len = len };
}

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

/* Shard S's lines in its file layout, written to FD.  Lines still in
   the old file's text go out from there, with the separator that
   follows them when it is the right one.  */
static int
write_shard (int fd, const struct shard *s)
{
  static const char opening[] = "{\"containers\":[\n", more[] = ",\n", last[] = "\n",
                    closing[] = "]}\n";
  cleanup_free struct iovec *iov = xmalloc ((2 * s->n_lines + 2) * sizeof (*iov));
  size_t n = 0;

  push_piece (iov, &n, opening, sizeof (opening) - 1);
  for (size_t i = 0; i < s->n_lines; i++)
    {
      const struct line *ln = &s->lines[i];
      const char *sep = i + 1 < s->n_lines ? more : last;
      size_t sep_len = strlen (sep);
      const char *after = ln->text + ln->len;

      if (! ln->owned && s->text && after >= s->text
          && (size_t) (after - s->text) + sep_len <= s->text_len
          && memcmp (after, sep, sep_len) == 0)
        push_piece (iov, &n, ln->text, ln->len + sep_len);
      else
        {
          push_piece (iov, &n, ln->text, ln->len);
          push_piece (iov, &n, sep, sep_len);
        }
    }
  push_piece (iov, &n, closing, sizeof (closing) - 1);
  return writev_all (fd, iov, n);
}

/* Create NAME in DFD (replacing a leftover of a writer killed before its
   commit), 0600 whatever the umask, filled by WRITE_FN or DATA.  */
static int
create_file (int dfd, const char *name, const struct shard *s, const char *data, size_t len,
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
  if (r == 0)
    r = s ? write_shard (fd, s) : write_all (fd, data, len);
  if (r == 0 && sync)
    r = fsync (fd);
  if (r == 0)
    {
      r = close (fd);
      fd = -1;
    }
  return r;
}

/* Undo a commit that failed before its rename: remove what it wrote.  */
static void
discard (int shard_dfd, char **names, size_t n_shards, int dfd, const char *tmp)
{
  for (size_t k = 0; k < n_shards; k++)
    if (names[k])
      unlinkat (shard_dfd, names[k], 0);
  unlinkat (dfd, tmp, 0);
}

static void
free_names (char **names, size_t n)
{
  for (size_t k = 0; k < n; k++)
    free (names[k]);
  free (names);
}

int
nr_ledger_commit (struct nr_ledger *l, nr_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_free char *index = NULL;
  cleanup_close int dfd = -1;
  int shard_dfd = -1;
  char **names = NULL; /* new file name (in the shard directory) per shard */
  char **files = NULL; /* the file the new index names per shard */
  uint64_t generation = l->generation + 1;
  size_t len;
  bool sync;
  int saved;

  if (! l->dirty)
    return 0;
  if (ledger_set_aside (l, err) < 0)
    return -1;
  tmp = xasprintf ("%s.tmp", l->base);
  dfd = open (l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return nr_make_error (err, errno, "open the ledger directory `%s`", l->dir);
  /* On tmpfs (the default, under /run) a sync buys nothing: the files do
     not outlive the machine, and rename is atomic against a crash of the
     process.  On a disk it is what makes the rename durable.  */
  sync = ! path_on_tmpfs (l->dir);

  names = xmalloc0 (l->n_shards * sizeof (*names));
  files = xmalloc0 (l->n_shards * sizeof (*files));
  for (size_t k = 0; k < l->n_shards; k++)
    {
      struct shard *s = &l->shards[k];
      if (! s->dirty)
        {
          files[k] = s->file ? xstrdup (s->file) : NULL;
          continue;
        }
      if (s->n_lines == 0)
        continue;
      if (shard_dfd < 0 && (shard_dfd = ledger_shard_dir (l, true)) < 0)
        goto fail;
      names[k] = xasprintf ("%02zu-%" PRIu64 ".json", k, generation);
      if (create_file (shard_dfd, names[k], s, NULL, 0, sync) < 0)
        goto fail;
      files[k] = xasprintf ("%s/%s", l->shard_dir_name, names[k]);
    }
  if (sync && shard_dfd >= 0 && fsync (shard_dfd) < 0)
    goto fail;
  index = index_text (l, generation, files, &len);
  if (create_file (dfd, tmp, NULL, index, len, sync) < 0 || renameat (dfd, tmp, dfd, l->base) < 0)
    goto fail;
  /* Committed.  */
  if (sync && fsync (dfd) < 0)
    nr_warn ("fsync the ledger directory `%s`: %s", l->dir, strerror (errno));
  for (size_t k = 0; k < l->n_shards; k++)
    {
      struct shard *s = &l->shards[k];
      if (! s->dirty)
        continue;
      if (s->file)
        unlinkat (ledger_shard_dir (l, false), ledger_shard_name (l, s->file), 0);
      free (s->file);
      s->file = steal_pointer (&files[k]);
      s->entries = s->n_lines;
      s->dirty = false;
    }
  for (size_t i = 0; i < l->n_garbage; i++)
    {
      unlinkat (ledger_shard_dir (l, false), ledger_shard_name (l, l->garbage[i]), 0);
      free (l->garbage[i]);
    }
  l->n_garbage = 0;
  l->generation = generation;
  l->dirty = false;
  free_names (names, l->n_shards);
  free_names (files, l->n_shards);
  return 0;

fail:
  saved = errno;
  discard (shard_dfd, names, l->n_shards, dfd, tmp);
  free_names (names, l->n_shards);
  free_names (files, l->n_shards);
  return nr_make_error (err, saved, "write the ledger `%s`", l->path);
}

/* ---- what a commit leaves: the damaged ledger aside, leftovers -------- */

/* Give the unreadable index its aside name, keeping it at PATH too, so
   that the rename of the new one still replaces PATH in one step, and
   move the shard directory along with it.  */
int
ledger_set_aside (struct nr_ledger *l, nr_error_t *err)
{
  cleanup_free char *shard_dir = NULL;
  cleanup_free char *aside_dir = NULL;

  if (! l->aside_pending)
    return 0;
  if (link (l->path, l->moved_aside) < 0 && errno != ENOENT && rename (l->path, l->moved_aside) < 0
      && errno != ENOENT)
    return nr_make_error (err, errno, "move the unreadable ledger `%s` aside", l->path);
  shard_dir = xasprintf ("%s/%s", l->dir, l->shard_dir_name);
  aside_dir = xasprintf ("%s.d", l->moved_aside);
  if (rename (shard_dir, aside_dir) < 0 && errno != ENOENT)
    return nr_make_error (err, errno, "move `%s` aside", shard_dir);
  /* Whatever we had open is the damaged one's now.  */
  if (l->shard_dir_fd >= 0)
    close (l->shard_dir_fd);
  l->shard_dir_fd = -1;
  l->aside_pending = false;
  l->counters.set_asides++;
  return 0;
}

/* Is NAME (in the shard directory) a file the index refers to?  */
static bool
referenced (const struct nr_ledger *l, const char *name)
{
  size_t n = strlen (l->shard_dir_name);

  for (size_t i = 0; i < l->n_shards; i++)
    {
      const char *file = l->shards[i].file;
      if (file && strncmp (file, l->shard_dir_name, n) == 0 && strcmp (file + n + 1, name) == 0)
        return true;
    }
  return false;
}

size_t
nr_ledger_remove_stale_temps (const struct nr_ledger *l)
{
  cleanup_free char *prefix = xasprintf ("%s.tmp", l->base);
  cleanup_free char *shard_dir = xasprintf ("%s/%s", l->dir, l->shard_dir_name);
  size_t prefix_len = strlen (prefix), removed = 0;
  struct dirent *de;

  {
    cleanup_dir DIR *dir = opendir (l->dir);
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
    cleanup_dir DIR *dir = opendir (shard_dir);
    while (dir && (de = readdir (dir)) != NULL)
      if (de->d_name[0] != '.' && ! referenced (l, de->d_name)
          && unlinkat (dirfd (dir), de->d_name, 0) == 0)
        removed++;
  }
  return removed;
}
