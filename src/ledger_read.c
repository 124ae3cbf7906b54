/* numa-runtime: opening the ledger — the lock, the index, each shard when
   first needed, a version 1 file, and what to do with a damaged one.  See
   ledger.h for the layout.  */
#include <config.h>

#include "json.h"
#include "ledger_internal.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

/* ---- shards ------------------------------------------------------------ */

static void
add_garbage (struct nr_ledger *l, const char *file)
{
  l->garbage = xrealloc (l->garbage, (l->n_garbage + 1) * sizeof (*l->garbage));
  l->garbage[l->n_garbage++] = xstrdup (file);
}

static void
free_shard (struct shard *s)
{
  ledger_clear_lines (s);
  free (s->lines);
  free (s->file);
  free (s->text);
  memset (s, 0, sizeof (*s));
}

/* N empty shards, replacing whatever was there.  The array stays where
   it is when its size does not change: a shard found damaged while a
   caller holds a pointer to it empties the ledger under that pointer.  */
static void
reset_shards (struct nr_ledger *l, size_t n)
{
  for (size_t i = 0; i < l->n_shards; i++)
    free_shard (&l->shards[i]);
  if (n != l->n_shards)
    {
      free (l->shards);
      l->shards = xmalloc0 (n * sizeof (*l->shards));
      l->n_shards = n;
    }
  for (size_t i = 0; i < n; i++)
    l->shards[i].loaded = true;
}

/* Forget every entry.  KEEP_FILES: the shard files become garbage of the
   next commit (a ledger from before this boot); otherwise they are left
   where they are (an unreadable ledger, moved aside as a whole).  */
static void
drop_entries (struct nr_ledger *l, bool keep_files)
{
  for (size_t i = 0; keep_files && i < l->n_shards; i++)
    if (l->shards[i].file)
      add_garbage (l, l->shards[i].file);
  reset_shards (l, LEDGER_SHARDS);
  for (size_t i = 0; i < LEDGER_SHARDS; i++)
    l->shards[i].dirty = true;
  free (l->usage);
  l->usage = NULL;
  l->n_usage = 0;
  l->reclaim_cursor = 0;
  l->dirty = true;
}

void
ledger_unreadable (struct nr_ledger *l, const char *why)
{
  char stamp[32];
  time_t now = time (NULL);
  struct tm tm;

  nr_log (NR_LOG_ERROR, "the ledger `%s` is unreadable: %s", l->path, why);
  gmtime_r (&now, &tm);
  strftime (stamp, sizeof (stamp), "%Y%m%dT%H%M%SZ", &tm);
  free (l->moved_aside);
  l->moved_aside = xasprintf ("%s.corrupt-%s-%d", l->path, stamp, (int) getpid ());
  l->aside_pending = true;
  l->rebuild_due = true;
  for (size_t i = 0; i < l->n_garbage; i++)
    free (l->garbage[i]);
  l->n_garbage = 0;
  drop_entries (l, false);
}

/* The lines of a shard file: `{"containers":[`, one entry a line with a
   comma after all but the last, `]}`.  Returns 0 when TEXT is in that
   layout.  */
static int
read_shard_lines (struct shard *s, const char *text, size_t len)
{
  static const char opening[] = "{\"containers\":[\n";
  static const char closing[] = "]}\n", id[] = "{\"id\":\"";
  const char *end = text + len - (sizeof (closing) - 1);
  const char *p;

  if (len < sizeof (opening) - 1 + sizeof (closing) - 1
      || memcmp (text, opening, sizeof (opening) - 1) != 0 || memcmp (end, closing, 3) != 0)
    return -1;
  for (p = text + sizeof (opening) - 1; p < end;)
    {
      const char *eol = memchr (p, '\n', (size_t) (end - p));
      size_t n;

      if (eol == NULL)
        return -1;
      n = (size_t) (eol - p);
      if (n > 0 && p[n - 1] == ',')
        n--;
      /* Every line we write starts with its id; one that does not is
         damage, found here for the price of a comparison.  (Damage
         further in is found when the line is parsed.)  */
      if (n < sizeof (id) || memcmp (p, id, sizeof (id) - 1) != 0 || p[n - 1] != '}')
        return -1;
      ledger_append_line (s, p, n, false);
      p = eol + 1;
    }
  return 0;
}

