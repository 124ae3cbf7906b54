/* numa-runtime: the INI configuration file.  */
#ifndef NR_CONF_H
#define NR_CONF_H

#include "error.h"

#include <stdbool.h>

enum nr_policy
{
  NR_POLICY_NONE,
  NR_POLICY_BEST_EFFORT,
  NR_POLICY_RESTRICTED,
  NR_POLICY_SINGLE_NUMA_NODE,
};

/* Every string is owned by the struct; nr_config_free releases them.  */
struct nr_config
{
  char *path;               /* the file read, or NULL when defaults only */
  char *runtime_path;       /* [runtime] path; NULL: search PATH */
  char *ledger_path;        /* [ledger] path */
  char *sysfs_root;         /* [topology] sysfs_root */
  char *proc_root;          /* [topology] proc_root */
  enum nr_policy policy;    /* [placement] policy */
};

/* Load the config from $NUMA_RUNTIME_CONFIG, else the default path.  A
   missing default file means defaults; a missing file named by the
   environment, an unknown key or a bad value is an error.  */
int nr_config_load (struct nr_config *config, nr_error_t *err);

/* Load from PATH; MUST_EXIST says whether a missing file is an error.  */
int nr_config_load_file (struct nr_config *config, const char *path,
                         bool must_exist, nr_error_t *err);

void nr_config_free (struct nr_config *config);

const char *nr_policy_name (enum nr_policy policy);
int nr_policy_parse (const char *name, enum nr_policy *out);

#endif
