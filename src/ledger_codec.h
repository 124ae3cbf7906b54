/* numa-runtime: the ledger's JSON, all of it — an entry as one line and
   back, the shard file layout (ledger_codec.c), the index and its
   counters (ledger_codec_index.c) — and nothing else: no files, no sums.  The store reads and
   writes through it, the model keeps its lines, and the fuzzers feed it directly
   (tests/fuzz/fuzz-ledger-codec.c). docs/LEDGER.md describes the formats.  */
#ifndef NR_LEDGER_CODEC_H
#define NR_LEDGER_CODEC_H

#include "counters.h"
#include "error.h"
#include "ledger.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define LEDGER_VERSION 2
/* Far beyond any real node (10,000 entries take about 3.5 MiB).  */
#define LEDGER_MAX_SIZE (256 * 1024 * 1024)
/* The most shards an index may declare.  */
#define LEDGER_MAX_SHARDS 4096

/* One entry object in canonical form.  Lines read from a shard file point
   into its text and are written back from there, so that an update
   touches only the lines it changes.  */
struct ledger_line
{
  const char *text;
  size_t len;
  bool owned; /* TEXT was allocated for this line (a new or changed entry) */
};

struct ledger_lines
{
  struct ledger_line *v;
  size_t n;
  size_t cap;
};

void ledger_lines_append (struct ledger_lines *ls, const char *text, size_t len, bool owned);
void ledger_lines_remove (struct ledger_lines *ls, size_t i);
/* Forget every line (freeing those owned); the array is kept.  */
void ledger_lines_clear (struct ledger_lines *ls);
void ledger_lines_free (struct ledger_lines *ls);

/* ---- an entry as a line ---------------------------------------------- */

/* Members an entry may have: we write at most 17; the rest is room for
   keys a later version adds.  */
#define LEDGER_ENTRY_MAX_MEMBERS 64

/* The codec's own readers of a parsed object's members: an integer (0
   when absent or not one), a CPU or node list (the empty set when
   absent), a whole entry.  */
long long ledger_json_int (yajl_val obj, const char *key);
int ledger_json_set (yajl_val obj, const char *key, nr_set_t *out, nr_error_t *err);
int ledger_entry_from_json (yajl_val obj, struct nr_ledger_entry *e, nr_error_t *err);

/* True when the text from P (END bounds it) starts with KEY.  */
static inline bool
ledger_starts_with (const char *p, const char *end, const char *key, size_t len)
{
  return (size_t) (end - p) >= len && memcmp (p, key, len) == 0;
}

/* E as one line of JSON (caller frees), and back (a line with a member
   twice, or more than LEDGER_ENTRY_MAX_MEMBERS, is refused).  */
char *ledger_entry_to_line (const struct nr_ledger_entry *e, size_t *len);
int ledger_entry_from_line (const struct ledger_line *ln, struct nr_ledger_entry *e,
                            nr_error_t *err);

/* The id of a line, copied (caller frees); NULL when it does not parse.  */
char *ledger_line_id (const struct ledger_line *ln);

/* What liveness needs (id, root, creator pid and start), read straight
   from a line in the form numa-runtime writes; false for anything else
   (the caller parses it whole).  OUT is released with
   nr_ledger_entry_free either way.  */
bool ledger_line_brief (const struct ledger_line *ln, struct nr_ledger_entry *out);

/* A needle for the lines of one id (`{"id":"<escaped>"`) or of one pod's
   members (`,"pod":"<escaped>"`), as the generator writes them; caller
   frees.  */
char *ledger_id_needle (const char *id, size_t *len);
char *ledger_pod_needle (const char *pod, size_t *len);
/* Is LN the line of the id, or a member of the pod, NEEDLE stands for?  */
bool ledger_line_has_id (const struct ledger_line *ln, const char *needle, size_t len);
bool ledger_line_in_pod (const struct ledger_line *ln, const char *needle, size_t len);

/* ---- shard files ------------------------------------------------------ */

/* The lines of a shard file's TEXT (pointing into it), appended to OUT.
   -1 when TEXT is not in the layout commits write.  */
int ledger_shard_parse (const char *text, size_t len, struct ledger_lines *out);

/* LS in the shard file layout, as pieces into IOV (room for 2 n + 2),
   a line still in OLD (the file it was read from) taken from there with
   the separator after it.  Returns the number of pieces.  */
size_t ledger_shard_layout (const struct ledger_lines *ls, const char *old, size_t old_len,
                            struct iovec *iov);

/* ---- the index -------------------------------------------------------- */

struct ledger_index_shard
{
  size_t shard;
  size_t entries;
  char *file; /* "<base>.d/<shard>-<generation>.json" */
};

struct ledger_index
{
  char *boot_id; /* NULL when absent */
  uint64_t generation;
  size_t reclaim_cursor;
  size_t shard_count;
  struct nr_node_usage *usage; /* nodes with any entry */
  size_t n_usage;
  struct nr_counters counters;
  struct ledger_index_shard *shards; /* the non-empty shards, ascending */
  size_t n_shards;
  /* Sums written before they had held_load and held_cpus (numa-runtime
     0.1 before those): to be counted again from the entries.  */
  bool sums_without_held;
  /* A version 1 ledger (one document, every entry under "containers"):
     its entries as lines, owned; SHARDS is empty.  */
  bool v1;
  struct ledger_lines v1_entries;
};

/* Read an index.  SHARD_DIR_NAME is "<base>.d": a shard file outside it,
   not in the canonical form, or named twice is damage.  -1 and *WHY (a
   static string) when TEXT is not a ledger index.  */
int ledger_index_parse (const char *text, size_t len, const char *shard_dir_name,
                        struct ledger_index *out, const char **why);

/* The index as one line (caller frees).  Nodes without containers are
   left out.  */
char *ledger_index_text (const struct ledger_index *ix, const char *shard_dir_name, size_t *len);

void ledger_index_free (struct ledger_index *ix);

#endif
