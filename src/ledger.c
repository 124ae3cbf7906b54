/* numa-runtime: the allocation ledger.  See ledger.h for the file layout.  */
#include <config.h>

#include "json.h"
#include "ledger_internal.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/file.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <yajl/yajl_gen.h>

/* ---- per-node sums --------------------------------------------------- */

static struct nr_node_usage *
usage_slot (struct nr_ledger *l, int node)
{
  size_t i;

  for (i = 0; i < l->n_usage && l->usage[i].node < node; i++)
    ;
  if (i < l->n_usage && l->usage[i].node == node)
    return &l->usage[i];
  l->usage = xrealloc (l->usage, (l->n_usage + 1) * sizeof (*l->usage));
  memmove (&l->usage[i + 1], &l->usage[i], (l->n_usage - i) * sizeof (*l->usage));
  l->n_usage++;
  memset (&l->usage[i], 0, sizeof (*l->usage));
  l->usage[i].node = node;
  return &l->usage[i];
}

/* Node K of N of an entry gets an even share of VALUE, the first node the
   remainder, so that adding and removing an entry cancel exactly.  */
static int64_t
share (int64_t value, int n, int k)
{
  return value / n + (k == 0 ? value % n : 0);
}

static void
account (struct nr_ledger *l, const struct nr_ledger_entry *e, int sign)
{
  int n = nr_set_count (&e->nodes);
  int k = 0;

  for (int node = nr_set_next (&e->nodes, 0); node >= 0;
       node = nr_set_next (&e->nodes, node + 1), k++)
    {
      struct nr_node_usage *u = usage_slot (l, node);
      u->containers += sign;
      u->load += sign * share (e->load, n, k);
      u->millicpus += sign * share (e->millicpus, n, k);
      u->memory += sign * share (e->memory, n, k);
      u->hugepages += sign * share (e->hugepages, n, k);
      if (sign > 0)
        nr_set_union (&u->exclusive, &e->exclusive);
      else
        nr_set_subtract (&u->exclusive, &e->exclusive);
    }
}

int
nr_ledger_recompute (struct nr_ledger *l, nr_error_t *err)
{
  free (l->usage);
  l->usage = NULL;
  l->n_usage = 0;
  for (size_t i = 0; i < l->n_lines; i++)
    {
      struct nr_ledger_entry e;
      if (ledger_entry_from_text (l->lines[i].text, l->lines[i].len, &e, err) < 0)
        return -1;
      account (l, &e, +1);
      nr_ledger_entry_free (&e);
    }
  return 0;
}

void
nr_ledger_usage (const struct nr_ledger *l, int node, struct nr_node_usage *out)
{
  memset (out, 0, sizeof (*out));
  out->node = node;
  for (size_t i = 0; i < l->n_usage; i++)
    if (l->usage[i].node == node)
      *out = l->usage[i];
}

/* ---- lines ----------------------------------------------------------- */

static void
append_line (struct nr_ledger *l, const char *text, size_t len, bool owned)
{
  if (l->n_lines == l->cap_lines)
    {
      l->cap_lines = l->cap_lines ? l->cap_lines * 2 : 64;
      l->lines = xrealloc (l->lines, l->cap_lines * sizeof (*l->lines));
    }
  l->lines[l->n_lines].text = text;
  l->lines[l->n_lines].len = len;
  l->lines[l->n_lines].owned = owned;
  l->n_lines++;
}

static void
free_line (struct line *ln)
{
  if (ln->owned)
    free ((char *) ln->text);
  ln->text = NULL;
}

/* `{"id":"<escaped id>"` as our generator writes it.  */
static char *
id_prefix (const char *id, size_t *len)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_map_open (g);
  nr_json_gen_string (g, "id", id);
  return nr_json_gen_finish (g, len);
}

