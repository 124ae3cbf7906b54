/* numa-runtime: the memory-policy mode table.  See mpol_modes.h.  */
#include <config.h>

#include "mpol_modes.h"
#include "util.h"

#include <numaif.h>
#include <stdio.h>
#include <string.h>

/* Older numaif.h lacks the newest mode; the value is kernel ABI.  */
#ifndef MPOL_WEIGHTED_INTERLEAVE
#define MPOL_WEIGHTED_INTERLEAVE 6
#endif

/* Every mode the runtime-spec (v1.3) names, with the kernel's value.  */
static const struct
{
  const char *oci_name;
  int kmode;
} oci_modes[] = {
  { "MPOL_DEFAULT", MPOL_DEFAULT },
  { "MPOL_PREFERRED", MPOL_PREFERRED },
  { "MPOL_BIND", MPOL_BIND },
  { "MPOL_INTERLEAVE", MPOL_INTERLEAVE },
  { "MPOL_LOCAL", MPOL_LOCAL },
  { "MPOL_PREFERRED_MANY", MPOL_PREFERRED_MANY },
  { "MPOL_WEIGHTED_INTERLEAVE", MPOL_WEIGHTED_INTERLEAVE },
};
#define N_OCI_MODES (NR_N_ELEMENTS (oci_modes))

/* The modes numa-runtime may write (see nr_mpol_kernel_mode).  */
#define MODES_WE_WRITE                                                                             \
  ((1u << MPOL_BIND) | (1u << MPOL_PREFERRED) | (1u << MPOL_PREFERRED_MANY)                        \
   | (1u << MPOL_INTERLEAVE))

int
nr_mpol_kernel_mode (enum nr_mpol mode, int n_nodes)
{
  switch (mode)
    {
    case NR_MPOL_PREFERRED:
      return n_nodes > 1 ? MPOL_PREFERRED_MANY : MPOL_PREFERRED;
    case NR_MPOL_INTERLEAVE:
      return MPOL_INTERLEAVE;
    case NR_MPOL_WEIGHTED_INTERLEAVE:
      return MPOL_WEIGHTED_INTERLEAVE;
    case NR_MPOL_BIND:
    default:
      return MPOL_BIND;
    }
}

int
nr_mpol_kernel_mode_of (const char *oci_name)
{
  for (size_t i = 0; i < N_OCI_MODES; i++)
    if (strcmp (oci_modes[i].oci_name, oci_name) == 0)
      return oci_modes[i].kmode;
  return -1;
}

unsigned
nr_mpol_all_modes (void)
{
  unsigned mask = 0;
  for (size_t i = 0; i < N_OCI_MODES; i++)
    mask |= 1u << oci_modes[i].kmode;
  return mask;
}

unsigned
nr_mpol_modes_we_write (void)
{
  return MODES_WE_WRITE;
}

const char *
nr_mpol_oci_name (int kmode)
{
  for (size_t i = 0; i < N_OCI_MODES; i++)
    if (oci_modes[i].kmode == kmode)
      return oci_modes[i].oci_name;
  return NULL;
}

static const char *const mpol_names[] = {
  [NR_MPOL_BIND] = "bind",
  [NR_MPOL_PREFERRED] = "preferred",
  [NR_MPOL_INTERLEAVE] = "interleave",
  [NR_MPOL_WEIGHTED_INTERLEAVE] = "weighted-interleave",
};

const char *
nr_mpol_name (enum nr_mpol mode)
{
  return mpol_names[mode];
}

int
nr_mpol_parse (const char *name, enum nr_mpol *out)
{
  for (size_t i = 0; i < NR_N_ELEMENTS (mpol_names); i++)
    if (strcmp (name, mpol_names[i]) == 0)
      {
        *out = (enum nr_mpol) i;
        return 0;
      }
  return -1;
}

const char *
nr_mpol_choices (void)
{
  static char text[128];
  size_t n = NR_N_ELEMENTS (mpol_names);

  if (text[0] == '\0')
    {
      size_t len = (size_t) snprintf (text, sizeof (text), "must be");
      for (size_t i = 0; i < n && len < sizeof (text); i++)
        len += (size_t) snprintf (text + len, sizeof (text) - len, "%s%s",
                                  i == 0       ? " "
                                  : i + 1 == n ? " or "
                                               : ", ",
                                  mpol_names[i]);
    }
  return text;
}
