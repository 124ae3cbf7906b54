/* numa-runtime: `explain [--bundle DIR] [--pod SANDBOX_ID] [--id ID] [--json]` — a
 * dry-run create.  The container's config.json (the bundle's, or stdin
 * when no --bundle is given) goes through create's own pipeline
 * (nr_create_plan_read: request, annotations, locality hints, the ledger
 * read under its lock and released at once, the topology) and placement
 * (nr_place).  Nothing is written: no ledger entry, no counter, no
 * topology cache, no config.json; no runtime is run or asked.
 *
 * Printed: the decision (nodes, CPUs, mems, memory policy, the NUMA_*
 * environment), then the reasons in order — each locality hint and its
 * source, the policy and where it came from, what each node offers, why
 * the chosen node(s) won or the TopologyAffinityError a create would
 * give.  Exit status 0 when a create would place the container (or leave
 * it alone), 1 when it would refuse it.  */
#include <config.h>

#include "commands.h"
#include "create_plan.h"
#include "json.h"
#include "mempolicy.h"
#include "placement.h"
#include "resolve.h"
#include "spec.h"
#include "spec_edit.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_gen.h>

/* The id the dry run's request carries (messages name it).  */
#define EXPLAIN_ID "explain"

struct explain_options
{
  const char *bundle; /* NULL: config.json on stdin */
  const char *pod;
  const char *id; /* the name messages give the container */
  bool json;
};

/* What explain found, for either output.  */
struct explanation
{
  const struct nr_create_plan *plan;
  const struct nr_config *config;
  bool placed;
  struct nr_placement placement;
  char *refusal; /* the error a create would give, owned */
  char *reason;  /* why the chosen node(s), owned */
  char *policy_source;
  const char *mpol_name; /* kernel mode, e.g. "MPOL_BIND"; NULL: the spec's own */
  yajl_val env;          /* process.env after the placement's edits (borrowed) */
  struct nr_node_offer *offers;
};

static int
option_value (const struct nr_args *args, int *i, const char *name, const char **value)
{
  const char *a = args->argv[*i];
  size_t len = strlen (name);

  if (strcmp (a, name) == 0 && *i + 1 < args->argc)
    {
      *value = args->argv[++*i];
      return 1;
    }
  if (strncmp (a, name, len) == 0 && a[len] == '=')
    {
      *value = a + len + 1;
      return 1;
    }
  return 0;
}

static int
parse_explain_options (const struct nr_args *args, struct explain_options *o, nr_error_t *err)
{
  memset (o, 0, sizeof (*o));
  for (int i = args->command_index + 1; i < args->argc; i++)
    {
      if (strcmp (args->argv[i], "--json") == 0)
        o->json = true;
      else if (! option_value (args, &i, "--bundle", &o->bundle)
               && ! option_value (args, &i, "-b", &o->bundle)
               && ! option_value (args, &i, "--pod", &o->pod)
               && ! option_value (args, &i, "--id", &o->id))
        return nr_make_error (err, 0,
                              "unknown argument `%s` (usage: explain [--bundle DIR] "
                              "[--pod SANDBOX_ID] [--id ID] [--json])",
                              args->argv[i]);
    }
  if (o->pod && (*o->pod == '\0' || strnlen (o->pod, NR_SPEC_MAX_ID_LEN + 1) > NR_SPEC_MAX_ID_LEN))
    return nr_make_error (err, 0, "--pod needs a sandbox id of 1-%d bytes", NR_SPEC_MAX_ID_LEN);
  if (o->id && (*o->id == '\0' || strnlen (o->id, NR_SPEC_MAX_ID_LEN + 1) > NR_SPEC_MAX_ID_LEN))
    return nr_make_error (err, 0, "--id needs an id of 1-%d bytes", NR_SPEC_MAX_ID_LEN);
  return 0;
}

/* config.json from stdin, checked as a bundle's would be.  */
static int
load_spec_stdin (struct nr_spec *spec, nr_error_t *err)
{
  memset (spec, 0, sizeof (*spec));
  if (read_fd (0, NR_SPEC_MAX_SIZE, "stdin", &spec->original, &spec->original_len, err) < 0
      || nr_json_parse (spec->original, spec->original_len, &spec->root, err) < 0)
    return nr_error_wrap (err, "config.json on stdin");
  if (spec->root->type != yajl_t_object)
    return nr_make_error (err, 0, "config.json on stdin: the document is not a JSON object");
  if (nr_spec_check_limits (spec->root, NULL, err) < 0)
    return nr_error_wrap (err, "config.json on stdin");
  return 0;
}

static char *
policy_source (const struct nr_request *req, const struct nr_config *config)
{
  if (req->has_policy)
    return xstrdup ("annotation numa-runtime.io/policy");
  if (config->path)
    return xasprintf ("[placement] policy of %s", config->path);
  return xstrdup ("the default (no config file)");
}

