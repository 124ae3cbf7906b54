/* numa-runtime: the allocation ledger — which container holds which node,
   CPUs and memory — persisted as one JSON file, updated under flock and
   replaced atomically.
 *
 * File layout (one entry a line, so that a create can append or remove a
 * line without parsing thousands of entries):
 *
 *   {"version":1,"boot_id":"...","reclaim_cursor":0,"nodes":[<usage>...],"containers":[
 *   {"id":"a",...},
 *   {"id":"b",...}
 *   ]}
 *
 * "nodes" is the per-node sum of the entries, kept up to date on every
 * change and recomputed from the entries whenever the file is read in full.
 * A file in any other JSON shape (say, pretty-printed by hand) is read in
 * full and rewritten in this one.  */
#ifndef NR_LEDGER_H
#define NR_LEDGER_H

#include "cpuset.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What one container holds.  Strings are owned by the entry.  */
struct nr_ledger_entry
{
  char *id;
  nr_set_t nodes;         /* the node(s) it was placed on */
  nr_set_t cpus;          /* the cpuset written into its spec */
  nr_set_t exclusive;     /* CPUs it holds to itself (subset of cpus) */
  int64_t load;           /* milli-CPUs it weighs on its nodes (placement's unit) */
  int64_t millicpus;      /* milli-CPUs requested (0: no limit) */
  int64_t memory;         /* bytes requested (0: no limit) */
  int64_t hugepages;      /* bytes of hugepages requested */
  char *pod;              /* sandbox id of its pod, or NULL */
  bool sandbox;           /* the entry is a pod sandbox: it holds the pod's node */
  bool kubelet_cpus;      /* its cpuset is kubelet's (kept, not chosen by us) */
  char *root;             /* runtime state root (--root) to check liveness */
  int creator_pid;        /* the numa-runtime (then runtime) process creating it */
  uint64_t creator_start; /* its start time in clock ticks since boot */
  int64_t created;        /* unix time */
};

/* Per-node sums over the entries.  An entry on several nodes counts an
   even share of its load, milli-CPUs and memory on each.  */
struct nr_node_usage
{
  int node;
  int containers;
  int64_t load;
  int64_t millicpus;
  int64_t memory;
  int64_t hugepages;
  nr_set_t exclusive;
};

struct nr_ledger;

/* Open the ledger at PATH for update: create its directory (0700) and lock
   file, take the exclusive flock, read it.  BOOT_ID (may be NULL) is the
   current boot's id: a ledger from another boot starts empty.  */
int nr_ledger_open (const char *path, const char *boot_id, struct nr_ledger **out, nr_error_t *err);

/* Write the ledger if it changed (temp file + rename; fsync unless it is
   on tmpfs).  The lock stays held until nr_ledger_close.  */
int nr_ledger_commit (struct nr_ledger *ledger, nr_error_t *err);

/* Release the lock and free everything.  NULL is fine.  */
void nr_ledger_close (struct nr_ledger *ledger);
void cleanup_ledgerp (struct nr_ledger **ledger);
#define cleanup_ledger __attribute__ ((cleanup (cleanup_ledgerp)))

/* Usage of NODE (zeroes when no entry is on it).  */
void nr_ledger_usage (const struct nr_ledger *ledger, int node, struct nr_node_usage *out);

/* Number of entries.  */
size_t nr_ledger_count (const struct nr_ledger *ledger);

/* Read entry I (0 <= I < count) into OUT, which the caller releases with
   nr_ledger_entry_free.  */
int nr_ledger_entry_at (const struct nr_ledger *ledger, size_t i, struct nr_ledger_entry *out,
                        nr_error_t *err);

/* What liveness needs of entry I: OUT gets its id, root, creator pid and
   start time, everything else zero; release it with nr_ledger_entry_free.
   Read straight from the line when it is in the form numa-runtime writes,
   which costs a fraction of nr_ledger_entry_at: reclaim looks at dozens
   of entries on every create.  */
int nr_ledger_entry_brief_at (const struct nr_ledger *ledger, size_t i, struct nr_ledger_entry *out,
                              nr_error_t *err);

/* Find ID.  Returns 1 and fills OUT when present, 0 when absent.  */
int nr_ledger_find (const struct nr_ledger *ledger, const char *id, struct nr_ledger_entry *out,
                    nr_error_t *err);

/* The entry that fixes POD's node(s): the pod's sandbox entry (id == POD),
   else the first entry of a container of that pod.  1 when found.  */
int nr_ledger_find_pod (const struct nr_ledger *ledger, const char *pod,
                        struct nr_ledger_entry *out, nr_error_t *err);

/* Add ENTRY (copied), replacing an entry with the same id.  */
void nr_ledger_add (struct nr_ledger *ledger, const struct nr_ledger_entry *entry);

/* Remove ID.  Returns true when it was there.  */
bool nr_ledger_remove (struct nr_ledger *ledger, const char *id);

/* The round-robin position for incremental reclaim, kept in the file.  */
size_t nr_ledger_reclaim_cursor (const struct nr_ledger *ledger);
void nr_ledger_set_reclaim_cursor (struct nr_ledger *ledger, size_t cursor);

/* Recompute the per-node sums from every entry.  */
int nr_ledger_recompute (struct nr_ledger *ledger, nr_error_t *err);

/* The ledger file was unreadable: the path (owned by the ledger) it is
   kept at once the next commit replaces it, or NULL.  Until a commit the
   unreadable file stays in place.  A command that may commit whatever it
   found calls nr_ledger_recover (rebuild.h) first, which reports it and
   rebuilds; one that commits only after releasing an entry it found need
   not (an unreadable ledger has none).  */
const char *nr_ledger_moved_aside (const struct nr_ledger *ledger);

/* Remove temp files ("<path>.tmp.<pid>") that writers killed between
   writing and renaming left behind; safe because the lock is held, so no
   writer is active.  Returns how many were removed.  */
size_t nr_ledger_remove_stale_temps (const struct nr_ledger *ledger);

void nr_ledger_entry_free (struct nr_ledger_entry *entry);

/* Current boot id from PROC_ROOT/sys/kernel/random/boot_id, caller frees;
   NULL when unreadable.  */
char *nr_read_boot_id (const char *proc_root);

#endif
