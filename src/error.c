/* numa-runtime: error contract and runtime log.  */
#include <config.h>

#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *log_path_given;
static bool log_as_json = true;
static bool log_debug;

int
nr_make_error (nr_error_t *err, int errno_, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  msg = try_vasprintf (fmt, ap);
  va_end (ap);

  if (err == NULL)
    return -1;
  nr_error_release (err);
  *err = xmalloc0 (sizeof (**err));
  (*err)->status = errno_;
  if (errno_ != 0)
    (*err)->msg = xasprintf ("%s: %s", msg ? msg : "error", strerror (errno_));
  else
    (*err)->msg = xstrdup (msg ? msg : "error");
  return -1;
}

int
nr_error_wrap (nr_error_t *err, const char *fmt, ...)
{
  cleanup_free char *context = NULL;
  va_list ap;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  context = try_vasprintf (fmt, ap);
  va_end (ap);
  if (context != NULL)
    {
      char *joined = xasprintf ("%s: %s", context, (*err)->msg);
      free ((*err)->msg);
      (*err)->msg = joined;
    }
  return -1;
}

void
nr_error_release (nr_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

void
nr_log_init (const char *log_path, const char *log_format, bool debug)
{
  log_path_given = log_path;
  log_as_json = log_format == NULL || strcmp (log_format, "text") != 0;
  log_debug = debug;
}

static const char *
level_name (enum nr_log_level level)
{
  switch (level)
    {
    case NR_LOG_ERROR:
      return "error";
    case NR_LOG_WARNING:
      return "warning";
    case NR_LOG_INFO:
      return "info";
    default:
      return "debug";
    }
}

/* Escape MSG as the body of a JSON string.  */
static char *
json_escape (const char *msg)
{
  size_t len = strlen (msg);
  char *out = xmalloc (len * 6 + 1);
  char *w = out;

  for (const unsigned char *r = (const unsigned char *) msg; *r; r++)
    {
      if (*r == '"' || *r == '\\')
        {
          *w++ = '\\';
          *w++ = (char) *r;
        }
      else if (*r < 0x20)
        w += sprintf (w, "\\u%04x", *r);
      else
        *w++ = (char) *r;
    }
  *w = '\0';
  return out;
}

static void
append_to_log_file (enum nr_log_level level, const char *msg)
{
  cleanup_close int fd = -1;
  cleanup_free char *escaped = NULL;
  cleanup_free char *line = NULL;
  char stamp[64];
  struct stat st;
  struct tm tm;
  time_t now = time (NULL);

  /* Non-blocking: a FIFO without a reader fails at once (ENXIO) instead of
     hanging a create.  Only a regular file, or a character device such as
     /dev/null, is written to: a FIFO with a reader, a socket or anything
     else gets nothing (errors still reach stderr).  */
  /* Not through a symbolic link: engines put the log in the bundle
     (<bundle>/log.json), which the pod's owner may be able to write, and
     root would append to whatever a link there names.  */
  fd = open (log_path_given,
             O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW, 0600);
  if (fd < 0 || fstat (fd, &st) < 0 || ! (S_ISREG (st.st_mode) || S_ISCHR (st.st_mode)))
    return;
  gmtime_r (&now, &tm);
  strftime (stamp, sizeof (stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
  escaped = json_escape (msg);
  if (log_as_json)
    /* The engine shows the last error line's msg to the user (kubectl
       describe): say who is speaking.  */
    line = xasprintf ("{\"level\":\"%s\",\"msg\":\"numa-runtime: %s\",\"time\":\"%s\"}\n",
                      level_name (level), escaped, stamp);
  else
    line = xasprintf ("time=\"%s\" level=%s msg=\"numa-runtime: %s\"\n", stamp, level_name (level),
                      escaped);
  /* One write () so concurrent writers never interleave within a line.  */
  if (write (fd, line, strlen (line)) < 0)
    return;
}

void
nr_log (enum nr_log_level level, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  if (level >= NR_LOG_INFO && ! log_debug)
    return;
  va_start (ap, fmt);
  msg = try_vasprintf (fmt, ap);
  va_end (ap);
  if (msg == NULL)
    return;

  if (log_path_given != NULL)
    append_to_log_file (level, msg);
  if (level == NR_LOG_ERROR || log_path_given == NULL)
    {
      int saved_errno = errno;
      for (char *p = msg; *p; p++)
        if (*p == '\n')
          *p = ' ';
      fprintf (stderr, "numa-runtime: %s%s\n", level == NR_LOG_WARNING ? "warning: " : "", msg);
      errno = saved_errno;
    }
}

void
nr_log_error (nr_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  nr_log (NR_LOG_ERROR, "%s", (*err)->msg);
  nr_error_release (err);
}
