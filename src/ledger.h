/* numa-runtime: the allocation ledger — which container holds which node,
   CPUs and memory — persisted under flock and replaced atomically.
 *
 * This is the whole interface: open (which locks, reads, and recovers by
 * itself from damage wherever and whenever it shows), query, add and
 * remove, commit, close.  Behind it, one concern a file, none calling
 * back into another:
 *
 *   ledger.c        this interface; when to read a shard, what to do
 *                   with damage
 *   ledger_model.c  entries and per-node sums in memory, no system calls
 *   ledger_codec.c  all of the ledger's JSON (the fuzzers' target)
 *   ledger_store.c  the files: lock, read, commit, set aside, sweep
 *
 * Files (docs/LEDGER.md has the whole story), for the configured path P:
 * the index P, one line and the commit point, holding the per-node sums
 * and naming the shard files in use; the shards P.d/NN-G.json, entry I
 * in shard FNV-1a(id) % 64, one entry a line, each file written once and
 * never changed.  A commit writes each changed shard to a new file, then
 * the index to P.tmp renamed over P, and removes the files it superseded;
 * so an update costs one shard (1/64 of the entries), not the whole
 * ledger, and a process killed at any point leaves the old or the new
 * ledger.  Shards are read when first needed.  A version 1 ledger (one
 * file, every entry under "containers") is read and written back in this
 * layout.  */
#ifndef NR_LEDGER_H
#define NR_LEDGER_H

#include "cpuset.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

/* What one container holds.  Strings are owned by the entry.  */
struct nr_ledger_entry
{
  char *id;
  nr_set_t nodes;     /* the node(s) it was placed on */
  nr_set_t cpus;      /* the cpuset written into its spec */
  nr_set_t exclusive; /* CPUs it holds to itself (subset of cpus) */
  int64_t load;       /* milli-CPUs it weighs on its nodes (placement's unit) */
  int64_t millicpus;  /* milli-CPUs requested (0: no limit) */
  int64_t memory;     /* bytes requested (0: no limit) */
  int64_t hugepages;  /* bytes of hugepages requested */
  /* Memory tiers: MEMS is every node its memory may use (NODES plus
     memory-only nodes); MEMORY_LOCAL the bytes of MEMORY charged on NODES,
     the rest being charged evenly on MEMS minus NODES.  An entry without
     tier nodes has MEMS = NODES and MEMORY_LOCAL = MEMORY (and writes
     neither: docs/LEDGER.md).  */
  nr_set_t mems;
  int64_t memory_local;
  char *pod;          /* sandbox id of its pod, or NULL */
  bool sandbox;       /* the entry is a pod sandbox: it holds the pod's node */
  bool exclusive_pod; /* a sandbox whose pod holds whole CPUs exclusively: no sharer */
  bool kubelet_cpus;  /* its cpuset is kubelet's (kept, not chosen by us) */
  char *pinned_by;    /* what pinned its node(s) (env NUMA_NODE, an annotation), or NULL */
  char *root;         /* runtime state root (--root) to check liveness */
  char *cgroup;       /* the spec's linux.cgroupsPath as written, or NULL */
  /* The nodes of the devices (locality hints) it holds: a pod moved later
     by another container's device keeps covering these.  */
  nr_set_t device_nodes;
  int creator_pid;        /* the numa-runtime (then runtime) process creating it */
  uint64_t creator_start; /* its start time in clock ticks since boot */
  int64_t created;        /* unix time */
};

/* Per-node sums over the entries.  An entry on several nodes counts an
   even share of its load, milli-CPUs and memory on each; its memory-only
   nodes count it as a container and share what is charged there.  */
struct nr_node_usage
{
  int node;
  int containers;
  /* Of those, the ones holding no exclusive CPU: they run on the node's
     shared pool, which must then keep a CPU.  */
  int sharing;
  int64_t load;
  int64_t millicpus;
  int64_t memory;
  int64_t hugepages;
  nr_set_t exclusive;
  /* Of LOAD, the even shares charged by entries that pay 1000 for each
     exclusive CPU they hold, and those entries' CPUs: nr_usage_load
     charges such an entry by where its CPUs are instead.  */
  int64_t held_load;
  nr_set_t held_cpus;
};

