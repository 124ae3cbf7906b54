/* numa-runtime: names a pod gives the locality module — interface names
 * in an annotation, which annotations the admin honours — checked before
 * any becomes a path, and shown safely in messages.  Pure string work.  */
#include <config.h>

#include "locality.h"
#include "locality_names.h"
#include "util.h"

#include <string.h>

bool
nr_locality_ifname_valid (const char *name)
{
  static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_.:-";
  size_t len = strlen (name);

  return len >= 1 && len <= 15 && strspn (name, allowed) == len && strcmp (name, ".") != 0
         && strcmp (name, "..") != 0;
}

/* Is annotation NR_ANNOTATION_PREFIX + SUFFIX honoured by the admin's
   [annotations] settings?  */
bool
nr_locality_annotation_honoured (const struct nr_config *config, const char *suffix)
{
  cleanup_free char *keys = NULL;
  char *save = NULL;

  if (! config->annotations_enabled)
    return false;
  if (config->annotation_keys == NULL || config->annotation_keys[0] == '\0')
    return true;
  keys = xstrdup (config->annotation_keys);
  for (char *key = strtok_r (keys, ", \t", &save); key; key = strtok_r (NULL, ", \t", &save))
    {
      if (strncmp (key, NR_ANNOTATION_PREFIX, strlen (NR_ANNOTATION_PREFIX)) == 0)
        key += strlen (NR_ANNOTATION_PREFIX);
      if (strcmp (key, suffix) == 0)
        return true;
    }
  return false;
}

/* NAME fit for a message: printable ASCII only, at most 32 bytes (and
   "..." when cut).  It
   comes from the pod and ends up in logs and kubectl describe.  */
char *
nr_locality_shown_name (const char *name)
{
  size_t len = strnlen (name, 32);
  char *out = xasprintf ("%.*s%s", (int) len, name, name[len] ? "..." : "");

  for (char *p = out; p < out + len; p++)
    if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f || *p == '`')
      *p = '?';
  return out;
}

/* Split VALUE at commas into NAMES (pointing into VALUE, which is
   modified), each trimmed of blanks and checked.  */
int
nr_locality_split_nics (char *value, char **names, size_t *n_names, nr_error_t *err)
{
  char *next = value;

  *n_names = 0;
  if (value[strspn (value, " \t")] == '\0')
    return 0; /* an empty annotation names nothing */
  while (next)
    {
      char *name = next + strspn (next, " \t");
      char *end;

      next = strchr (name, ',');
      if (next)
        *next++ = '\0';
      end = name + strlen (name);
      while (end > name && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
      if (! nr_locality_ifname_valid (name))
        {
          cleanup_free char *shown = nr_locality_shown_name (name);
          return nr_make_error (err, 0,
                                "annotation %s: invalid interface name `%s` "
                                "(want 1-15 of A-Z a-z 0-9 _ . : -)",
                                NR_NICS_ANNOTATION, shown);
        }
      if (*n_names == NR_LOCALITY_MAX_NICS)
        return nr_make_error (err, 0, "annotation %s: more than %d interfaces", NR_NICS_ANNOTATION,
                              NR_LOCALITY_MAX_NICS);
      names[(*n_names)++] = name;
    }
  return 0;
}
