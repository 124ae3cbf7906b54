/* numa-runtime: the INI configuration file.  */
#include <config.h>

#include "conf.h"
#include "ledger_lock.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LEDGER "/run/numa-runtime/ledger.json"

static const char *const policy_names[] = {
  [NR_POLICY_NONE] = "none",
  [NR_POLICY_BEST_EFFORT] = "best-effort",
  [NR_POLICY_RESTRICTED] = "restricted",
  [NR_POLICY_SINGLE_NUMA_NODE] = "single-numa-node",
};

const char *
nr_policy_name (enum nr_policy policy)
{
  return policy_names[policy];
}

int
nr_policy_parse (const char *name, enum nr_policy *out)
{
  for (size_t i = 0; i < NR_N_ELEMENTS (policy_names); i++)
    if (strcmp (name, policy_names[i]) == 0)
      {
        *out = (enum nr_policy) i;
        return 0;
      }
  return -1;
}

static const char *const tiers_names[] = { "spill", "off", "tiered", "interleave" };

int
nr_tiers_parse (const char *name, enum nr_tiers *out)
{
  for (size_t i = 0; i < sizeof (tiers_names) / sizeof (tiers_names[0]); i++)
    if (strcmp (name, tiers_names[i]) == 0)
      {
        *out = (enum nr_tiers) i;
        return 0;
      }
  return -1;
}

int
nr_spread_parse (const char *name, enum nr_spread *out)
{
  if (strcmp (name, "pack") == 0)
    *out = NR_SPREAD_PACK;
  else if (strcmp (name, "distribute") == 0)
    *out = NR_SPREAD_DISTRIBUTE;
  else
    return -1;
  return 0;
}

int
nr_parse_size (const char *text, int64_t *out)
{
  char *end;
  unsigned long long v;
  int shift = 0;

  if (! isdigit ((unsigned char) *text))
    return -1;
  errno = 0;
  v = strtoull (text, &end, 10);
  if (errno != 0)
    return -1;
  switch (*end)
    {
    case 'k':
    case 'K':
      shift = 10;
      end++;
      break;
    case 'm':
    case 'M':
      shift = 20;
      end++;
      break;
    case 'g':
    case 'G':
      shift = 30;
      end++;
      break;
    case 't':
    case 'T':
      shift = 40;
      end++;
      break;
    default:
      break;
    }
  if (*end == 'i' && shift)
    end++;
  if ((*end == 'B' || *end == 'b') && shift)
    end++;
  if (*end != '\0' || v > (unsigned long long) (INT64_MAX >> shift))
    return -1;
  *out = (int64_t) (v << shift);
  return 0;
}

static int
parse_bool (const char *v, bool *out)
{
  if (strcmp (v, "true") == 0 || strcmp (v, "yes") == 0 || strcmp (v, "1") == 0)
    *out = true;
  else if (strcmp (v, "false") == 0 || strcmp (v, "no") == 0 || strcmp (v, "0") == 0)
    *out = false;
  else
    return -1;
  return 0;
}

/* A key's parser stores VALUE into CONFIG, or returns an error text.  */
typedef const char *(*key_parser) (struct nr_config *config, const char *value);

static const char *
set_string (char **field, const char *value)
{
  free (*field);
  *field = *value ? xstrdup (value) : NULL;
  return NULL;
}

static const char *
parse_runtime_path (struct nr_config *c, const char *v)
{
  return set_string (&c->runtime_path, v);
}

static const char *
parse_ledger_path (struct nr_config *c, const char *v)
{
  if (*v != '/')
    return "must be an absolute path";
  return set_string (&c->ledger_path, v);
}

static const char *
parse_sysfs_root (struct nr_config *c, const char *v)
{
  return set_string (&c->sysfs_root, *v ? v : "/sys");
}

static const char *
parse_proc_root (struct nr_config *c, const char *v)
{
  return set_string (&c->proc_root, *v ? v : "/proc");
}

static const char *
parse_cgroup_root (struct nr_config *c, const char *v)
{
  return set_string (&c->cgroup_root, *v ? v : "/sys/fs/cgroup");
}

static const char *
parse_min_local (struct nr_config *c, const char *v)
{
  return nr_parse_ratio (v, &c->min_local) < 0 ? "must be a number from 0 to 1" : NULL;
}