static ssize_t
find_line (const struct nr_ledger *l, const char *id)
{
  size_t plen;
  cleanup_free char *prefix = id_prefix (id, &plen);

  for (size_t i = 0; i < l->n_lines; i++)
    {
      const struct line *ln = &l->lines[i];
      if (ln->len > plen && memcmp (ln->text, prefix, plen) == 0
          && (ln->text[plen] == ',' || ln->text[plen] == '}'))
        return (ssize_t) i;
    }
  return -1;
}

size_t
nr_ledger_count (const struct nr_ledger *l)
{
  return l->n_lines;
}

int
nr_ledger_entry_at (const struct nr_ledger *l, size_t i, struct nr_ledger_entry *out,
                    nr_error_t *err)
{
  return ledger_entry_from_text (l->lines[i].text, l->lines[i].len, out, err);
}

/* The string value starting right after the opening quote at P (END
   bounds the line), copied, when it holds no escape; NULL otherwise.  */
static char *
plain_string (const char *p, const char *end)
{
  const char *q = p;

  while (q < end && *q != '"' && *q != '\\')
    q++;
  if (q >= end || *q != '"')
    return NULL;
  return xstrndup (p, (size_t) (q - p));
}

/* Where the value of a member starts in line LN, when PATTERN (the
   member as the generator writes it: `,"key":`) occurs exactly once, else
   NULL.
   Inside a string yajl writes every '"' as '\\"', so `,"key":` can only be
   the member itself.  */
static const char *
member_value (const struct line *ln, const char *pattern)
{
  size_t n = strlen (pattern);
  const char *end = ln->text + ln->len;
  const char *hit = memmem (ln->text, ln->len, pattern, (size_t) n);

  if (hit == NULL || memmem (hit + n, (size_t) (end - hit) - n, pattern, n))
    return NULL;
  return hit + n;
}

static bool
member_integer (const struct line *ln, const char *pattern, long long *out)
{
  const char *v = member_value (ln, pattern);
  char *after;

  if (v == NULL)
    return false;
  errno = 0;
  *out = strtoll (v, &after, 10);
  return errno == 0 && after != v && (*after == ',' || *after == '}');
}

int
nr_ledger_entry_brief_at (const struct nr_ledger *l, size_t i, struct nr_ledger_entry *out,
                          nr_error_t *err)
{
  static const char opening[] = "{\"id\":\"";
  const struct line *ln = &l->lines[i];
  const char *end = ln->text + ln->len;
  const char *root;
  long long pid = 0, start = 0;

  memset (out, 0, sizeof (*out));
  if (ln->len > sizeof (opening) && memcmp (ln->text, opening, sizeof (opening) - 1) == 0
      && (out->id = plain_string (ln->text + sizeof (opening) - 1, end)) != NULL
      && member_integer (ln, ",\"pid\":", &pid) && member_integer (ln, ",\"pid_start\":", &start))
    {
      root = member_value (ln, ",\"root\":");
      if (root == NULL && memmem (ln->text, ln->len, "\"root\"", 6) == NULL)
        goto done; /* no root recorded */
      if (root && *root == '"' && (out->root = plain_string (root + 1, end)) != NULL)
        goto done;
    }
  /* Anything unusual: escapes, another layout, a hand-edited line.  */
  nr_ledger_entry_free (out);
  {
    struct nr_ledger_entry full;
    if (ledger_entry_from_text (ln->text, ln->len, &full, err) < 0)
      return -1;
    out->id = steal_pointer (&full.id);
    out->root = steal_pointer (&full.root);
    out->creator_pid = full.creator_pid;
    out->creator_start = full.creator_start;
    nr_ledger_entry_free (&full);
    return 0;
  }
done:
  out->creator_pid = (int) pid;
  out->creator_start = (uint64_t) start;
  return 0;
}

int
nr_ledger_find (const struct nr_ledger *l, const char *id, struct nr_ledger_entry *out,
                nr_error_t *err)
{
  ssize_t i = find_line (l, id);

  if (i < 0)
    return 0;
  if (out && ledger_entry_from_text (l->lines[i].text, l->lines[i].len, out, err) < 0)
    return -1;
  return 1;
}

