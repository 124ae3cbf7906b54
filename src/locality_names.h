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

/* A name (interface, volume, path) is shown in messages at most this
   long (nr_shown).  */
#define NR_LOCALITY_SHOWN_MAX 32

/* Split VALUE at commas into NAMES (at most NR_LOCALITY_MAX_NICS, pointing
   into VALUE, which is modified), each trimmed of blanks and checked with
   nr_locality_ifname_valid.  */
int nr_locality_split_nics (char *value, char **names, size_t *n_names, nr_error_t *err);

#endif