static const char *
parse_policy (struct nr_config *c, const char *v)
{
  if (nr_policy_parse (v, &c->policy) < 0)
    return "must be none, best-effort, restricted or single-numa-node";
  return NULL;
}

static const char *
parse_cpu_allocation (struct nr_config *c, const char *v)
{
  if (strcmp (v, "shared") == 0)
    c->cpu_exclusive = false;
  else if (strcmp (v, "exclusive") == 0)
    c->cpu_exclusive = true;
  else
    return "must be shared or exclusive";
  return NULL;
}

static const char *
parse_isolated_cpus (struct nr_config *c, const char *v)
{
  if (strcmp (v, "never") == 0)
    c->isolated_annotated = false;
  else if (strcmp (v, "annotated") == 0)
    c->isolated_annotated = true;
  else
    return "must be never or annotated";
  return NULL;
}

static const char *
parse_cpu_alignment (struct nr_config *c, const char *v)
{
  if (strcmp (v, "prefer") == 0)
    c->llc_strict = false;
  else if (strcmp (v, "llc") == 0)
    c->llc_strict = true;
  else
    return "must be prefer or llc";
  return NULL;
}

static const char *
parse_shared_nodes (struct nr_config *c, const char *v)
{
  if (strcmp (v, "spread") == 0)
    c->shared_gather = false;
  else if (strcmp (v, "gather") == 0)
    c->shared_gather = true;
  else
    return "must be spread or gather";
  return NULL;
}

static const char *
parse_reserved_cpus (struct nr_config *c, const char *v)
{
  return nr_set_parse (v, &c->reserved_cpus, NULL) < 0 ? "must be a CPU list like 0-1,32-33" : NULL;
}

static const char *
parse_reserved_memory (struct nr_config *c, const char *v)
{
  return nr_parse_size (v, &c->reserved_memory) < 0 ? "must be a size like 512M or 2G" : NULL;
}

static const char *
parse_best_effort_share (struct nr_config *c, const char *v)
{
  char *end;
  long long m = strtoll (v, &end, 10);
  if (*v == '\0' || *end != '\0' || m < 0 || m > 1000000)
    return "must be milli-CPUs between 0 and 1000000";
  c->best_effort_millicpus = m;
  return NULL;
}

static const char *
parse_multi_node (struct nr_config *c, const char *v)
{
  return nr_spread_parse (v, &c->spread) < 0 ? "must be pack or distribute" : NULL;
}

static const char *
parse_kubelet_cpuset (struct nr_config *c, const char *v)
{
  if (strcmp (v, "respect") == 0)
    c->kubelet_override = false;
  else if (strcmp (v, "override") == 0)
    c->kubelet_override = true;
  else
    return "must be respect or override";
  return NULL;
}

static const char *
parse_update_cpuset (struct nr_config *c, const char *v)
{
  if (strcmp (v, "respect-placement") == 0)
    c->update_narrow = true;
  else if (strcmp (v, "pass-through") == 0)
    c->update_narrow = false;
  else
    return "must be respect-placement or pass-through";
  return NULL;
}

static const char *
parse_topology_view (struct nr_config *c, const char *v)
{
  if (strcmp (v, "host") == 0)
    c->topology_view_container = false;
  else if (strcmp (v, "container") == 0)
    c->topology_view_container = true;
  else
    return "must be host or container";
  return NULL;
}

static const char *
parse_memory_policy (struct nr_config *c, const char *v)
{
  return nr_mpol_parse (v, &c->memory_policy) < 0 ? nr_mpol_choices () : NULL;
}

static const char *
parse_memory_tiers (struct nr_config *c, const char *v)
{
  return nr_tiers_parse (v, &c->memory_tiers) < 0 ? "must be spill, off, tiered or interleave"
                                                  : NULL;
}

static const char *
parse_tier_nodes (struct nr_config *c, const char *v)
{
  c->tier_nodes_set = strcmp (v, "auto") != 0;
  nr_set_clear (&c->tier_nodes);
  if (c->tier_nodes_set && strcmp (v, "none") != 0 && nr_set_parse (v, &c->tier_nodes, NULL) < 0)
    return "must be auto, none or a node list like 2-3";
  return NULL;
}