int
nr_ledger_find_pod (const struct nr_ledger *l, const char *pod, struct nr_ledger_entry *out,
                    nr_error_t *err)
{
  cleanup_free char *needle = NULL;
  size_t needle_len;
  int found = nr_ledger_find (l, pod, out, err);

  if (found != 0)
    return found;
  {
    /* `,"pod":"<escaped id>"` as our generator writes it.  */
    yajl_gen g = yajl_gen_alloc (NULL);
    yajl_gen_map_open (g);
    nr_json_gen_string (g, "pod", pod);
    needle = nr_json_gen_finish (g, &needle_len);
    needle[0] = ',';
  }
  for (size_t i = 0; i < l->n_lines; i++)
    {
      const struct line *ln = &l->lines[i];
      const char *hit = memmem (ln->text, ln->len, needle, needle_len);
      if (hit && (hit[needle_len] == ',' || hit[needle_len] == '}'))
        return ledger_entry_from_text (ln->text, ln->len, out, err) < 0 ? -1 : 1;
    }
  return 0;
}

bool
nr_ledger_remove (struct nr_ledger *l, const char *id)
{
  ssize_t i = find_line (l, id);
  struct nr_ledger_entry e;

  if (i < 0)
    return false;
  /* Our own line: it parsed when it was written.  */
  if (ledger_entry_from_text (l->lines[i].text, l->lines[i].len, &e, NULL) == 0)
    {
      account (l, &e, -1);
      nr_ledger_entry_free (&e);
    }
  free_line (&l->lines[i]);
  memmove (&l->lines[i], &l->lines[i + 1], (l->n_lines - (size_t) i - 1) * sizeof (*l->lines));
  l->n_lines--;
  l->dirty = true;
  return true;
}

void
nr_ledger_add (struct nr_ledger *l, const struct nr_ledger_entry *e)
{
  size_t len;
  char *text;

  nr_ledger_remove (l, e->id);
  text = ledger_entry_to_line (e, &len);
  append_line (l, text, len, true);
  account (l, e, +1);
  l->dirty = true;
}

size_t
nr_ledger_reclaim_cursor (const struct nr_ledger *l)
{
  return l->reclaim_cursor;
}

void
nr_ledger_set_reclaim_cursor (struct nr_ledger *l, size_t cursor)
{
  if (cursor != l->reclaim_cursor)
    {
      l->reclaim_cursor = cursor;
      l->dirty = true;
    }
}

const char *
nr_ledger_moved_aside (const struct nr_ledger *l)
{
  return l->moved_aside;
}

/* ---- reading the file ------------------------------------------------ */

static void
read_header (struct nr_ledger *l, yajl_val doc)
{
  const char *boot_id = nr_json_get_string (doc, "boot_id");
  yajl_val nodes = nr_json_get (doc, "nodes");

  free (l->boot_id);
  l->boot_id = boot_id && *boot_id ? xstrdup (boot_id) : NULL;
  l->reclaim_cursor = (size_t) ledger_get_int (doc, "reclaim_cursor");
  if (nodes == NULL || nodes->type != yajl_t_array)
    return;
  for (size_t i = 0; i < nodes->u.array.len; i++)
    {
      yajl_val n = nodes->u.array.values[i];
      struct nr_node_usage *u = usage_slot (l, (int) ledger_get_int (n, "node"));
      u->containers = (int) ledger_get_int (n, "containers");
      u->load = ledger_get_int (n, "load");
      u->millicpus = ledger_get_int (n, "millicpus");
      u->memory = ledger_get_int (n, "memory");
      u->hugepages = ledger_get_int (n, "hugepages");
      if (ledger_get_set (n, "exclusive_cpus", &u->exclusive, NULL) < 0)
        nr_set_clear (&u->exclusive);
    }
}

/* Our own layout: header line, entry lines, "]}".  Returns 0 when TEXT is
   in it, -1 otherwise (then the caller reads it as plain JSON).  */
