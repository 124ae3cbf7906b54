/* numa-runtime: the ledger's lock, taken within a bounded time.  */
#ifndef NR_LEDGER_LOCK_H
#define NR_LEDGER_LOCK_H

#include "error.h"

/* [ledger] lock_timeout when the config does not set it, in seconds.  */
#define NR_LEDGER_LOCK_TIMEOUT_DEFAULT 10
/* The most [ledger] lock_timeout may say.  */
#define NR_LEDGER_LOCK_TIMEOUT_MAX 3600

/* How long a process waits for the ledger lock from now on (seconds,
   1 to NR_LEDGER_LOCK_TIMEOUT_MAX); main sets it from the config.  */
void nr_ledger_set_lock_timeout (unsigned seconds);

/* Open NAME in DIR_FD (created 0600, never through a symbolic link) and
   take an exclusive flock on it, waiting at most the lock timeout.  The
   descriptor (which holds the lock until closed) goes to *FD.  On a
   timeout the error names PATH and, when /proc/locks says, the holder's
   pid.  */
int ledger_lock_take (int dir_fd, const char *name, const char *path, int *fd, nr_error_t *err);

/* The pid holding a flock on the file of device DEV and inode INO, as
   LOCKS_TEXT (the contents of /proc/locks) says; -1 when it does not.  */
long ledger_lock_holder_in (const char *locks_text, unsigned long long dev_major,
                            unsigned long long dev_minor, unsigned long long ino);

#endif
