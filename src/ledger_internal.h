/* numa-runtime: what the ledger's files share (ledger.c reads and edits,
   ledger_write.c writes, ledger_json.c converts entries).  Not for other
   modules: they use ledger.h.  */
#ifndef NR_LEDGER_INTERNAL_H
#define NR_LEDGER_INTERNAL_H

#include "json.h"
#include "ledger.h"

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_gen.h>

#define LEDGER_VERSION 1
/* Far beyond any real node (10,000 entries take about 2 MiB).  */
#define LEDGER_MAX_SIZE (256 * 1024 * 1024)

/* One entry object in canonical form.  Lines read from the file point
   into its mapping and are written back from there, so an update touches
   only the lines it changes: at 10,000 entries, copying every line into
   its own allocation cost more than the rest of a create together.  */
struct line
{
  const char *text;
  size_t len;
  bool owned; /* TEXT was allocated for this line (a new or changed entry) */
};

struct nr_ledger
{
  char *path;
  int lock_fd;
  char *boot_id;
  size_t reclaim_cursor;
  struct nr_node_usage *usage; /* sorted by node */
  size_t n_usage;
  struct line *lines;
  size_t n_lines;
  size_t cap_lines;
  bool dirty;
  char *moved_aside;
  bool aside_pending; /* the unreadable file is still at PATH */
  char *map;          /* the file as read (read-only mapping), or NULL */
  size_t map_len;
};

/* The header line: everything before the first entry, up to and with the
   opening bracket of "containers".  Caller frees.  */
char *ledger_header_text (const struct nr_ledger *l, size_t *len);

/* Move an unreadable ledger file still at its path aside (see
   nr_ledger_moved_aside); 0 when there is none.  */
int ledger_set_aside (struct nr_ledger *l, nr_error_t *err);

/* Reading members of a parsed object (0 / the empty set when absent).  */
long long ledger_get_int (yajl_val obj, const char *key);
int ledger_get_set (yajl_val obj, const char *key, nr_set_t *out, nr_error_t *err);

/* An entry as one line of JSON (caller frees), and back.  */
char *ledger_entry_to_line (const struct nr_ledger_entry *e, size_t *len);
int ledger_entry_from_json (yajl_val obj, struct nr_ledger_entry *e, nr_error_t *err);
int ledger_entry_from_text (const char *line, size_t len, struct nr_ledger_entry *e,
                            nr_error_t *err);

#endif