static int
read_line_layout (struct nr_ledger *l, const char *text, size_t len)
{
  const char *nl = memchr (text, '\n', len);
  const char *end = text + len;
  const char *p;
  cleanup_free char *header = NULL;
  cleanup_json yajl_val doc = NULL;
  static const char opening[] = "\"containers\":[";
  static const char closing[] = "]}\n";

  if (nl == NULL || (size_t) (nl - text) < sizeof (opening)
      || memcmp (nl - (sizeof (opening) - 1), opening, sizeof (opening) - 1) != 0
      || len < sizeof (closing) - 1
      || memcmp (end - (sizeof (closing) - 1), closing, sizeof (closing) - 1) != 0)
    return -1;
  header = xasprintf ("%.*s]}", (int) (nl - text), text);
  if (nr_json_parse (header, strlen (header), &doc, NULL) < 0)
    return -1;
  if (ledger_get_int (doc, "version") != LEDGER_VERSION)
    return -1;

  end -= sizeof (closing) - 1;
  for (p = nl + 1; p < end;)
    {
      const char *eol = memchr (p, '\n', (size_t) (end - p));
      size_t n;
      if (eol == NULL)
        return -1;
      n = (size_t) (eol - p);
      if (n > 0 && p[n - 1] == ',')
        n--;
      if (n < 2 || p[0] != '{' || p[n - 1] != '}')
        return -1;
      append_line (l, p, n, false);
      p = eol + 1;
    }
  read_header (l, doc);
  return 0;
}

/* Any other JSON document with a "containers" array: read every entry and
   recompute the sums.  */
static int
read_any_json (struct nr_ledger *l, const char *text, size_t len, nr_error_t *err)
{
  cleanup_json yajl_val doc = NULL;
  yajl_val containers;

  if (nr_json_parse (text, len, &doc, err) < 0)
    return -1;
  containers = nr_json_get (doc, "containers");
  if (doc->type != yajl_t_object || (containers && containers->type != yajl_t_array))
    return nr_make_error (err, 0, "not a ledger document");
  read_header (l, doc);
  for (size_t i = 0; containers && i < containers->u.array.len; i++)
    {
      struct nr_ledger_entry e;
      size_t n;
      char *line;
      if (ledger_entry_from_json (containers->u.array.values[i], &e, err) < 0)
        return -1;
      line = ledger_entry_to_line (&e, &n);
      append_line (l, line, n, true);
      nr_ledger_entry_free (&e);
    }
  l->dirty = true;
  return nr_ledger_recompute (l, err);
}

static void
drop_entries (struct nr_ledger *l)
{
  for (size_t i = 0; i < l->n_lines; i++)
    free_line (&l->lines[i]);
  l->n_lines = 0;
  free (l->usage);
  l->usage = NULL;
  l->n_usage = 0;
  l->dirty = true;
}

/* Keep an unreadable ledger for the admin and start from nothing.  The
   file is set aside only when a good ledger replaces it (see
   ledger_set_aside): a process that opens the ledger and never commits (a delete
   that finds nothing to release) must leave it for the next one, which
   will report it and rebuild, rather than leave no ledger at all.  */
static int
move_aside (struct nr_ledger *l, nr_error_t *err)
{
  char stamp[32];
  time_t now = time (NULL);
  struct tm tm;

  gmtime_r (&now, &tm);
  strftime (stamp, sizeof (stamp), "%Y%m%dT%H%M%SZ", &tm);
  free (l->moved_aside);
  l->moved_aside = xasprintf ("%s.corrupt-%s-%d", l->path, stamp, (int) getpid ());
  l->aside_pending = true;
  drop_entries (l);
  return 0;
}

/* Give the unreadable file its aside name, keeping it at PATH too, so that
   the rename of the new ledger still replaces PATH in one step.  Things
   that cannot be linked (a directory) are renamed instead.  */
int
ledger_set_aside (struct nr_ledger *l, nr_error_t *err)
{
  if (! l->aside_pending)
    return 0;
  if (link (l->path, l->moved_aside) < 0 && errno != ENOENT && rename (l->path, l->moved_aside) < 0
      && errno != ENOENT)
    return nr_make_error (err, errno, "move the unreadable ledger `%s` aside", l->path);
  l->aside_pending = false;
  return 0;
}

