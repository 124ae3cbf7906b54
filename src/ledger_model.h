/* numa-runtime: the ledger in memory — entries as lines spread over
   shards by a hash of their id, the per-node sums over them, and the
   index's other fields.  No system calls: the store fills it from the
   files and writes it back, ledger.c decides when.  */
#ifndef NR_LEDGER_MODEL_H
#define NR_LEDGER_MODEL_H

#include "counters.h"
#include "ledger.h"
#include "ledger_codec.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Entries are spread over this many shards by a hash of their id, so
   that an update rewrites one shard file of ~1/64 of the entries.  A
   ledger written with another count is read and redistributed.  */
#define LEDGER_SHARDS 64

/* The entries whose id hashes to one shard number.  */
struct ledger_shard
{
  char *file;     /* its file as the index names it ("<base>.d/NN-G.json"),
                     or NULL when it has none */
  size_t entries; /* how many entries the index says FILE holds */
  bool loaded;    /* LINES holds the shard (else only ENTRIES is known) */
  bool dirty;     /* LINES differ from FILE: the next commit writes it */
  struct ledger_lines lines;
  char *text; /* FILE as read, which unchanged lines point into, or NULL */
  size_t text_len;
};

struct ledger_model
{
  struct ledger_shard *shards;
  size_t n_shards;
  struct nr_node_usage *usage; /* sorted by node */
  size_t n_usage;
  char *boot_id;
  uint64_t generation;
  size_t reclaim_cursor;
  struct nr_counters counters; /* since boot */
  bool dirty;                  /* differs from the files */
  bool sums_stale;             /* USAGE to be counted from the entries */
};

/* N_SHARDS empty shards, every one loaded; everything else as read from
   no file.  What M held is freed.  */
void ledger_model_init (struct ledger_model *m, size_t n_shards);
void ledger_model_free (struct ledger_model *m);

/* Drop every entry and sum (the cursor too), keeping the boot id,
   generation and counters; every shard loaded and dirty.  */
void ledger_model_clear (struct ledger_model *m);

/* The shard an id belongs in: FNV-1a (32 bits) of its bytes.  */
size_t ledger_shard_of (const char *id, size_t n_shards);

/* Entries in shard S, loaded or not.  */
size_t ledger_shard_size (const struct ledger_shard *s);
size_t ledger_model_count (const struct ledger_model *m);

/* The shard holding entry *I in index order (shard by shard), *I made
   its position there; NULL past the end.  */
struct ledger_shard *ledger_model_locate (struct ledger_model *m, size_t *i);

/* The line of the id NEEDLE (ledger_id_needle) stands for in S (loaded);
   -1 when absent.  */
ssize_t ledger_shard_find (const struct ledger_shard *s, const char *needle, size_t len);

/* Add E (its shard loaded) and its share of the sums.  The caller has
   removed any entry with its id.  */
void ledger_model_insert (struct ledger_model *m, const struct nr_ledger_entry *e);

/* Remove line I of S and its share of the sums.  -1 (nothing changed)
   when the line does not parse.  */
int ledger_model_delete (struct ledger_model *m, struct ledger_shard *s, size_t i, nr_error_t *err);

/* The sums of NODE (zeroes when no entry is on it).  */
void ledger_model_usage (const struct ledger_model *m, int node, struct nr_node_usage *out);

/* Replace the sums with those of every entry (every shard loaded).  -1
   and *BAD (the shard whose line does not parse) on damage.  */
int ledger_model_recompute (struct ledger_model *m, size_t *bad, nr_error_t *err);

/* Move every line into the shard of its id among LEDGER_SHARDS (every
   shard loaded).  The files the old shards had are handed to
   SUPERSEDED (which must not touch M).  */
void ledger_model_redistribute (struct ledger_model *m, void (*superseded) (const char *, void *),
                                void *data);

#endif
