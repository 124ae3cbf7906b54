/* numa-runtime: rebuilding the ledger from the runtime's own state after
   the ledger file was found unreadable (and moved aside by the ledger).
 *
 * The runtime keeps <root>/<id>/state.json for every container it knows;
 * runc's holds the container's labels under "config", one of which is
 * "bundle=<path>".  The bundle's config.json still carries what create
 * wrote into it: linux.resources.cpu.cpus/mems are the placement, the
 * limits are the request.  That is enough for an entry; what cannot be
 * recovered (the creator process, exact load) is filled in conservatively
 * (see rebuild.c).  Containers under other runtime roots than the one this
 * invocation was given are not found: their entries are lost until they
 * are deleted and created again.  */
#ifndef NR_REBUILD_H
#define NR_REBUILD_H

#include "conf.h"
#include "error.h"
#include "ledger.h"
#include "topology.h"

#include <stddef.h>

/* Add an entry for every container under ROOT that the ledger lacks and
   whose spec shows a placement.  TOPO (may be NULL) maps CPUs to nodes when
   a spec has cpus but no mems.  Containers whose state or spec cannot be
   read are skipped with a warning.  *ADDED (may be NULL) gets the number
   of entries added.  Fails only when ROOT exists but cannot be listed.  */
int nr_rebuild_from_state (struct nr_ledger *l, const char *root, const struct nr_config *config,
                           const struct nr_topology *topo, size_t *added, nr_error_t *err);

/* Where a ledger found damaged is rebuilt from: the runtime state root,
   the configuration, and the topology (may be NULL, or not loaded yet at
   open: it is read when the rebuild runs, at the first query).  */
struct nr_rebuild_source
{
  const char *root;
  const struct nr_config *config;
  const struct nr_topology *topo;
};

/* The ledger's recovery (ledger.h), SOURCE a struct nr_rebuild_source:
   say at error level where the damaged ledger is kept (the admin must
   look at it) and rebuild from the state under its root.  Never fails: a
   rebuild that goes wrong is logged and the ledger keeps whatever was
   recovered, so creation keeps working.  */
void nr_rebuild_recover (struct nr_ledger *l, void *source);

/* What a command does with the ledger it opens.  */
enum nr_ledger_use
{
  NR_LEDGER_READ,  /* looks only: update, metrics, topology, the hooks' checks */
  NR_LEDGER_WRITE, /* adds, drops or rewrites entries and commits */
};

/* Open CONFIG's ledger for a command, counting from this boot (the boot id
   under CONFIG's proc root).  The one rule for the rest:
     - READ: a ledger that does not exist yet stays so (*OUT is NULL,
       nothing is created); damage reads as an empty ledger and is left
       for the next writer;
     - WRITE: the ledger and its directory are created when missing, and
       damage is rebuilt from the runtime's state under STATE_ROOT (the
       root the engine gave the runtime, nr_args_root) when there is one;
       a writer that knows no root (an OCI hook) only sees it emptied.
   TOPO (may be NULL) maps CPUs to nodes for a rebuild; it may be loaded
   after the open, before the first query.  */
int nr_ledger_open_for (const struct nr_config *config, enum nr_ledger_use use,
                        const char *state_root, const struct nr_topology *topo,
                        struct nr_ledger **out, nr_error_t *err);

/* A recovery rebuilding from SOURCE (a struct nr_rebuild_source *).  */
#define NR_REBUILD_RECOVERY(source)                                                                \
  ((struct nr_ledger_recovery){ .rebuild = nr_rebuild_recover, .data = (source) })

#endif