struct nr_ledger;

/* What an open ledger does when it finds itself damaged (an unreadable
   index, a shard file missing or garbled, an entry that does not parse):
   it logs the damage at error level, keeps the damaged files for the
   admin (moved aside by the next commit), empties itself, and calls
   REBUILD, which adds back what it can find (rebuild.h rebuilds from the
   runtime's state).  That happens at most once per open, before the
   caller next looks at an entry: whatever part turns out damaged, the
   caller sees a sound ledger.  */
struct nr_ledger_recovery
{
  void (*rebuild) (struct nr_ledger *ledger, void *data);
  void *data;
  void (*release) (void *data); /* NULL, or frees DATA when the ledger closes */
};

/* Open the ledger at PATH for update: create its directory (0700) and lock
   file, take the exclusive flock, read it.  BOOT_ID (may be NULL) is the
   current boot's id: a ledger from another boot starts empty.  RECOVERY
   (may be NULL: damage then only empties the ledger) is how to rebuild
   it, copied; what its data points to must outlive the ledger (or be
   handed over with a RELEASE), and may be filled in after the open,
   before the first query.  Commands open it through nr_ledger_open_for
   (rebuild.h).  */
int nr_ledger_open (const char *path, const char *boot_id,
                    const struct nr_ledger_recovery *recovery, struct nr_ledger **out,
                    nr_error_t *err);

/* Write the ledger if it changed (temp file + rename; fsync unless it is
   on tmpfs).  The lock stays held until nr_ledger_close.  */
int nr_ledger_commit (struct nr_ledger *ledger, nr_error_t *err);

/* The boot id the ledger counts from (the one given to the open, when
   one was), or NULL.  Owned by the ledger.  */
const char *nr_ledger_boot_id (struct nr_ledger *ledger);

/* Release the lock and free everything.  NULL is fine.  */
void nr_ledger_close (struct nr_ledger *ledger);
void cleanup_ledgerp (struct nr_ledger **ledger);
#define cleanup_ledger __attribute__ ((cleanup (cleanup_ledgerp)))

/* Usage of NODE (zeroes when no entry is on it).  */
void nr_ledger_usage (struct nr_ledger *ledger, int node, struct nr_node_usage *out);

/* Write E's fields into the JSON object G has open.  The ledger's shard
   lines leave out an absent pod and root and a false sandbox and
   kubelet_cpus; with EVERY_KEY (`status --json`, whose keys are only ever
   added) they are written as null and false.  */
void nr_ledger_entry_gen_fields (yajl_gen g, const struct nr_ledger_entry *e, bool every_key);

/* Charge entry E to (SIGN +1), or release it from (-1), the per-node sums
   USAGE[0..N_USAGE), found by their node; a node of E without one is
   skipped.  An entry on several nodes counts an even share of its load,
   milli-CPUs, memory and hugepages on each, the first node the remainder,
   so that adding and removing it cancel exactly.  No I/O: the ledger's own
   sums and the placement tests' made-up ones go through this.  */
void nr_usage_account (struct nr_node_usage *usage, size_t n_usage, const struct nr_ledger_entry *e,
                       int sign);

/* U's load on its node, whose CPUs are NODE_CPUS: LOAD with each entry
   that pays for its exclusive CPUs charged 1000 for each of them on this
   node, not an even share.  An exclusive container on several nodes takes
   its CPUs from the roomiest node first, so an even share would charge a
   node for CPUs it does not give (even a node holding none of them) and
   leave another short.  What placement, status, the metrics and the
   NodeResourceTopology count; END bounds the CPU numbers (no CPU at or
   above it), to count a few words only.  */
int64_t nr_usage_load (const struct nr_node_usage *u, const nr_set_t *node_cpus, int end);

/* Number of entries.  */
size_t nr_ledger_count (struct nr_ledger *ledger);

/* Read entry I (0 <= I < count) into OUT, which the caller releases with
   nr_ledger_entry_free.  */