/* "auto" (the kernel's weights) or NODE=WEIGHT pairs: "0=3,1=3,2=1".  */
static const char *
parse_memory_weights (struct nr_config *c, const char *v)
{
  const char *p = v;

  free (c->memory_weights);
  c->memory_weights = NULL;
  if (strcmp (v, "auto") == 0)
    return NULL;
  c->memory_weights = xmalloc0 (NR_SET_MAX);
  while (*p)
    {
      char *end;
      long node, weight;

      while (*p == ' ' || *p == ',')
        p++;
      if (*p == '\0')
        break;
      node = strtol (p, &end, 10);
      if (end == p || *end != '=' || node < 0 || node >= NR_SET_MAX)
        return "must be auto or NODE=WEIGHT pairs like 0=3,2=1 (weights 1-255)";
      p = end + 1;
      weight = strtol (p, &end, 10);
      if (end == p || weight < 1 || weight > 255 || (*end && *end != ',' && *end != ' '))
        return "must be auto or NODE=WEIGHT pairs like 0=3,2=1 (weights 1-255)";
      c->memory_weights[node] = (unsigned char) weight;
      p = end;
    }
  return NULL;
}

static const char *
parse_seccomp_allow (struct nr_config *c, const char *v)
{
  return parse_bool (v, &c->seccomp_allow_mempolicy) < 0 ? "must be true or false" : NULL;
}

static const char *
parse_annotations_enabled (struct nr_config *c, const char *v)
{
  return parse_bool (v, &c->annotations_enabled) < 0 ? "must be true or false" : NULL;
}

static const char *
parse_annotation_keys (struct nr_config *c, const char *v)
{
  return set_string (&c->annotation_keys, v);
}

static const char *
parse_annotation_nodes (struct nr_config *c, const char *v)
{
  if (nr_set_parse (v, &c->annotation_nodes, NULL) < 0)
    return "must be a node list like 0-1";
  c->annotation_nodes_set = *v != '\0';
  return NULL;
}

static const char *
parse_annotations_weaken (struct nr_config *c, const char *v)
{
  return parse_bool (v, &c->annotations_may_weaken) < 0 ? "must be true or false" : NULL;
}

static const char *
parse_lock_timeout (struct nr_config *c, const char *v)
{
  char *end;
  unsigned long seconds;

  errno = 0;
  seconds = strtoul (v, &end, 10);
  if (! isdigit ((unsigned char) *v) || *end != '\0' || errno != 0 || seconds < 1
      || seconds > NR_LEDGER_LOCK_TIMEOUT_MAX)
    return "must be a number of seconds from 1 to 3600";
  c->ledger_lock_timeout = (unsigned) seconds;
  return NULL;
}

static const char *
parse_env_pin (struct nr_config *c, const char *v)
{
  return parse_bool (v, &c->env_pin_enabled) < 0 ? "must be true or false" : NULL;
}

static const char *
parse_kubelet_root (struct nr_config *c, const char *v)
{
  return set_string (&c->kubelet_root, v);
}

static const struct
{
  const char *section;
  const char *key;
  key_parser parse;
} known_keys[] = {
  { "runtime", "path", parse_runtime_path },
  { "ledger", "path", parse_ledger_path },
  { "ledger", "lock_timeout", parse_lock_timeout },
  { "topology", "sysfs_root", parse_sysfs_root },
  { "topology", "proc_root", parse_proc_root },
  { "topology", "cgroup_root", parse_cgroup_root },
  { "locality", "min_local", parse_min_local },
  { "placement", "policy", parse_policy },
  { "placement", "cpu_allocation", parse_cpu_allocation },
  { "placement", "isolated_cpus", parse_isolated_cpus },
  { "placement", "cpu_alignment", parse_cpu_alignment },
  { "placement", "shared_nodes", parse_shared_nodes },
  { "placement", "reserved_cpus", parse_reserved_cpus },
  { "placement", "reserved_memory", parse_reserved_memory },
  { "placement", "best_effort_share", parse_best_effort_share },
  { "placement", "multi_node", parse_multi_node },
  { "placement", "kubelet_cpuset", parse_kubelet_cpuset },
  { "placement", "update_cpuset", parse_update_cpuset },
  { "placement", "topology_view", parse_topology_view },
  { "memory", "policy", parse_memory_policy },
  { "memory", "tiers", parse_memory_tiers },
  { "memory", "tier_nodes", parse_tier_nodes },
  { "memory", "weights", parse_memory_weights },
  { "seccomp", "allow_mempolicy", parse_seccomp_allow },
  { "annotations", "enabled", parse_annotations_enabled },
  { "annotations", "honoured", parse_annotation_keys },
  { "annotations", "allowed_nodes", parse_annotation_nodes },
  { "annotations", "allow_weaker_policy", parse_annotations_weaken },
  { "annotations", "numa_node_env", parse_env_pin },
  { "kubelet", "root", parse_kubelet_root },
};

