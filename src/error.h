/* numa-runtime: error contract and runtime log.
 *
 * A function that can fail takes `nr_error_t *err` last, returns < 0 on
 * failure and fills *err.  Callers add context with nr_error_wrap ().  Only
 * main () prints an error and exits.  */
#ifndef NR_ERROR_H
#define NR_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

struct nr_error_s
{
  int status; /* errno value, or 0 */
  char *msg;
};
typedef struct nr_error_s *nr_error_t;

/* Fill *ERR with a message; appends strerror (ERRNO_) when ERRNO_ is
   non-zero.  *ERR is normally NULL; an error already there is released
   and replaced by the new one (so a caller that retries after a failure
   need not release in between, and nothing leaks).  ERR may be NULL: the
   message is dropped.  Always returns -1 so callers can
   `return nr_make_error (...)`.  */
int nr_make_error (nr_error_t *err, int errno_, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Prefix the message in *ERR with context ("context: message").  Returns -1.  */
int nr_error_wrap (nr_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

void nr_error_release (nr_error_t *err);

enum nr_log_level
{
  NR_LOG_ERROR,
  NR_LOG_WARNING,
  NR_LOG_INFO,
  NR_LOG_DEBUG,
};

/* Where runtime messages go: always stderr for errors; the --log file (in
   runc's json or text format) when the engine gave one.  */
void nr_log_init (const char *log_path, const char *log_format, bool debug);

/* Write one message.  Errors go to stderr and the log file; warnings to the
   log file, or stderr when there is none; info/debug only with --debug.  */
void nr_log (enum nr_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#define nr_warn(...) nr_log (NR_LOG_WARNING, __VA_ARGS__)
#define nr_debug(...) nr_log (NR_LOG_DEBUG, __VA_ARGS__)

/* Report ERR through nr_log and release it.  */
void nr_log_error (nr_error_t *err);

#endif