const char *
ledger_shard_name (const struct nr_ledger *l, const char *file)
{
  return file + strlen (l->shard_dir_name) + 1;
}

int
ledger_shard_dir (struct nr_ledger *l, bool create)
{
  cleanup_free char *path = NULL;

  if (l->shard_dir_fd >= 0)
    return l->shard_dir_fd;
  path = xasprintf ("%s/%s", l->dir, l->shard_dir_name);
  l->shard_dir_fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (l->shard_dir_fd < 0 && errno == ENOENT && create)
    {
      if (mkdir (path, 0700) < 0 && errno != EEXIST)
        return -1;
      l->shard_dir_fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    }
  return l->shard_dir_fd;
}

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

/* Does shard I hold an entry whose id belongs to another shard?  Found
   by fuzzing: such an entry is counted and charged, but find and remove
   (which go by the id's shard) never see it, so delete could not release
   it.  A ledger of another shard count is redistributed by id instead.  */
static bool
misplaced_entry (const struct nr_ledger *l, size_t i)
{
  const struct shard *s = &l->shards[i];

  if (l->n_shards != LEDGER_SHARDS)
    return false;
  for (size_t j = 0; j < s->n_lines; j++)
    {
      cleanup_free char *id = ledger_line_id (&s->lines[j]);
      /* An entry without a readable id is damage found when it is read.  */
      if (id && ledger_shard_of (id, l->n_shards) != i)
        return true;
    }
  return false;
}

void
ledger_load_shard (struct nr_ledger *l, size_t i)
{
  struct shard *s = &l->shards[i];
  cleanup_free char *path = NULL;
  cleanup_free char *why = NULL;
  cleanup_close int fd = -1;
  struct stat st;
  int dfd;

  if (s->loaded)
    return;
  path = xasprintf ("%s/%s", l->dir, s->file);
  dfd = ledger_shard_dir (l, false);
  fd = dfd < 0 ? -1
               : openat (dfd, ledger_shard_name (l, s->file),
                         O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0 || fstat (fd, &st) < 0)
    why = xasprintf ("shard `%s`: %s", path, strerror (errno));
  else if (! S_ISREG (st.st_mode) || st.st_size == 0 || st.st_size > LEDGER_MAX_SIZE)
    why = xasprintf ("shard `%s`: not a shard file", path);
  else
    {
      /* Read, not mapped: a few KB to a few dozen, where a mapping's
         set-up and tear-down cost more than the copy.  Lines point into
         the buffer and are written back from it.  Shard files are never
         modified once written, only unlinked.  */
      s->text_len = (size_t) st.st_size;
      s->text = xmalloc (s->text_len);
      if (read_exactly (fd, s->text, s->text_len) < 0)
        why = xasprintf ("shard `%s`: %s", path, errno ? strerror (errno) : "cut short");
      else if (read_shard_lines (s, s->text, s->text_len) < 0)
        why = xasprintf ("shard `%s` is damaged", path);
      else if (s->n_lines != s->entries)
        why = xasprintf ("shard `%s` holds %zu entries, the index says %zu", path, s->n_lines,
                         s->entries);
      else if (misplaced_entry (l, i))
        why = xasprintf ("shard `%s` holds an entry of another shard", path);
    }
  if (why)
    {
      ledger_unreadable (l, why);
      return;
    }
  s->loaded = true;
}

/* ---- the index ---------------------------------------------------------- */

static void
read_sums (struct nr_ledger *l, yajl_val doc)
{
  const char *boot_id = nr_json_get_string (doc, "boot_id");
  yajl_val nodes = nr_json_get (doc, "nodes");

  free (l->boot_id);
  l->boot_id = boot_id && *boot_id ? xstrdup (boot_id) : NULL;
  l->reclaim_cursor = (size_t) ledger_get_int (doc, "reclaim_cursor");
  nr_counters_read (doc, &l->counters);
  if (nodes == NULL || nodes->type != yajl_t_array)
    return;
  for (size_t i = 0; i < nodes->u.array.len; i++)
    {
      yajl_val n = nodes->u.array.values[i];
      struct nr_node_usage *u = ledger_usage_slot (l, (int) ledger_get_int (n, "node"));
      u->containers = (int) ledger_get_int (n, "containers");
      u->load = ledger_get_int (n, "load");
      u->millicpus = ledger_get_int (n, "millicpus");
      u->memory = ledger_get_int (n, "memory");
      u->hugepages = ledger_get_int (n, "hugepages");
      if (ledger_get_set (n, "exclusive_cpus", &u->exclusive, NULL) < 0)
        nr_set_clear (&u->exclusive);
    }
}