static int
load_file (struct nr_ledger *l, nr_error_t *err)
{
  cleanup_close int fd = open (l->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  cleanup_free char *text = NULL;
  struct stat st;
  size_t size;
  void *map;

  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return nr_make_error (err, errno, "open the ledger `%s`", l->path);
  if (fstat (fd, &st) < 0)
    return nr_make_error (err, errno, "stat the ledger `%s`", l->path);
  if (! S_ISREG (st.st_mode) || st.st_size > LEDGER_MAX_SIZE)
    return move_aside (l, err);
  size = (size_t) st.st_size;
  if (size == 0)
    return 0;
  /* Mapped, not read: no copy, and MAP_POPULATE maps every page in one
     go rather than a fault at a time.  We only ever replace the file by
     rename, so the mapping stays valid; someone truncating the file in
     place while we hold it would crash this process (SIGBUS) before it
     commits anything, which leaves the ledger as it was.  */
  map = mmap (NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (map == MAP_FAILED)
    return nr_make_error (err, errno, "map the ledger `%s`", l->path);
  l->map = map;
  l->map_len = size;
  if (read_line_layout (l, l->map, size) == 0)
    return 0;
  drop_entries (l);
  l->dirty = false;
  /* Any other JSON layout: the parser wants a NUL-terminated copy.  */
  text = xmalloc (size + 1);
  memcpy (text, l->map, size);
  text[size] = '\0';
  if (read_any_json (l, text, size, NULL) == 0)
    return 0;
  return move_aside (l, err);
}

size_t
nr_ledger_remove_stale_temps (const struct nr_ledger *l)
{
  cleanup_free char *dir_copy = xstrdup (l->path);
  cleanup_free char *base_copy = xstrdup (l->path);
  const char *dir_path = dirname (dir_copy);
  cleanup_free char *prefix = xasprintf ("%s.tmp", basename (base_copy));
  size_t prefix_len = strlen (prefix), removed = 0;
  DIR *dir = opendir (dir_path);
  struct dirent *de;

  if (dir == NULL)
    return 0;
  while ((de = readdir (dir)) != NULL)
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
  closedir (dir);
  return removed;
}

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
  cleanup_free char *lock_path = xasprintf ("%s.lock", path);
  const char *dir = dirname (dir_copy);

  l->path = xstrdup (path);
  l->lock_fd = -1;
  if (mkdir_parents (dir, 0700, err) < 0)
    return nr_error_wrap (err, "create the ledger directory");
  l->lock_fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (l->lock_fd < 0)
    return nr_make_error (err, errno, "open the ledger lock `%s`", lock_path);
  while (flock (l->lock_fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return nr_make_error (err, errno, "lock `%s`", lock_path);
  if (load_file (l, err) < 0)
    return -1;
  if (boot_id && (l->boot_id == NULL || strcmp (l->boot_id, boot_id) != 0))
    {
      /* Written before this boot: every container it lists is gone.  */
      if (l->n_lines > 0)
        drop_entries (l);
      free (l->boot_id);
      l->boot_id = xstrdup (boot_id);
      l->reclaim_cursor = 0;
      l->dirty = true;
    }
  *out = steal_pointer (&owned);
  return 0;
}

/* Append BASE/LEN to the write list, extending the previous piece when
   it ends where this one starts (runs of untouched lines in the mapping
   become a single piece).  */
void
nr_ledger_close (struct nr_ledger *l)
{
  if (l == NULL)
    return;
  if (l->lock_fd >= 0)
    close (l->lock_fd); /* releases the flock */
  drop_entries (l);
  free (l->lines);
  free (l->path);
  free (l->boot_id);
  free (l->moved_aside);
  if (l->map)
    munmap (l->map, l->map_len);
  free (l);
}

void
cleanup_ledgerp (struct nr_ledger **l)
{
  nr_ledger_close (*l);
}