int nr_ledger_entry_at (struct nr_ledger *ledger, size_t i, struct nr_ledger_entry *out,
                        nr_error_t *err);

/* What liveness needs of entry I: OUT gets its id, root, creator pid and
   start time, everything else zero; release it with nr_ledger_entry_free.
   Read straight from the line when it is in the form numa-runtime writes,
   which costs a fraction of nr_ledger_entry_at: reclaim looks at dozens
   of entries on every create.  */
int nr_ledger_entry_brief_at (struct nr_ledger *ledger, size_t i, struct nr_ledger_entry *out,
                              nr_error_t *err);

/* Find ID.  Returns 1 and fills OUT when present, 0 when absent.  */
int nr_ledger_find (struct nr_ledger *ledger, const char *id, struct nr_ledger_entry *out,
                    nr_error_t *err);

/* The entry that fixes POD's node(s): the pod's sandbox entry (id == POD),
   else the first entry of a container of that pod.  1 when found.  */
int nr_ledger_find_pod (struct nr_ledger *ledger, const char *pod, struct nr_ledger_entry *out,
                        nr_error_t *err);

/* Every entry of POD (its sandbox's and its containers'): *OUT gets an
   array of *N_OUT entries, the caller frees each (nr_ledger_entry_free)
   and the array.  Reads every shard: for a pod about to move only.  */
int nr_ledger_pod_entries (struct nr_ledger *ledger, const char *pod, struct nr_ledger_entry **out,
                           size_t *n_out, nr_error_t *err);

/* Add ENTRY (copied), replacing an entry with the same id.  */
void nr_ledger_add (struct nr_ledger *ledger, const struct nr_ledger_entry *entry);

/* Remove ID.  Returns true when it was there.  */
bool nr_ledger_remove (struct nr_ledger *ledger, const char *id);

/* The round-robin position for incremental reclaim, kept in the file.  */
size_t nr_ledger_reclaim_cursor (const struct nr_ledger *ledger);
void nr_ledger_set_reclaim_cursor (struct nr_ledger *ledger, size_t cursor);

/* Read and parse every entry now, so that damage anywhere is found (and
   recovered from) before the caller goes on: status and gc, which look at
   every entry.  */
void nr_ledger_load_all (struct nr_ledger *ledger);

/* The ledger was found damaged: the path (owned by the ledger) the index
   is kept at once the next commit replaces it, the shard directory going
   to that path plus ".d"; NULL when it was not.  Until a commit the
   damaged files stay in place.  */
const char *nr_ledger_moved_aside (const struct nr_ledger *ledger);

/* Remove what writers killed half-way left behind: the index temp file
   ("<path>.tmp", "<path>.tmp.<pid>" from earlier versions) and shard files
   the index does not name; safe because the lock is held, so no writer is
   active.  Returns how many were removed.  */
size_t nr_ledger_sweep (struct nr_ledger *ledger);

void nr_ledger_entry_free (struct nr_ledger_entry *entry);
/* A copy of FROM into TO that owns its own strings (release it with
   nr_ledger_entry_free): the one place that knows which members are
   owned.  */
void nr_ledger_entry_copy (struct nr_ledger_entry *to, const struct nr_ledger_entry *from);

/* The counters kept in the index (counters.h), owned by the ledger.  The
   _for_update form marks the ledger changed, so that the next commit
   writes them (an index-only commit when nothing else changed).  */
struct nr_counters;
const struct nr_counters *nr_ledger_counters (const struct nr_ledger *ledger);
struct nr_counters *nr_ledger_counters_for_update (struct nr_ledger *ledger);

/* Current boot id from PROC_ROOT/sys/kernel/random/boot_id, caller frees;
   NULL when unreadable.  */
char *nr_read_boot_id (const char *proc_root);

/* Every entry of LEDGER (NULL: none) that reads, copied out so that the
   caller can close the ledger (and release its lock) before slow reads of
   its own; *N gets their number.  Free with nr_ledger_entries_free.  */
struct nr_ledger_entry *nr_ledger_copy_entries (struct nr_ledger *ledger, size_t *n);
void nr_ledger_entries_free (struct nr_ledger_entry *entries, size_t n);

#endif