/* NAME in the form commits write, "<shard>-<generation>.json" (decimal
   numbers of at most 20 digits): anything else in an index is damage, so
   that a hand-edited index can neither point us outside the shard
   directory nor make us write back a name that needs escaping.  */
static bool
canonical_shard_name (const char *name)
{
  size_t digits = strspn (name, "0123456789");

  if (digits < 1 || digits > 20 || name[digits] != '-')
    return false;
  name += digits + 1;
  digits = strspn (name, "0123456789");
  return digits >= 1 && digits <= 20 && strcmp (name + digits, ".json") == 0;
}

/* A shard file name from the index: "<base>.d/<name>", NAME canonical.  */
static bool
valid_shard_file (const struct nr_ledger *l, const char *file)
{
  size_t n = strlen (l->shard_dir_name);

  return strncmp (file, l->shard_dir_name, n) == 0 && file[n] == '/'
         && canonical_shard_name (file + n + 1);
}

/* Does a shard other than K already name FILE?  Two shards sharing a file
   would have one's commit delete the other's entries.  */
static bool
file_named_twice (const struct nr_ledger *l, size_t k, const char *file)
{
  for (size_t i = 0; i < l->n_shards; i++)
    if (i != k && l->shards[i].file && strcmp (l->shards[i].file, file) == 0)
      return true;
  return false;
}

/* Move every entry into the shard of its id, LEDGER_SHARDS of them: a
   ledger written with another shard count.  Every old file is garbage.  */
static void
redistribute (struct nr_ledger *l)
{
  struct shard *old = steal_pointer (&l->shards);
  size_t n_old = l->n_shards;

  l->n_shards = 0;
  reset_shards (l, LEDGER_SHARDS);
  for (size_t i = 0; i < n_old; i++)
    {
      for (size_t j = 0; j < old[i].n_lines; j++)
        {
          struct line *ln = &old[i].lines[j];
          cleanup_free char *id = ledger_line_id (ln);
          struct shard *to = &l->shards[ledger_shard_of (id ? id : "", LEDGER_SHARDS)];
          ledger_append_line (to, xstrndup (ln->text, ln->len), ln->len, true);
          to->dirty = true;
        }
      if (old[i].file)
        add_garbage (l, old[i].file);
      free_shard (&old[i]);
    }
  free (old);
  l->dirty = true;
}

/* The index's header: everything but "shards".  */
static int
read_index_header (struct nr_ledger *l, yajl_val doc)
{
  long long count = ledger_get_int (doc, "shard_count");

  if (ledger_get_int (doc, "version") != LEDGER_VERSION || count < 1 || count > 4096)
    return -1;
  reset_shards (l, (size_t) count);
  read_sums (l, doc);
  l->generation = (uint64_t) ledger_get_int (doc, "generation");
  return 0;
}

static int
add_shard (struct nr_ledger *l, long long k, long long entries, const char *file, size_t file_len)
{
  struct shard *s;
  char *name;

  if (k < 0 || (size_t) k >= l->n_shards || entries < 0 || file == NULL)
    return -1;
  name = xstrndup (file, file_len);
  s = &l->shards[k];
  if (s->file || ! valid_shard_file (l, name) || file_named_twice (l, (size_t) k, name))
    {
      free (name);
      return -1;
    }
  s->file = name;
  s->entries = (size_t) entries;
  s->loaded = false;
  return 0;
}

/* After the shards are known: a ledger written with another count is
   read whole and redistributed.  */
static void
finish_index (struct nr_ledger *l)
{
  if (l->n_shards == LEDGER_SHARDS)
    return;
  nr_ledger_load_all (l);
  if (! l->rebuild_due)
    redistribute (l);
}

