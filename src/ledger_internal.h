/* numa-runtime: what the ledger's files share (ledger.c edits entries,
   ledger_read.c reads the files, ledger_write.c writes them, ledger_json.c
   converts entries).  Not for other modules: they use ledger.h.  */
#ifndef NR_LEDGER_INTERNAL_H
#define NR_LEDGER_INTERNAL_H

#include "counters.h"
#include "json.h"
#include "ledger.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#define LEDGER_VERSION 2
/* Entries are spread over this many shard files by a hash of their id, so
   that an update rewrites one shard of ~1/64 of the entries.  A ledger
   written with another count is read and redistributed.  */
#define LEDGER_SHARDS 64
/* Far beyond any real node (10,000 entries take about 3.5 MiB).  */
#define LEDGER_MAX_SIZE (256 * 1024 * 1024)

/* One entry object in canonical form.  Lines read from a shard file point
   into its text and are written back from there, so an update touches
   only the lines it changes.  */
struct line
{
  const char *text;
  size_t len;
  bool owned; /* TEXT was allocated for this line (a new or changed entry) */
};

/* The entries whose id hashes to one shard number.  */
struct shard
{
  char *file;     /* its file as the index names it (relative to the
                     ledger's directory), or NULL when it has none */
  size_t entries; /* how many entries the index says the file holds */
  bool loaded;    /* LINES holds the shard (else only ENTRIES is known) */
  bool dirty;     /* LINES differ from FILE: the next commit writes it */
  struct line *lines;
  size_t n_lines;
  size_t cap_lines;
  char *text; /* FILE as read, which unchanged lines point into, or NULL */
  size_t text_len;
};

struct nr_ledger
{
  char *path;           /* the index */
  char *dir;            /* its directory */
  char *base;           /* its file name */
  char *shard_dir_name; /* "<base>.d" */
  int lock_fd;
  int shard_dir_fd; /* the shard directory once opened, else -1 */
  char *boot_id;
  uint64_t generation;
  size_t reclaim_cursor;
  struct nr_node_usage *usage; /* sorted by node */
  size_t n_usage;
  struct shard *shards;
  size_t n_shards; /* LEDGER_SHARDS, but for a moment while reading
                      another count */
  char **garbage;  /* files (relative to DIR) the next commit supersedes */
  size_t n_garbage;
  bool dirty;
  char *moved_aside;
  bool aside_pending;          /* the unreadable ledger is still at PATH */
  bool rebuild_due;            /* found unreadable, not yet rebuilt */
  struct nr_counters counters; /* since boot; the index's "counters" */
};

/* The file name of a shard file the index names ("<base>.d/NAME").  */
const char *ledger_shard_name (const struct nr_ledger *l, const char *file);

/* The shard directory, opened (O_NOFOLLOW) on first use; CREATE makes it
   (0700) when missing.  -1 with errno set on failure.  */
int ledger_shard_dir (struct nr_ledger *l, bool create);

/* The shard an id belongs in: FNV-1a (32 bits) of its bytes.  */
size_t ledger_shard_of (const char *id, size_t n_shards);

/* Read shard I's file into its lines if not done yet.  A file that is
   missing or damaged makes the whole ledger unreadable (see
   ledger_unreadable); 0 is returned then too, the shard being empty.  */
void ledger_load_shard (struct nr_ledger *l, size_t i);

/* The ledger as found cannot be trusted: keep it for the admin (see
   nr_ledger_moved_aside), drop every entry, and have the caller rebuild.  */
void ledger_unreadable (struct nr_ledger *l, const char *why);

/* Move an unreadable ledger still at its path aside; 0 when there is
   none.  */
int ledger_set_aside (struct nr_ledger *l, nr_error_t *err);

/* Add a line to shard S.  */
void ledger_append_line (struct shard *s, const char *text, size_t len, bool owned);

/* Forget every line of shard S (its file, if any, stays FILE).  */
void ledger_clear_lines (struct shard *s);

/* Per-node sums: add (SIGN 1) or take away (-1) entry E.  */
void ledger_account (struct nr_ledger *l, const struct nr_ledger_entry *e, int sign);
struct nr_node_usage *ledger_usage_slot (struct nr_ledger *l, int node);

/* Reading members of a parsed object (0 / the empty set when absent).  */
long long ledger_get_int (yajl_val obj, const char *key);
int ledger_get_set (yajl_val obj, const char *key, nr_set_t *out, nr_error_t *err);

/* An entry as one line of JSON (caller frees), and back.  */
char *ledger_entry_to_line (const struct nr_ledger_entry *e, size_t *len);
int ledger_entry_from_json (yajl_val obj, struct nr_ledger_entry *e, nr_error_t *err);
int ledger_entry_from_text (const char *line, size_t len, struct nr_ledger_entry *e,
                            nr_error_t *err);

/* True when the text from P (END bounds it) starts with KEY.  */
static inline bool
ledger_starts_with (const char *p, const char *end, const char *key, size_t len)
{
  return (size_t) (end - p) >= len && memcmp (p, key, len) == 0;
}

/* The id of an entry line, copied (caller frees); NULL when the line
   does not parse.  */
char *ledger_line_id (const struct line *ln);

/* MEMS and MEMORY_LOCAL of E as an entry without tier nodes has them.  */
void ledger_entry_default_mems (struct nr_ledger_entry *e);

#endif
