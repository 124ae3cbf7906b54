/* numa-runtime: names a pod gives the locality module (locality_names.c).
   Internal to the locality module.  */
#ifndef NR_LOCALITY_NAMES_H
#define NR_LOCALITY_NAMES_H

#include "conf.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>

/* More interfaces than this in one annotation is a mistake, not a pod.  */
#define NR_LOCALITY_MAX_NICS 64

/* Is annotation NR_ANNOTATION_PREFIX + SUFFIX honoured by the admin's
   [annotations] settings?  */
bool nr_locality_annotation_honoured (const struct nr_config *config, const char *suffix);

/* NAME fit for a message (printable ASCII, at most 32 bytes and "..."),
   which the caller frees.  */
char *nr_locality_shown_name (const char *name);

/* Split VALUE at commas into NAMES (at most NR_LOCALITY_MAX_NICS, pointing
   into VALUE, which is modified), each trimmed of blanks and checked with
   nr_locality_ifname_valid.  */
int nr_locality_split_nics (char *value, char **names, size_t *n_names, nr_error_t *err);

#endif
