/* numa-runtime: the ledger's files — the directory and its lock, reading
   the index and each shard into the model, the commit, a damaged ledger
   set aside, leftovers swept.  It finds damage and says what it is; what
   to do about it is ledger.c's.  See docs/LEDGER.md.  */
#ifndef NR_LEDGER_STORE_H
#define NR_LEDGER_STORE_H

#include "error.h"
#include "ledger_model.h"

#include <stdbool.h>
#include <stddef.h>

struct ledger_store
{
  char *path;           /* the index */
  char *dir;            /* its directory */
  char *base;           /* its file name */
  char *shard_dir_name; /* "<base>.d" */
  int dir_fd;           /* DIR, opened once checked; every other open is relative to it */
  int lock_fd;
  int shard_dir_fd; /* the shard directory once opened, else -1 */
  char **garbage;   /* shard files (as the index names them) the next
                       commit supersedes */
  size_t n_garbage;
  char *aside;        /* where a damaged ledger is kept, or NULL */
  bool aside_pending; /* ... and it is still at PATH */
};

/* Make PATH's directory (0700) if needed, check it is private, take the
   exclusive lock.  */
int ledger_store_open (struct ledger_store *st, const char *path, nr_error_t *err);
void ledger_store_close (struct ledger_store *st);

/* Read the index into M (shards not loaded yet; a version 1 ledger whole,
   into LEDGER_SHARDS shards).  No index: M is empty.  Damage: M is empty
   and *WHY says what (caller frees).  -1 only when the file cannot be
   opened for another reason than its absence.  */
int ledger_store_read_index (struct ledger_store *st, struct ledger_model *m, char **why,
                             nr_error_t *err);

/* Load shard K of M from its file.  NULL when done, else what is wrong
   with the file (caller frees): missing, damaged, another entry count
   than the index says, an entry of another shard.  */
char *ledger_store_read_shard (struct ledger_store *st, struct ledger_model *m, size_t k);

/* The next commit removes FILE (a shard file name as the index has it).  */
void ledger_store_supersede (struct ledger_store *st, const char *file);

/* The ledger as found is damaged: choose where it is kept
   ("<path>.corrupt-<time>-<pid>", plus ".d"); the next commit moves it
   there before writing.  Forgets what was to be superseded: those files
   go aside with the rest.  */
void ledger_store_keep_aside (struct ledger_store *st);

/* Write M if it changed: the damaged ledger aside first if there is one,
   then each dirty shard to a new file, the index to a temp file renamed
   over PATH (the commit point), then the files it superseded removed.
   fsync unless on tmpfs.  */
int ledger_store_commit (struct ledger_store *st, struct ledger_model *m, nr_error_t *err);

/* Remove the index temp files and the shard files M's index does not
   name: what writers killed half-way left.  Returns how many.  */
size_t ledger_store_sweep (const struct ledger_store *st, const struct ledger_model *m);

#endif
