/* numa-runtime: writing the ledger — its header, then every line, into a
   temp file renamed over the old one.  */
#include <config.h>

#include "ledger_internal.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

char *
ledger_header_text (const struct nr_ledger *l, size_t *len)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t buf_len;
  char *out;

  yajl_gen_map_open (g);
  nr_json_gen_int (g, "version", LEDGER_VERSION);
  nr_json_gen_string (g, "boot_id", l->boot_id ? l->boot_id : "");
  nr_json_gen_int (g, "reclaim_cursor", (long long) l->reclaim_cursor);
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
  nr_json_gen_key (g, "containers");
  yajl_gen_array_open (g);
  /* yajl would close the array and map; we write the entries ourselves,
     so cut its buffer right after the opening bracket.  */
  yajl_gen_get_buf (g, &buf, &buf_len);
  out = xstrndup ((const char *) buf, buf_len);
  *len = buf_len;
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

static int
fsync_dir (const char *path)
{
  cleanup_free char *copy = xstrdup (path);
  cleanup_close int dfd = open (dirname (copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  return dfd < 0 || fsync (dfd) < 0 ? -1 : 0;
}

/* Write the pieces to "<path>.tmp" and rename it over the ledger.  One
   temp name is enough: only the lock holder writes, and a temp file left
   by a writer killed half-way is garbage the next writer replaces.  */
static int
replace_file (const struct nr_ledger *l, struct iovec *iov, size_t n, bool sync, nr_error_t *err)
{
  cleanup_free char *tmp = xasprintf ("%s.tmp", l->path);
  cleanup_close int fd = -1;
  int saved;

  if (unlink (tmp) < 0 && errno != ENOENT)
    return nr_make_error (err, errno, "remove `%s`", tmp);
  fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return nr_make_error (err, errno, "create `%s`", tmp);
  /* The umask must not narrow (or a hostile one widen) the mode.  */
  if (fchmod (fd, 0600) < 0 || writev_all (fd, iov, n) < 0 || (sync && fsync (fd) < 0))
    goto fail;
  saved = close (fd);
  fd = -1;
  if (saved < 0 || rename (tmp, l->path) < 0)
    goto fail;
  if (sync && fsync_dir (l->path) < 0)
    return nr_make_error (err, errno, "fsync the directory of `%s`", l->path);
  return 0;

fail:
  saved = errno;
  unlink (tmp);
  return nr_make_error (err, saved, "write `%s`", tmp);
}

int
nr_ledger_commit (struct nr_ledger *l, nr_error_t *err)
{
  static const char more[] = ",\n", last[] = "\n", closing[] = "]}\n";
  cleanup_free char *header = NULL;
  cleanup_free char *dir_copy = NULL;
  cleanup_free struct iovec *iov = NULL;
  size_t header_len, n = 0;

  if (! l->dirty)
    return 0;
  header = ledger_header_text (l, &header_len);
  iov = xmalloc ((2 * l->n_lines + 3) * sizeof (*iov));
  push_piece (iov, &n, header, header_len);
  push_piece (iov, &n, last, 1);
  for (size_t i = 0; i < l->n_lines; i++)
    {
      const struct line *ln = &l->lines[i];
      const char *sep = i + 1 < l->n_lines ? more : last;
      size_t sep_len = strlen (sep);
      const char *after = ln->text + ln->len;

      /* A mapped line already followed by the right separator in the
         mapping is written together with it.  */
      if (! ln->owned && (size_t) (after - l->map) + sep_len <= l->map_len
          && memcmp (after, sep, sep_len) == 0)
        push_piece (iov, &n, ln->text, ln->len + sep_len);
      else
        {
          push_piece (iov, &n, ln->text, ln->len);
          push_piece (iov, &n, sep, sep_len);
        }
    }
  push_piece (iov, &n, closing, sizeof (closing) - 1);

  if (ledger_set_aside (l, err) < 0)
    return -1;
  dir_copy = xstrdup (l->path);
  /* On tmpfs (the default, under /run) a sync buys nothing: the file does
     not outlive the machine, and rename is atomic against a crash of the
     process.  On a disk it is what makes the rename durable.  */
  if (replace_file (l, iov, n, ! path_on_tmpfs (dirname (dir_copy)), err) < 0)
    return nr_error_wrap (err, "write the ledger");
  l->dirty = false;
  return 0;
}
