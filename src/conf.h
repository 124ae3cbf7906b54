/* numa-runtime: the INI configuration file.  */
#ifndef NR_CONF_H
#define NR_CONF_H

#include "cpuset.h"
#include "error.h"
#include "mpol_modes.h"

#include <stdbool.h>
#include <stdint.h>

enum nr_policy
{
  NR_POLICY_NONE,
  NR_POLICY_BEST_EFFORT,
  NR_POLICY_RESTRICTED,
  NR_POLICY_SINGLE_NUMA_NODE,
};

/* Every string is owned by the struct; nr_config_free releases them.  */
/* How a container spanning several nodes gets its CPUs.  */
enum nr_spread
{
  NR_SPREAD_PACK,       /* fill the closest nodes in turn */
  NR_SPREAD_DISTRIBUTE, /* an even share of CPUs from each chosen node */
};

/* Whether a container's memory may go to CPU-less nodes ([memory] tiers,
   annotation numa-runtime.io/memory-tiers).  */
enum nr_tiers
{
  NR_TIERS_SPILL,      /* the CPU node(s); the nearest tier nodes when it does not fit */
  NR_TIERS_OFF,        /* the CPU node(s) only */
  NR_TIERS_TIERED,     /* always the nearest tier node(s) too: demotion target */
  NR_TIERS_INTERLEAVE, /* CPU and nearest tier node(s), (weighted) interleaved */
};

/* Memory policy modes numa-runtime sets (see mempolicy.h).  */

struct nr_config
{
  char *path;                    /* the file read, or NULL when defaults only */
  char *runtime_path;            /* [runtime] path; NULL: search PATH */
  char *ledger_path;             /* [ledger] path */
  unsigned ledger_lock_timeout;  /* [ledger] lock_timeout, seconds */
  char *sysfs_root;              /* [topology] sysfs_root */
  char *proc_root;               /* [topology] proc_root */
  char *cgroup_root;             /* [topology] cgroup_root */
  double min_local;              /* [locality] min_local: verify's and rebalance's threshold */
  enum nr_policy policy;         /* [placement] policy */
  bool cpu_exclusive;            /* [placement] cpu_allocation = exclusive */
  bool isolated_annotated;       /* [placement] isolated_cpus = annotated (else never) */
  bool llc_strict;               /* [placement] cpu_alignment = llc (else prefer) */
  bool shared_gather;            /* [placement] shared_nodes = gather (else spread) */
  nr_set_t reserved_cpus;        /* [placement] reserved_cpus: never handed out */
  int64_t reserved_memory;       /* [placement] reserved_memory: bytes kept free per node */
  int64_t best_effort_millicpus; /* [placement] best_effort_share */
  enum nr_spread spread;         /* [placement] multi_node = pack|distribute */
  bool kubelet_override;         /* [placement] kubelet_cpuset = override (else respect) */
  bool update_narrow; /* [placement] update_cpuset = respect-placement (else pass-through) */
  bool topology_view_container;  /* [placement] topology_view = container (else host) */
  enum nr_mpol memory_policy;    /* [memory] policy */
  enum nr_tiers memory_tiers;    /* [memory] tiers */
  bool tier_nodes_set;           /* [memory] tier_nodes is a list (else auto) */
  nr_set_t tier_nodes;           /* memory-only nodes placement may use */
  unsigned char *memory_weights; /* [memory] weights per node id (NR_SET_MAX), NULL: kernel's */
  bool seccomp_allow_mempolicy;  /* [seccomp] allow_mempolicy */
  bool annotations_enabled;      /* [annotations] enabled */
  char *annotation_keys;     /* [annotations] honoured: comma list of key suffixes, NULL = all */
  nr_set_t annotation_nodes; /* [annotations] allowed_nodes; empty = any */
  bool annotation_nodes_set;
  bool annotations_may_weaken; /* [annotations] allow_weaker_policy */
  bool env_pin_enabled;        /* [annotations] numa_node_env: NUMA_NODE in the env pins */
  char *kubelet_root;          /* [kubelet] root: its checkpoints' directory; NULL: not read */
};

/* Load the config from $NUMA_RUNTIME_CONFIG, else the default path.  A
   missing default file means defaults; a missing file named by the
   environment, an unknown key or a bad value is an error.  */
int nr_config_load (struct nr_config *config, nr_error_t *err);

/* Load from PATH; MUST_EXIST says whether a missing file is an error.  */
int nr_config_load_file (struct nr_config *config, const char *path, bool must_exist,
                         nr_error_t *err);

void nr_config_free (struct nr_config *config);

const char *nr_policy_name (enum nr_policy policy);
int nr_policy_parse (const char *name, enum nr_policy *out);
int nr_spread_parse (const char *name, enum nr_spread *out);
int nr_tiers_parse (const char *name, enum nr_tiers *out);

/* Parse a size like "512M", "2G", "1048576" (binary units).  */
int nr_parse_size (const char *text, int64_t *out);

#endif
