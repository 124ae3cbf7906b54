/* numa-runtime: the one table of memory-policy modes — the names the
   configuration and the annotations take, the runtime-spec's MPOL_* names
   and the kernel's values.  Every reader of a mode (conf.c, annotations.c,
   mempolicy.c, runtime_features.c) goes through it.  */
#ifndef NR_MPOL_MODES_H
#define NR_MPOL_MODES_H

/* A memory policy as numa-runtime's configuration and annotations name it.  */
enum nr_mpol
{
  NR_MPOL_BIND,
  NR_MPOL_PREFERRED,
  NR_MPOL_INTERLEAVE,
  NR_MPOL_WEIGHTED_INTERLEAVE, /* tiers = interleave with weights (kernel >= 6.9) */
};

/* "bind", "preferred", "interleave", "weighted-interleave".  */
const char *nr_mpol_name (enum nr_mpol mode);
/* 0 and *OUT set when NAME is one of the above, else -1.  */
int nr_mpol_parse (const char *name, enum nr_mpol *out);
/* "must be bind, preferred, interleave or weighted-interleave": every name
   nr_mpol_parse takes, for error messages.  Static storage.  */
const char *nr_mpol_choices (void);

/* The kernel's MPOL_* mode for MODE over N_NODES nodes: MPOL_PREFERRED
   names a single node, so a preferred policy over several nodes is
   MPOL_PREFERRED_MANY.  */
int nr_mpol_kernel_mode (enum nr_mpol mode, int n_nodes);

/* The runtime-spec name of kernel mode KMODE ("MPOL_BIND"), NULL when
   the spec has none.  Static storage.  */
const char *nr_mpol_oci_name (int kmode);

/* The kernel mode of runtime-spec name OCI_NAME ("MPOL_BIND"), -1 when
   unknown.  */
int nr_mpol_kernel_mode_of (const char *oci_name);

/* Bit masks of (1u << MPOL_*): every mode the runtime-spec names; the
   modes numa-runtime writes (bind, preferred, preferred-many,
   interleave).  */
unsigned nr_mpol_all_modes (void);
unsigned nr_mpol_modes_we_write (void);

#endif
