/* numa-runtime: fixed-size bit sets of CPUs or nodes, and the kernel's list
   format ("0-3,8,10-11") for them.  */
#ifndef NR_CPUSET_H
#define NR_CPUSET_H

#include "error.h"

#include <stdbool.h>
#include <stdint.h>

/* Largest CPU (or node) number + 1 we handle; the kernel's default
   NR_CPUS on x86_64 distributions is 8192.  */
#define NR_SET_MAX 8192

typedef struct
{
  uint64_t words[NR_SET_MAX / 64];
} nr_set_t;

void nr_set_clear (nr_set_t *set);
void nr_set_add (nr_set_t *set, int bit);
void nr_set_remove (nr_set_t *set, int bit);
bool nr_set_has (const nr_set_t *set, int bit);
int nr_set_count (const nr_set_t *set);
bool nr_set_is_empty (const nr_set_t *set);
bool nr_set_equal (const nr_set_t *a, const nr_set_t *b);
/* True when every bit of SUB is in SUPER.  */
bool nr_set_is_subset (const nr_set_t *sub, const nr_set_t *super);
bool nr_set_intersects (const nr_set_t *a, const nr_set_t *b);
void nr_set_union (nr_set_t *dst, const nr_set_t *src);
void nr_set_intersect (nr_set_t *dst, const nr_set_t *src);
void nr_set_subtract (nr_set_t *dst, const nr_set_t *src);
/* DST = A minus B; returns the number of elements of DST.  One pass, cheap
   for a sparse A (a node's CPUs): placement does it for every node.  */
int nr_set_difference (nr_set_t *dst, const nr_set_t *a, const nr_set_t *b);
/* *N_AB = |A minus B|, *N_ABC = |A minus B minus C|, without building
   either: one read of the words of A that are not empty.  */
void nr_set_count_minus (const nr_set_t *a, const nr_set_t *b, const nr_set_t *c, int *n_ab,
                         int *n_abc);
/* Lowest bit >= FROM, or -1.  Iterate with
   for (int b = nr_set_next (s, 0); b >= 0; b = nr_set_next (s, b + 1)).  */
int nr_set_next (const nr_set_t *set, int from);
/* Lowest bit >= FROM and < END, or -1: nr_set_next for a caller that
   knows no bit lies at END or above, so that the last call of a walk
   does not scan the rest of the set.  */
int nr_set_next_below (const nr_set_t *set, int from, int end);
/* |A and B| counting bits below END only: for a caller that knows no bit
   lies at END or above (the CPUs of a machine with END CPU slots), so
   that counting a cache group's share reads a few words, not 128.  */
int nr_set_count_common (const nr_set_t *a, const nr_set_t *b, int end);

/* Parse a list like "0-3,8,10-11" (surrounding blanks and a trailing
   newline allowed, "" is the empty set).  */
int nr_set_parse (const char *list, nr_set_t *out, nr_error_t *err);

/* Format SET in list form into a string the caller frees ("" when empty).  */
char *nr_set_format (const nr_set_t *set);

#endif
