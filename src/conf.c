/* numa-runtime: the INI configuration file.  */
#include <config.h>

#include "conf.h"
#include "util.h"

#include <errno.h>
#include <ini.h>
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
  for (size_t i = 0; i < sizeof (policy_names) / sizeof (policy_names[0]); i++)
    if (strcmp (name, policy_names[i]) == 0)
      {
        *out = (enum nr_policy) i;
        return 0;
      }
  return -1;
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
parse_policy (struct nr_config *c, const char *v)
{
  if (nr_policy_parse (v, &c->policy) < 0)
    return "must be none, best-effort, restricted or single-numa-node";
  return NULL;
}

static const struct
{
  const char *section;
  const char *key;
  key_parser parse;
} known_keys[] = {
  { "runtime", "path", parse_runtime_path },
  { "ledger", "path", parse_ledger_path },
  { "topology", "sysfs_root", parse_sysfs_root },
  { "topology", "proc_root", parse_proc_root },
  { "placement", "policy", parse_policy },
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

  for (size_t i = 0; i < sizeof (known_keys) / sizeof (known_keys[0]); i++)
    {
      const char *why;
      if (strcmp (known_keys[i].section, section) != 0
          || strcmp (known_keys[i].key, key) != 0)
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
  config->sysfs_root = xstrdup ("/sys");
  config->proc_root = xstrdup ("/proc");
  config->policy = NR_POLICY_BEST_EFFORT;
}

int
nr_config_load_file (struct nr_config *config, const char *path,
                     bool must_exist, nr_error_t *err)
{
  struct parse_state state = { config, NULL };
  cleanup_file FILE *f = NULL;
  int line;

  set_defaults (config);
  f = fopen (path, "re");
  if (f == NULL)
    {
      if (errno == ENOENT && ! must_exist)
        return 0;
      return nr_make_error (err, errno, "open config `%s`", path);
    }
  config->path = xstrdup (path);
  line = ini_parse_file (f, on_ini_entry, &state);
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
  memset (config, 0, sizeof (*config));
}
