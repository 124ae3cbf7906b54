/* numa-runtime: names a pod gives the locality module — interface names
 * in an annotation — checked before any becomes a path.  Pure string
 * work.  */
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
          cleanup_free char *shown = nr_shown (name, NR_LOCALITY_SHOWN_MAX);
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
