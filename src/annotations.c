/* numa-runtime: per-pod control through annotations, within the admin's
   bounds.  */
#include <config.h>

#include "annotations.h"
#include "spec_edit.h"
#include "util.h"

#include <ctype.h>
#include <string.h>

#define PREFIX_LEN (sizeof (NR_ANNOTATION_PREFIX) - 1)

/* A value is shown in messages at most this long, and only printable
   ASCII: annotations come from whoever may create pods, and messages end
   up in logs and in `kubectl describe`.  */
#define SHOWN_MAX 64

struct reader
{
  const struct nr_config *config;
  enum nr_policy base; /* the configured policy */
  struct nr_request *req;
  const char *key; /* the key being read, as the pod spelt it (static) */
};

/* A parser stores VALUE into the request, or returns why it cannot (owned
   by the caller) and leaves the request alone.  */
typedef char *(*value_parser) (struct reader *r, const char *value);

static char *
parse_policy (struct reader *r, const char *value)
{
  enum nr_policy policy;

  if (nr_policy_parse (value, &policy) < 0)
    return xstrdup ("must be none, best-effort, restricted or single-numa-node");
  if (policy < r->base && ! r->config->annotations_may_weaken)
    return xasprintf ("weaker than the configured policy %s, and [annotations] "
                      "allow_weaker_policy is false",
                      nr_policy_name (r->base));
  r->req->has_policy = true;
  r->req->policy = policy;
  return NULL;
}

static char *
parse_nodes (struct reader *r, const char *value)
{
  nr_set_t nodes;

  if (nr_set_parse (value, &nodes, NULL) < 0 || nr_set_is_empty (&nodes))
    return xstrdup ("must be a non-empty node list such as 1 or 0-1");
  if (r->config->annotation_nodes_set && ! nr_set_is_subset (&nodes, &r->config->annotation_nodes))
    {
      cleanup_free char *allowed = nr_set_format (&r->config->annotation_nodes);
      return xasprintf ("asks for nodes outside [annotations] allowed_nodes = %s", allowed);
    }
  r->req->nodes_wanted = nodes;
  r->req->pinned_by = r->key;
  return NULL;
}

static char *
parse_span (struct reader *r, const char *value)
{
  int n = 0;

  /* Digits only: no sign, blanks, hex or exponent, and no overflow.  */
  for (const char *p = value; *p; p++)
    {
      if (! isdigit ((unsigned char) *p) || p - value >= 3)
        goto bad;
      n = n * 10 + (*p - '0');
    }
  if (*value == '\0' || n < 1 || n > NR_ANNOTATION_MAX_SPAN)
    goto bad;
  r->req->span = n;
  return NULL;

bad:
  return xasprintf ("must be a number of nodes from 1 to %d", NR_ANNOTATION_MAX_SPAN);
}

static char *
parse_spread (struct reader *r, const char *value)
{
  enum nr_spread spread;

  if (nr_spread_parse (value, &spread) < 0)
    return xstrdup ("must be pack or distribute");
  r->req->has_spread = true;
  r->req->spread = spread;
  return NULL;
}

static char *
parse_cpu_allocation (struct reader *r, const char *value)
{
  if (strcmp (value, "shared") == 0)
    r->req->exclusive = false;
  else if (strcmp (value, "exclusive") == 0)
    r->req->exclusive = true;
  else
    return xstrdup ("must be shared or exclusive");
  r->req->has_exclusive = true;
  return NULL;
}

static char *
parse_isolated_cpus (struct reader *r, const char *value)
{
  bool want;

  if (strcmp (value, "true") == 0)
    want = true;
  else if (strcmp (value, "false") == 0)
    want = false;
  else
    return xstrdup ("must be true or false");
  if (want && ! r->config->isolated_annotated)
    return xstrdup ("asks for isolated CPUs, and [placement] isolated_cpus is never");
  r->req->isolated = want;
  return NULL;
}

static char *
parse_cpu_alignment (struct reader *r, const char *value)
{
  bool strict;

  if (strcmp (value, "llc") == 0)
    strict = true;
  else if (strcmp (value, "prefer") == 0)
    strict = false;
  else
    return xstrdup ("must be prefer or llc");
  if (! strict && r->config->llc_strict && ! r->config->annotations_may_weaken)
    return xstrdup ("weaker than the configured cpu_alignment llc, and [annotations] "
                    "allow_weaker_policy is false");
  r->req->has_alignment = true;
  r->req->llc_strict = strict;
  return NULL;
}