/* Place, and everything create would then decide: memory policy, env.  */
static int
decide (yajl_val spec, struct explanation *x, nr_error_t *err)
{
  const struct nr_create_plan *plan = x->plan;
  nr_error_t refusal = NULL;
  static const char *const env_path[] = { "process", "env", NULL };
  static const char *const mpol_path[] = { "linux", "memoryPolicy", NULL };

  x->policy_source = policy_source (&plan->req, x->config);
  x->offers =
      xmalloc0 ((size_t) (plan->topo.n_nodes ? plan->topo.n_nodes : 1) * sizeof (*x->offers));
  nr_placement_offers (&plan->input, x->offers);
  if (nr_place (&plan->input, &x->placement, &refusal) < 0)
    {
      x->refusal = xstrdup (refusal->msg);
      nr_error_release (&refusal);
      return 0;
    }
  x->placed = true;
  x->reason = nr_placement_reason (&plan->input, &x->placement);
  if (nr_json_get_path (spec, mpol_path) == NULL)
    {
      const nr_set_t *mems = x->placement.keep_mems ? &plan->req.mems : &x->placement.mems;
      enum nr_mpol mode = nr_mempolicy_choose (x->config, &plan->req, x->placement.interleave);
      x->mpol_name = nr_mpol_oci_name (nr_mpol_kernel_mode (mode, nr_set_count (mems)));
    }
  /* The real edit, on the in-memory document only: never saved.  */
  if (nr_apply_placement (spec, &x->placement, err) < 0)
    return -1;
  x->env = nr_json_get_path (spec, env_path);
  return 0;
}

static const char *
env_entry (yajl_val env, size_t i)
{
  yajl_val v = env->u.array.values[i];
  return YAJL_IS_STRING (v) && strncmp (v->u.string, "NUMA_", 5) == 0 ? v->u.string : NULL;
}

static void
print_offer (const struct nr_node_offer *o)
{
  printf ("       node %d: %.3g of %.3g CPUs free, %.1f GiB memory free", o->node,
          (double) (o->cpu_free > 0 ? o->cpu_free : 0) / 1000.0, (double) o->cpu_capacity / 1000.0,
          (double) (o->mem_free > 0 ? o->mem_free : 0) / (double) (INT64_C (1) << 30));
  if (o->tier_free > 0)
    printf (" + %.1f GiB tier memory", (double) o->tier_free / (double) (INT64_C (1) << 30));
  printf (", %d exclusive CPUs free, %d device hint%s%s\n", o->exclusive_free, o->hints,
          o->hints == 1 ? "" : "s", o->usable ? "" : " (no usable CPU)");
}

static void
print_decision (const struct explanation *x)
{
  cleanup_free char *nodes = nr_set_format (&x->placement.nodes);
  cleanup_free char *cpus = nr_set_format (&x->placement.cpus);
  cleanup_free char *mems = nr_set_format (&x->placement.mems);

  if (! x->placed)
    {
      printf ("decision: refused\n");
      return;
    }
  printf ("decision: placed\n  nodes: %s\n  cpus: %s\n  mems: %s\n", nodes, cpus, mems);
  if (x->mpol_name)
    printf ("  memory policy: %s over node(s) %s\n", x->mpol_name, mems);
  else
    printf ("  memory policy: the spec's own linux.memoryPolicy\n");
  for (size_t i = 0; x->env && YAJL_IS_ARRAY (x->env) && i < x->env->u.array.len; i++)
    if (env_entry (x->env, i))
      printf ("  env: %s\n", env_entry (x->env, i));
}

static void
print_text (const struct explanation *x)
{
  const struct nr_create_plan *plan = x->plan;
  int step = 1;

  print_decision (x);
  printf ("reasons:\n");
  for (size_t h = 0; h < plan->req.n_hints; h++)
    printf ("  %d. locality hint: node %d from %s\n", step++, plan->req.hints[h].node,
            plan->req.hints[h].source);
  if (plan->req.n_hints == 0)
    printf ("  %d. locality hints: none (no device, volume or NIC of it is on a node)\n", step++);
  printf ("  %d. policy %s, from %s\n", step++,
          nr_policy_name (nr_effective_policy (&plan->req, x->config)), x->policy_source);
  printf ("  %d. offered:\n", step++);
  for (int i = 0; i < plan->topo.n_nodes; i++)
    print_offer (&x->offers[i]);
  if (x->placed)
    printf ("  %d. chosen: %s\n", step++, x->reason);
  else
    printf ("  %d. refused: %s\n", step++, x->refusal);
  if (x->placed && x->placement.warning)
    printf ("  %d. warning: %s\n", step, x->placement.warning);
}

