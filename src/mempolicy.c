/* numa-runtime: the container's NUMA memory policy.  */
#include <config.h>

#include "mempolicy.h"
#include "mpol_modes.h"
#include "runtime_features.h"
#include "util.h"

#include <errno.h>
#include <numaif.h>
#include <string.h>
#include <sys/syscall.h>

/* Older numaif.h lacks the flag; the value is kernel ABI.  */
#ifndef MPOL_F_STATIC_NODES
#define MPOL_F_STATIC_NODES (1 << 15)
#endif

enum nr_mpol
nr_mempolicy_choose (const struct nr_config *config, const struct nr_request *req, bool distributed)
{
  if (req->has_mpol)
    return req->mpol;
  /* distribute spreads CPUs evenly over the nodes; memory follows the same
     way, as the CPU Manager's distribute-cpus-across-numa intends.  */
  if (distributed)
    return NR_MPOL_INTERLEAVE;
  return config->memory_policy;
}

/* ---- handing it over ------------------------------------------------------ */

int
nr_mempolicy_write_spec (yajl_val spec, enum nr_mpol mode, const nr_set_t *nodes, nr_error_t *err)
{
  cleanup_free char *list = nr_set_format (nodes);
  yajl_val linux_obj, mpol, flags;

  if (nr_set_is_empty (nodes))
    return nr_make_error (err, 0, "memory policy without nodes");
  if (nr_json_ensure_object (spec, "linux", "linux", &linux_obj, err) < 0)
    return -1;
  mpol = nr_json_new_object ();
  nr_json_set (
      mpol, "mode",
      nr_json_new_string (nr_mpol_oci_name (nr_mpol_kernel_mode (mode, nr_set_count (nodes)))));
  nr_json_set (mpol, "nodes", nr_json_new_string (list));
  flags = nr_json_new_array ();
  nr_json_array_append (flags, nr_json_new_string ("MPOL_F_STATIC_NODES"));
  nr_json_set (mpol, "flags", flags);
  nr_json_set (linux_obj, "memoryPolicy", mpol);
  return 0;
}

#define MASK_BITS (8 * sizeof (unsigned long))
#define MASK_WORDS (NR_SET_MAX / MASK_BITS)
/* The kernel reads maxnode - 1 bits (an off-by-one kept for ABI).  */
#define MAXNODE (NR_SET_MAX + 1)

int
nr_mempolicy_apply_self (enum nr_mpol mode, const nr_set_t *nodes, nr_error_t *err)
{
  unsigned long mask[MASK_WORDS] = { 0 };
  unsigned long allowed_mask[MASK_WORDS] = { 0 };
  nr_set_t allowed;
  int kmode;

  if (nr_set_is_empty (nodes))
    return nr_make_error (err, 0, "memory policy without nodes");
  for (int n = nr_set_next (nodes, 0); n >= 0; n = nr_set_next (nodes, n + 1))
    mask[n / MASK_BITS] |= 1UL << (n % MASK_BITS);

  /* The kernel refuses nodes outside our own cpuset with a bare EINVAL;
     say which.  */
  if (syscall (SYS_get_mempolicy, NULL, allowed_mask, (unsigned long) MAXNODE, NULL,
               MPOL_F_MEMS_ALLOWED)
      == 0)
    {
      nr_set_clear (&allowed);
      for (int n = 0; n < NR_SET_MAX; n++)
        if (allowed_mask[n / MASK_BITS] & (1UL << (n % MASK_BITS)))
          nr_set_add (&allowed, n);
      if (! nr_set_is_subset (nodes, &allowed))
        {
          cleanup_free char *want = nr_set_format (nodes);
          cleanup_free char *have = nr_set_format (&allowed);
          return nr_make_error (err, 0,
                                "memory policy on node(s) %s: numa-runtime itself may only use "
                                "node(s) %s (its cpuset)",
                                want, have);
        }
    }

  /* MPOL_F_STATIC_NODES: `runc init` moves into the container's cgroup,
     whose cpuset.mems is these same nodes.  Without the flag the kernel
     would remap the node mask relative to the old and new mems_allowed
     (mpol_rebind_nodemask), which for, say, nodes 1,3 out of 0-3 yields
     node 3 alone.  Static nodes are kept as given.  */
  kmode = nr_mpol_kernel_mode (mode, nr_set_count (nodes));
  if (syscall (SYS_set_mempolicy, kmode | MPOL_F_STATIC_NODES, mask, (unsigned long) MAXNODE) < 0)
    {
      cleanup_free char *want = nr_set_format (nodes);
      return nr_make_error (err, errno, "set_mempolicy (%s, node(s) %s)", nr_mpol_oci_name (kmode),
                            want);
    }
  return 0;
}