static char *
parse_memory_policy (struct reader *r, const char *value)
{
  enum nr_mpol mode;

  if (nr_mpol_parse (value, &mode) < 0)
    return xstrdup (nr_mpol_choices ());
  r->req->has_mpol = true;
  r->req->mpol = mode;
  return NULL;
}

static char *
parse_memory_tiers (struct reader *r, const char *value)
{
  enum nr_tiers mode;

  if (nr_tiers_parse (value, &mode) < 0)
    return xstrdup ("must be spill, off, tiered or interleave");
  r->req->has_tiers = true;
  r->req->tiers = mode;
  return NULL;
}

/* `host` where the admin configured `container` undoes what the admin
   chose for every container: a weakening, as cpu-alignment's prefer.  */
static char *
parse_topology_view (struct reader *r, const char *value)
{
  bool container;

  if (strcmp (value, "container") == 0)
    container = true;
  else if (strcmp (value, "host") == 0)
    container = false;
  else
    return xstrdup ("must be host or container");
  if (! container && r->config->topology_view_container && ! r->config->annotations_may_weaken)
    return xstrdup ("weaker than the configured topology_view container, and [annotations] "
                    "allow_weaker_policy is false");
  r->req->has_topology_view = true;
  r->req->topology_view_container = container;
  return NULL;
}

static char *
parse_disable (struct reader *r, const char *value)
{
  if (strcmp (value, "false") == 0)
    return NULL;
  if (strcmp (value, "true") != 0)
    return xstrdup ("must be true or false");
  /* Leaving a container alone is the policy `none`: a weakening.  */
  if (r->base > NR_POLICY_NONE && ! r->config->annotations_may_weaken)
    return xasprintf ("would weaken the configured policy %s, and [annotations] "
                      "allow_weaker_policy is false",
                      nr_policy_name (r->base));
  r->req->opt_out = true;
  return NULL;
}

/* `nics` names interfaces and `volumes` host paths; locality.c reads and
   checks them, as they need sysfs to mean anything.  */
static char *
parse_nics_elsewhere (struct reader *r, const char *value)
{
  (void) r;
  (void) value;
  return NULL;
}

/* `policy` comes first: a pod asking for restricted gets strict checking
   of its other annotations.  ALIAS is the key the topology-aware
   scheduling guide writes for the same thing: read, under the same bounds
   (and the same `honoured` name), when the pod has no numa-runtime.io/
   key for it.  */
/* A known key: its suffix (what `honoured` names) and its whole key.  */
#define KEY(suffix) suffix, NR_ANNOTATION_PREFIX suffix

static const struct
{
  const char *suffix;
  const char *key;
  value_parser parse;
  const char *alias;
} known[] = {
  { KEY ("policy"), parse_policy, NR_ANNOTATION_POLICY_ALIAS },
  { KEY ("nodes"), parse_nodes, NR_ANNOTATION_NODES_ALIAS },
  { KEY ("numa-nodes"), parse_span, NULL },
  { KEY ("spread"), parse_spread, NULL },
  { KEY ("cpu-allocation"), parse_cpu_allocation, NULL },
  { KEY ("isolated-cpus"), parse_isolated_cpus, NULL },
  { KEY ("cpu-alignment"), parse_cpu_alignment, NULL },
  { KEY ("memory-policy"), parse_memory_policy, NULL },
  { KEY ("memory-tiers"), parse_memory_tiers, NULL },
  { KEY ("topology-view"), parse_topology_view, NULL },
  { KEY ("disable"), parse_disable, NULL },
  { KEY ("nics"), parse_nics_elsewhere, NULL },
  { KEY ("volumes"), parse_nics_elsewhere, NULL },
};

static bool
is_known (const char *suffix)
{
  for (size_t i = 0; i < NR_N_ELEMENTS (known); i++)
    if (strcmp (known[i].suffix, suffix) == 0)
      return true;
  return false;
}