static int
read_index (struct nr_ledger *l, yajl_val doc)
{
  yajl_val shards = nr_json_get (doc, "shards");

  if (shards == NULL || shards->type != yajl_t_array || read_index_header (l, doc) < 0)
    return -1;
  for (size_t i = 0; i < shards->u.array.len; i++)
    {
      yajl_val v = shards->u.array.values[i];
      const char *file = nr_json_get_string (v, "file");
      if (add_shard (l, ledger_get_int (v, "shard"), ledger_get_int (v, "entries"), file,
                     file ? strlen (file) : 0)
          < 0)
        return -1;
    }
  finish_index (l);
  return 0;
}

/* The index as numa-runtime writes it, read without building a JSON tree
   of the shard list (64 objects a create would otherwise parse): the
   header goes to the parser, each `{"shard":K,"entries":N,"file":"F"}` is
   read by hand.  Returns 0 when TEXT is in that form, -1 when not (the
   caller then parses it whole); on -1 the ledger may hold part of it.  */
static int
read_index_fast (struct nr_ledger *l, const char *text, size_t len)
{
  static const char list[] = ",\"shards\":[",
                    item[] = "{\"shard\":", entries[] = ",\"entries\":", file[] = ",\"file\":\"",
                    tail[] = "]}\n";
  const char *p = memmem (text, len, list, sizeof (list) - 1);
  const char *end = text + len;
  cleanup_free char *header = NULL;
  cleanup_json yajl_val doc = NULL;

  if (p == NULL || len < sizeof (tail) || memcmp (end - 3, tail, 3) != 0)
    return -1;
  header = xasprintf ("%.*s}", (int) (p - text), text);
  if (nr_json_parse (header, strlen (header), &doc, NULL) < 0 || doc->type != yajl_t_object
      || read_index_header (l, doc) < 0)
    return -1;
  end -= 3;
  for (p += sizeof (list) - 1; p < end;)
    {
      long long k, n;
      const char *f, *q;
      char *after;

      if (! ledger_starts_with (p, end, item, sizeof (item) - 1)
          || ! isdigit ((unsigned char) p[sizeof (item) - 1]))
        return -1;
      k = strtoll (p + sizeof (item) - 1, &after, 10);
      if (! ledger_starts_with (after, end, entries, sizeof (entries) - 1)
          || ! isdigit ((unsigned char) after[sizeof (entries) - 1]))
        return -1;
      n = strtoll (after + sizeof (entries) - 1, &after, 10);
      if (! ledger_starts_with (after, end, file, sizeof (file) - 1))
        return -1;
      f = after + sizeof (file) - 1;
      for (q = f; q < end && *q != '"' && *q != '\\'; q++)
        ;
      if (q + 1 >= end || *q != '"' || q[1] != '}' || add_shard (l, k, n, f, (size_t) (q - f)) < 0)
        return -1;
      p = q + 2;
      if (p < end && *p == ',')
        p++;
    }
  finish_index (l);
  return 0;
}

/* A version 1 ledger: one document with every entry in "containers".
   Read them all into their shards; the next commit writes version 2.  */
static int
read_v1 (struct nr_ledger *l, yajl_val doc)
{
  yajl_val containers = nr_json_get (doc, "containers");

  if (containers == NULL || containers->type != yajl_t_array)
    return -1;
  reset_shards (l, LEDGER_SHARDS);
  read_sums (l, doc);
  for (size_t i = 0; i < containers->u.array.len; i++)
    {
      struct nr_ledger_entry e;
      struct shard *s;
      size_t n;
      char *line;

      if (ledger_entry_from_json (containers->u.array.values[i], &e, NULL) < 0)
        return -1;
      s = &l->shards[ledger_shard_of (e.id, LEDGER_SHARDS)];
      line = ledger_entry_to_line (&e, &n);
      ledger_append_line (s, line, n, true);
      s->dirty = true;
      nr_ledger_entry_free (&e);
    }
  l->dirty = true;
  return nr_ledger_recompute (l, NULL);
}