static void
gen_offer (yajl_gen g, const struct nr_node_offer *o)
{
  yajl_gen_map_open (g);
  nr_json_gen_int (g, "node", o->node);
  nr_json_gen_bool (g, "usable", o->usable);
  nr_json_gen_int (g, "millicpus_capacity", o->cpu_capacity);
  nr_json_gen_int (g, "millicpus_free", o->cpu_free);
  nr_json_gen_int (g, "memory_free", o->mem_free);
  nr_json_gen_int (g, "hugepages_free", o->huge_free);
  nr_json_gen_int (g, "tier_memory_free", o->tier_free);
  nr_json_gen_int (g, "exclusive_cpus_free", o->exclusive_free);
  nr_json_gen_int (g, "hints", o->hints);
  yajl_gen_map_close (g);
}

static void
gen_decision (yajl_gen g, const struct explanation *x)
{
  nr_json_gen_bool (g, "placed", x->placed);
  if (! x->placed)
    return;
  nr_json_gen_set (g, "nodes", &x->placement.nodes);
  nr_json_gen_set (g, "cpus", &x->placement.cpus);
  nr_json_gen_set (g, "mems", &x->placement.mems);
  nr_json_gen_string (g, "memory_policy", x->mpol_name);
  nr_json_gen_key (g, "env");
  yajl_gen_array_open (g);
  for (size_t i = 0; x->env && YAJL_IS_ARRAY (x->env) && i < x->env->u.array.len; i++)
    if (env_entry (x->env, i))
      yajl_gen_string (g, (const unsigned char *) env_entry (x->env, i),
                       strlen (env_entry (x->env, i)));
  yajl_gen_array_close (g);
}

static void
print_json (const struct explanation *x)
{
  const struct nr_create_plan *plan = x->plan;
  yajl_gen g = yajl_gen_alloc (NULL);
  cleanup_free char *text = NULL;

  yajl_gen_map_open (g);
  gen_decision (g, x);
  nr_json_gen_key (g, "hints");
  yajl_gen_array_open (g);
  for (size_t h = 0; h < plan->req.n_hints; h++)
    {
      yajl_gen_map_open (g);
      nr_json_gen_int (g, "node", plan->req.hints[h].node);
      nr_json_gen_string (g, "source", plan->req.hints[h].source);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  nr_json_gen_string (g, "policy", nr_policy_name (nr_effective_policy (&plan->req, x->config)));
  nr_json_gen_string (g, "policy_source", x->policy_source);
  nr_json_gen_key (g, "offers");
  yajl_gen_array_open (g);
  for (int i = 0; i < plan->topo.n_nodes; i++)
    gen_offer (g, &x->offers[i]);
  yajl_gen_array_close (g);
  nr_json_gen_string (g, "reason", x->reason);
  nr_json_gen_string (g, "error", x->refusal);
  nr_json_gen_string (g, "warning", x->placed ? x->placement.warning : NULL);
  yajl_gen_map_close (g);
  text = nr_json_gen_finish (g, NULL);
  printf ("%s\n", text);
}

/* Opted out, or policy none: a create passes it through untouched.  */
static void
print_left_alone (const struct nr_create_plan *plan, bool json)
{
  const char *why = plan->req.opt_out ? "annotation numa-runtime.io/disable" : "policy none";

  if (json)
    printf ("{\"placed\":false,\"left_alone\":true,\"reason\":\"%s\"}\n", why);
  else
    printf ("decision: left alone (%s): the runtime gets config.json untouched\n", why);
}

static void
explanation_free (struct explanation *x)
{
  nr_placement_free (&x->placement);
  free (x->refusal);
  free (x->reason);
  free (x->policy_source);
  free (x->offers);
}

int
nr_cmd_explain (const struct nr_args *args, const struct nr_config *config, nr_error_t *err)
{
  struct explain_options o;
  struct nr_spec spec = { 0 };
  struct nr_create_plan plan = { 0 };
  struct nr_plan_options plan_options = { .id = EXPLAIN_ID, .dry_run = true };
  struct explanation x = { .plan = &plan, .config = config };
  int ret = -1;

  if (parse_explain_options (args, &o, err) < 0)
    return nr_error_wrap (err, "explain");
  plan_options.pod = o.pod;
  if (o.id)
    plan_options.id = o.id;
  if ((o.bundle ? nr_spec_load (o.bundle, NULL, &spec, err) : load_spec_stdin (&spec, err)) < 0)
    goto out;
  /* As create: policy none reads nothing more.  */
  plan.left_alone = config->policy == NR_POLICY_NONE;
  if (! plan.left_alone
      && nr_create_plan_read (args, config, spec.root, &plan_options, &plan, err) < 0)
    goto out;
  if (plan.left_alone)
    print_left_alone (&plan, o.json);
  else if (decide (spec.root, &x, err) < 0)
    goto out;
  else if (o.json)
    print_json (&x);
  else
    print_text (&x);
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      nr_make_error (err, errno, "write to stdout");
      goto out;
    }
  ret = plan.left_alone || x.placed ? 0 : 1;
out:
  explanation_free (&x);
  nr_create_plan_free (&plan);
  nr_spec_free (&spec);
  if (ret < 0)
    return nr_error_wrap (err, "explain");
  return ret;
}