/* True when [annotations] honoured (a comma list, blanks allowed) names
   SUFFIX, or is unset.  */
static bool
is_honoured (const char *honoured, const char *suffix)
{
  size_t len = strlen (suffix);

  if (honoured == NULL || *honoured == '\0')
    return true;
  for (const char *p = honoured; *p;)
    {
      const char *end;
      while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
      end = p;
      while (*end && *end != ',' && *end != ' ' && *end != '\t')
        end++;
      if ((size_t) (end - p) == len && strncmp (p, suffix, len) == 0)
        return true;
      p = end;
    }
  return false;
}

/* VALUE fit for a message: printable ASCII only, at most SHOWN_MAX bytes.  */
static char *
shown (const char *value)
{
  size_t len = strlen (value);
  size_t n = len > SHOWN_MAX ? SHOWN_MAX : len;
  char *out = xmalloc (n + 4);

  for (size_t i = 0; i < n; i++)
    {
      unsigned char c = (unsigned char) value[i];
      out[i] = (char) (c >= 0x20 && c < 0x7f && c != '`' ? c : '?');
    }
  strcpy (out + n, len > n ? "..." : "");
  return out;
}

static bool
is_strict (const struct reader *r)
{
  return r->base >= NR_POLICY_RESTRICTED
         || (r->req->has_policy && r->req->policy >= NR_POLICY_RESTRICTED);
}

/* Report that annotation KEY (VALUE may be NULL) cannot be used: an
   error when strict (returns -1), else a warning (returns 0).  */
static int
refuse (struct reader *r, const char *key, const char *value, const char *why, nr_error_t *err)
{
  cleanup_free char *text = value ? shown (value) : NULL;
  cleanup_free char *what =
      value ? xasprintf ("annotation %s = `%s`", key, text) : xasprintf ("annotation %s", key);

  if (is_strict (r))
    return nr_make_error (err, 0, "%s: %s", what, why);
  nr_warn ("container %s: ignoring %s: %s", r->req->id ? r->req->id : "?", what, why);
  return 0;
}

static int
read_annotations (yajl_val spec, const struct nr_config *config, enum nr_policy effective_policy,
                  struct nr_request *req, nr_error_t *err)
{
  yajl_val annotations = nr_json_get (spec, "annotations");
  struct reader r = { config, effective_policy, req, NULL };

  if (annotations == NULL || annotations->type != yajl_t_object)
    return 0;
  if (! config->annotations_enabled)
    {
      for (size_t i = 0; i < annotations->u.object.len; i++)
        if (strncmp (annotations->u.object.keys[i], NR_ANNOTATION_PREFIX, PREFIX_LEN) == 0
            || strcmp (annotations->u.object.keys[i], NR_ANNOTATION_POLICY_ALIAS) == 0
            || strcmp (annotations->u.object.keys[i], NR_ANNOTATION_NODES_ALIAS) == 0)
          {
            nr_debug ("container %s: %s* annotations and their aliases ignored ([annotations] "
                      "enabled = false)",
                      req->id ? req->id : "?", NR_ANNOTATION_PREFIX);
            break;
          }
      return 0;
    }

  for (size_t i = 0; i < NR_N_ELEMENTS (known); i++)
    {
      cleanup_free char *why = NULL;
      yajl_val v;

      r.key = known[i].key;
      /* The last of repeated keys, as Go's decoder (and so runc) sees it.  */
      v = nr_json_get (annotations, r.key);
      if (v == NULL && known[i].alias)
        v = nr_json_get (annotations, r.key = known[i].alias);
      else if (v && known[i].alias && nr_json_get (annotations, known[i].alias))
        nr_debug ("container %s: %s wins over its alias %s", req->id ? req->id : "?", r.key,
                  known[i].alias);
      if (v == NULL)
        continue;
      if (v->type != yajl_t_string)
        why = xstrdup ("must be a string");
      else if (! is_honoured (config->annotation_keys, known[i].suffix))
        why = xstrdup ("not honoured on this node ([annotations] honoured)");
      else
        why = known[i].parse (&r, v->u.string);
      if (why && refuse (&r, r.key, v->type == yajl_t_string ? v->u.string : NULL, why, err) < 0)
        return -1;
    }