static int
load_index (struct nr_ledger *l, nr_error_t *err)
{
  cleanup_close int fd = open (l->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  cleanup_free char *text = NULL;
  cleanup_json yajl_val doc = NULL;
  struct stat st;
  size_t len;

  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return nr_make_error (err, errno, "open the ledger `%s`", l->path);
  if (fstat (fd, &st) < 0 || ! S_ISREG (st.st_mode) || st.st_size > LEDGER_MAX_SIZE)
    {
      ledger_unreadable (l, "not a regular file of a sane size");
      return 0;
    }
  if (st.st_size == 0)
    return 0;
  if (read_fd (fd, LEDGER_MAX_SIZE, "the ledger", &text, &len, err) < 0)
    return -1;
  if (strncmp (text, "{\"version\":2,", 12) == 0 && read_index_fast (l, text, len) == 0)
    return 0;
  if (nr_json_parse (text, len, &doc, NULL) < 0 || doc->type != yajl_t_object)
    ledger_unreadable (l, "not JSON");
  else if (nr_json_get (doc, "shards") ? read_index (l, doc) < 0 : read_v1 (l, doc) < 0)
    ledger_unreadable (l, "not a ledger index");
  return 0;
}

/* ---- opening and closing ------------------------------------------------ */

char *
nr_read_boot_id (const char *proc_root)
{
  cleanup_free char *path = xasprintf ("%s/sys/kernel/random/boot_id", proc_root);
  char buf[128];

  if (read_small_file (path, buf, sizeof (buf)) < 0 || buf[0] == '\0')
    return NULL;
  return xstrdup (buf);
}

int
nr_ledger_open (const char *path, const char *boot_id, struct nr_ledger **out, nr_error_t *err)
{
  struct nr_ledger *l = xmalloc0 (sizeof (*l));
  cleanup_ledger struct nr_ledger *owned = l;
  cleanup_free char *dir_copy = xstrdup (path);
  cleanup_free char *base_copy = xstrdup (path);
  cleanup_free char *lock_path = xasprintf ("%s.lock", path);

  l->path = xstrdup (path);
  l->dir = xstrdup (dirname (dir_copy));
  l->base = xstrdup (basename (base_copy));
  l->shard_dir_name = xasprintf ("%s.d", l->base);
  l->lock_fd = -1;
  l->shard_dir_fd = -1;
  reset_shards (l, LEDGER_SHARDS);
  if (mkdir_parents (l->dir, 0700, err) < 0)
    return nr_error_wrap (err, "create the ledger directory");
  /* Whoever can write there can make a root process read what they
     like.  */
  if (check_private_dir (l->dir, "the ledger directory", err) < 0)
    return -1;
  l->lock_fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (l->lock_fd < 0)
    return nr_make_error (err, errno, "open the ledger lock `%s`", lock_path);
  while (flock (l->lock_fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return nr_make_error (err, errno, "lock `%s`", lock_path);
  if (load_index (l, err) < 0)
    return -1;
  if (boot_id && (l->boot_id == NULL || strcmp (l->boot_id, boot_id) != 0))
    {
      /* Written before this boot: every container it lists is gone.  */
      drop_entries (l, true);
      memset (&l->counters, 0, sizeof (l->counters)); /* they count since boot */
      free (l->boot_id);
      l->boot_id = xstrdup (boot_id);
    }
  *out = steal_pointer (&owned);
  return 0;
}

void
nr_ledger_close (struct nr_ledger *l)
{
  if (l == NULL)
    return;
  if (l->lock_fd >= 0)
    close (l->lock_fd); /* releases the flock */
  if (l->shard_dir_fd >= 0)
    close (l->shard_dir_fd);
  for (size_t i = 0; i < l->n_shards; i++)
    free_shard (&l->shards[i]);
  free (l->shards);
  for (size_t i = 0; i < l->n_garbage; i++)
    free (l->garbage[i]);
  free (l->garbage);
  free (l->usage);
  free (l->path);
  free (l->dir);
  free (l->base);
  free (l->shard_dir_name);
  free (l->boot_id);
  free (l->moved_aside);
  free (l);
}

void
cleanup_ledgerp (struct nr_ledger **l)
{
  nr_ledger_close (*l);
}