/* ---- create's use ---------------------------------------------------------- */

int
nr_mempolicy_prepare (yajl_val spec, const struct nr_config *config, const char *runtime,
                      const struct nr_request *req, const struct nr_placement *placement,
                      struct nr_mempolicy_plan *plan, nr_error_t *err)
{
  /* Its memory may use the tier nodes too (placement_tiers.c).  */
  const nr_set_t *nodes = nr_set_is_empty (&placement->mems) ? &placement->nodes : &placement->mems;
  static const char *const mpol_path[] = { "linux", "memoryPolicy", NULL };
  yajl_val existing = nr_json_get_path (spec, mpol_path);
  cleanup_free char *cache_dir = nr_path_dir (config->ledger_path);
  nr_error_t probe_err = NULL;
  unsigned modes = 0;
  int kmode;

  memset (plan, 0, sizeof (*plan));
  if (nr_set_is_empty (nodes))
    return 0;
  if (existing && existing->type != yajl_t_null)
    {
      nr_debug ("container %s: keeps the linux.memoryPolicy of its spec", req->id);
      return 0;
    }
  plan->mode = nr_mempolicy_choose (config, req, placement->interleave);
  /* tiers = interleave: weighted by the kernel's weights when it has
     them (the kernel applies its own sysfs weights; [memory] weights only
     change what the ledger charges), else plain interleave.  */
  if (placement->tier_interleave && ! req->has_mpol)
    plan->mode = placement->weighted ? NR_MPOL_WEIGHTED_INTERLEAVE : NR_MPOL_INTERLEAVE;
  plan->nodes = *nodes;
  kmode = nr_mpol_kernel_mode (plan->mode, nr_set_count (nodes));

  if (nr_runtime_memory_policy_modes (runtime, cache_dir, &modes, &probe_err) < 0)
    {
      nr_warn ("container %s: %s; applying the memory policy with set_mempolicy", req->id,
               probe_err->msg);
      nr_error_release (&probe_err);
    }
  /* Through the spec only with MPOL_F_STATIC_NODES (see
     nr_mempolicy_write_spec); else our own set_mempolicy, which has it,
     is inherited.  */
  if ((modes & (1u << kmode)) && (modes & NR_MPOL_STATIC_NODES_KNOWN))
    return nr_mempolicy_write_spec (spec, plan->mode, nodes, err);

  if (strcmp (config->sysfs_root, "/sys") != 0)
    {
      nr_debug ("container %s: topology from %s is not this kernel's; no set_mempolicy", req->id,
                config->sysfs_root);
      return 0;
    }
  plan->apply_self = true;
  return 0;
}

void
nr_mempolicy_finish (const struct nr_mempolicy_plan *plan, const char *id)
{
  nr_error_t err = NULL;

  if (! plan->apply_self)
    return;
  if (nr_mempolicy_apply_self (plan->mode, &plan->nodes, &err) < 0)
    {
      nr_warn ("container %s: memory policy not applied (cpuset.mems still confines its "
               "memory): %s",
               id, err->msg);
      nr_error_release (&err);
    }
}