struct parse_state
{
  struct nr_config *config;
  char *problem; /* first problem found, owned */
};

static int
on_ini_entry (void *user, const char *section, const char *key, const char *value)
{
  struct parse_state *state = user;

  for (size_t i = 0; i < NR_N_ELEMENTS (known_keys); i++)
    {
      const char *why;
      if (strcmp (known_keys[i].section, section) != 0 || strcmp (known_keys[i].key, key) != 0)
        continue;
      why = known_keys[i].parse (state->config, value);
      if (why && state->problem == NULL)
        state->problem = xasprintf ("[%s] %s = `%s`: %s", section, key, value, why);
      return why == NULL;
    }
  if (state->problem == NULL)
    state->problem = xasprintf ("unknown key `%s` in section [%s]", key, section);
  return 0;
}

static void
set_defaults (struct nr_config *config)
{
  memset (config, 0, sizeof (*config));
  config->ledger_path = xstrdup (DEFAULT_LEDGER);
  config->ledger_lock_timeout = NR_LEDGER_LOCK_TIMEOUT_DEFAULT;
  config->sysfs_root = xstrdup ("/sys");
  config->proc_root = xstrdup ("/proc");
  config->cgroup_root = xstrdup ("/sys/fs/cgroup");
  config->min_local = 0.95;
  config->policy = NR_POLICY_BEST_EFFORT;
  config->best_effort_millicpus = 100;
  config->update_narrow = true;
  config->seccomp_allow_mempolicy = true;
  config->annotations_enabled = true;
  config->env_pin_enabled = true;
  config->kubelet_root = xstrdup ("/var/lib/kubelet");
}

int
nr_config_load_file (struct nr_config *config, const char *path, bool must_exist, nr_error_t *err)
{
  struct parse_state state = { config, NULL };
  cleanup_file FILE *f = NULL;
  int line;

  set_defaults (config);
  f = fopen_regular (path);
  if (f == NULL)
    {
      if (errno == ENOENT && ! must_exist)
        return 0;
      /* A directory or a FIFO: inih would read the first as an empty
         file and wait forever on the second.  */
      if (errno == EINVAL)
        return nr_make_error (err, 0, "config `%s` is not a regular file", path);
      return nr_make_error (err, errno, "open config `%s`", path);
    }
  config->path = xstrdup (path);
  errno = 0;
  line = ini_parse_file (f, on_ini_entry, &state);
  /* inih takes a read error for the end of the file: without this, a
     file whose read fails (EIO from /proc/self/mem, a failing disk)
     would be an empty config, silently the defaults.  */
  if (ferror (f))
    {
      free (state.problem);
      return nr_make_error (err, errno ? errno : EIO, "read config `%s`", path);
    }
  if (line != 0 || state.problem)
    {
      cleanup_free char *problem = state.problem;
      if (problem)
        return nr_make_error (err, 0, "config `%s` line %d: %s", path, line, problem);
      return nr_make_error (err, 0, "config `%s` line %d: syntax error", path, line);
    }
  return 0;
}

int
nr_config_load (struct nr_config *config, nr_error_t *err)
{
  const char *from_env = getenv ("NUMA_RUNTIME_CONFIG");

  if (from_env && *from_env)
    return nr_config_load_file (config, from_env, true, err);
  return nr_config_load_file (config, NR_DEFAULT_CONFIG, false, err);
}

void
nr_config_free (struct nr_config *config)
{
  free (config->path);
  free (config->runtime_path);
  free (config->ledger_path);
  free (config->sysfs_root);
  free (config->proc_root);
  free (config->cgroup_root);
  free (config->annotation_keys);
  free (config->kubelet_root);
  free (config->memory_weights);
  memset (config, 0, sizeof (*config));
}