  /* A misspelt key would otherwise be silently without effect.  */
  for (size_t i = 0; i < annotations->u.object.len; i++)
    {
      const char *key = annotations->u.object.keys[i];
      cleanup_free char *suffix = NULL;
      cleanup_free char *shown_key = NULL;

      if (strncmp (key, NR_ANNOTATION_PREFIX, PREFIX_LEN) != 0 || is_known (key + PREFIX_LEN))
        continue;
      suffix = shown (key + PREFIX_LEN);
      shown_key = xasprintf ("%s%s", NR_ANNOTATION_PREFIX, suffix);
      if (refuse (&r, shown_key, NULL,
                  "unknown key (known: policy, nodes, numa-nodes, spread, cpu-allocation, "
                  "memory-policy, memory-tiers, topology-view, disable)",
                  err)
          < 0)
        return -1;
    }
  return 0;
}

/* NUMA_NODE already in the spec's env: a device plugin such as
   numa-resource-plugin put it there in its Allocate, for the node the
   scheduler counted the pod's device on.  It is a pin request like the
   nodes annotation, which wins when both are given.  */
static int
read_env_pin (yajl_val spec, struct reader *r, nr_error_t *err)
{
  const char *value = nr_spec_env (spec, NR_ENV_PIN_NAME);
  cleanup_free char *why = NULL;
  nr_set_t nodes;

  if (value == NULL)
    return 0;
  /* numa-runtime writes NUMA_MEMORY_NODES next to its NUMA_NODE, a device
     plugin does not: a spec reused as it was saved (podman's restart)
     carries our own earlier choice, whose cpuset placement keeps anyway.  */
  if (nr_spec_env (spec, "NUMA_MEMORY_NODES"))
    return 0;
  r->key = "env " NR_ENV_PIN_NAME;
  if (! r->config->env_pin_enabled)
    {
      nr_debug ("container %s: %s in its env is not a pin request ([annotations] numa_node_env "
                "= false)",
                r->req->id ? r->req->id : "?", NR_ENV_PIN_NAME);
      return 0;
    }
  if (nr_set_parse (value, &nodes, NULL) < 0 || nr_set_is_empty (&nodes))
    why = xstrdup ("must be a non-empty node list such as 1 or 0-1");
  else if (r->config->annotation_nodes_set
           && ! nr_set_is_subset (&nodes, &r->config->annotation_nodes))
    {
      cleanup_free char *allowed = nr_set_format (&r->config->annotation_nodes);
      why = xasprintf ("asks for nodes outside [annotations] allowed_nodes = %s", allowed);
    }
  else if (! nr_set_is_empty (&r->req->nodes_wanted)
           && ! nr_set_equal (&nodes, &r->req->nodes_wanted))
    why = xasprintf ("disagrees with annotation %s, which wins", r->req->pinned_by);
  if (why)
    {
      cleanup_free char *text = shown (value);
      if (is_strict (r))
        return nr_make_error (err, 0, "TopologyAffinityError: %s=%s in the spec's env: %s",
                              NR_ENV_PIN_NAME, text, why);
      nr_warn ("container %s: ignoring %s=%s in its env: %s", r->req->id ? r->req->id : "?",
               NR_ENV_PIN_NAME, text, why);
      return 0;
    }
  if (! nr_set_is_empty (&r->req->nodes_wanted))
    return 0; /* the same nodes, asked twice: the annotation stays the source */
  r->req->nodes_wanted = nodes;
  r->req->pinned_by = r->key;
  r->req->pin_from_env = true;
  {
    cleanup_free char *list = nr_set_format (&nodes);
    nr_log (NR_LOG_INFO,
            "container %s: pinned to node(s) %s by %s in its spec's env (a device "
            "plugin's Allocate)",
            r->req->id ? r->req->id : "?", list, NR_ENV_PIN_NAME);
  }
  return 0;
}

int
nr_annotations_read (yajl_val spec, const struct nr_config *config, enum nr_policy effective_policy,
                     struct nr_request *req, nr_error_t *err)
{
  struct reader r = { config, effective_policy, req, NULL };

  if (read_annotations (spec, config, effective_policy, req, err) < 0)
    return -1;
  return read_env_pin (spec, &r, err);
}
