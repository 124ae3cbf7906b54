/* numa-runtime: let a container refine its memory placement.  */
#include <config.h>

#include "seccomp_edit.h"
#include "util.h"

#include <ctype.h>
#include <seccomp.h>
#include <string.h>
#include <sys/capability.h>

static const char *const mempolicy_syscalls[] = { "mbind", "set_mempolicy", "get_mempolicy",
                                                  "set_mempolicy_home_node", NULL };

/* OCI profiles name at most this many architectures (runtime-spec lists
   about twenty).  */
#define MAX_ARCHES 32

static bool
action_allows (const char *action)
{
  return strcmp (action, "SCMP_ACT_ALLOW") == 0 || strcmp (action, "SCMP_ACT_LOG") == 0;
}

static char *
lowercase (const char *s)
{
  char *out = xstrdup (s);
  for (char *p = out; *p; p++)
    *p = (char) tolower ((unsigned char) *p);
  return out;
}

/* CAP_SYS_NICE in process.capabilities.bounding or .effective; names are
   resolved by libcap, so "cap_sys_nice" and "CAP_SYS_NICE" both count.  */
static bool
has_cap_sys_nice (yajl_val spec)
{
  static const char *const sets[] = { "bounding", "effective" };
  static const char *const caps_path[] = { "process", "capabilities", NULL };
  yajl_val caps = nr_json_get_path (spec, caps_path);
  cap_value_t sys_nice;

  if (cap_from_name ("cap_sys_nice", &sys_nice) < 0)
    sys_nice = CAP_SYS_NICE;
  for (size_t s = 0; s < NR_N_ELEMENTS (sets); s++)
    {
      yajl_val list = nr_json_get (caps, sets[s]);
      if (list == NULL || list->type != yajl_t_array)
        continue;
      for (size_t i = 0; i < list->u.array.len; i++)
        {
          yajl_val v = list->u.array.values[i];
          cleanup_free char *name = NULL;
          cap_value_t cap;
          if (v == NULL || v->type != yajl_t_string)
            continue;
          name = lowercase (v->u.string);
          if (cap_from_name (name, &cap) == 0 && cap == sys_nice)
            return true;
        }
    }
  return false;
}

/* libseccomp tokens of the architectures SECCOMP lists ("SCMP_ARCH_X86_64"
   is libseccomp's "x86_64"); the native one when it lists none.  */
static size_t
arch_tokens (yajl_val seccomp, uint32_t *tokens)
{
  yajl_val arches = nr_json_get (seccomp, "architectures");
  size_t n = 0;

  if (arches == NULL || arches->type != yajl_t_array || arches->u.array.len == 0)
    {
      tokens[0] = seccomp_arch_native ();
      return 1;
    }
  for (size_t i = 0; i < arches->u.array.len && n < MAX_ARCHES; i++)
    {
      yajl_val v = arches->u.array.values[i];
      cleanup_free char *name = NULL;
      uint32_t token;

      if (v == NULL || v->type != yajl_t_string || strncmp (v->u.string, "SCMP_ARCH_", 10) != 0)
        continue;
      name = lowercase (v->u.string + 10);
      token = seccomp_arch_resolve_name (name);
      if (token == 0)
        nr_debug ("seccomp: architecture %s unknown to libseccomp", v->u.string);
      else
        tokens[n++] = token;
    }
  return n;
}

static bool
resolves_somewhere (const char *name, const uint32_t *tokens, size_t n_tokens)
{
  for (size_t i = 0; i < n_tokens; i++)
    if (seccomp_syscall_resolve_name_arch (tokens[i], name) >= 0)
      return true;
  return false;
}

/* True when RULE names syscall NAME ("names", or the old "name").  */
static bool
rule_names (yajl_val rule, const char *name)
{
  yajl_val names = nr_json_get (rule, "names");
  const char *single = nr_json_get_string (rule, "name");

  if (single && strcmp (single, name) == 0)
    return true;
  if (names == NULL || names->type != yajl_t_array)
    return false;
  for (size_t i = 0; i < names->u.array.len; i++)
    {
      yajl_val v = names->u.array.values[i];
      if (v && v->type == yajl_t_string && strcmp (v->u.string, name) == 0)
        return true;
    }
  return false;
}

int
nr_seccomp_allow_syscalls (yajl_val spec, const char *const *names, nr_error_t *err)
{
  static const char *const seccomp_path[] = { "linux", "seccomp", NULL };
  yajl_val seccomp = nr_json_get_path (spec, seccomp_path);
  yajl_val syscalls, rule, allowed;
  const char *default_action;
  uint32_t tokens[MAX_ARCHES];
  size_t n_tokens;

  if (seccomp == NULL || seccomp->type != yajl_t_object)
    return 0;
  default_action = nr_json_get_string (seccomp, "defaultAction");
  if (default_action == NULL || action_allows (default_action))
    return 0;
  syscalls = nr_json_get (seccomp, "syscalls");
  if (syscalls && syscalls->type != yajl_t_array && syscalls->type != yajl_t_null)
    return 0;
  if (has_cap_sys_nice (spec))
    {
      nr_debug ("seccomp: the container has CAP_SYS_NICE; profile left as is");
      return 0;
    }

  /* Any of them allowed already: the profile's author decided.  One that a
     rule names with another action stays as that rule says (and libseccomp
     would refuse two rules for one call anyway).  */
  for (size_t r = 0; syscalls && syscalls->type == yajl_t_array && r < syscalls->u.array.len; r++)
    {
      yajl_val one = syscalls->u.array.values[r];
      const char *action = nr_json_get_string (one, "action");
      for (const char *const *name = names; action && *name; name++)
        if (rule_names (one, *name) && action_allows (action))
          {
            nr_debug ("seccomp: %s already allowed; profile left as is", *name);
            return 0;
          }
    }

  n_tokens = arch_tokens (seccomp, tokens);
  allowed = nr_json_new_array ();
  for (const char *const *name = names; *name; name++)
    {
      bool named = false;
      for (size_t r = 0; syscalls && syscalls->type == yajl_t_array && r < syscalls->u.array.len;
           r++)
        named = named || rule_names (syscalls->u.array.values[r], *name);
      if (named)
        nr_debug ("seccomp: %s has its own rule; left as it is", *name);
      else if (! resolves_somewhere (*name, tokens, n_tokens))
        nr_debug ("seccomp: %s unknown on every architecture of the profile; skipped", *name);
      else
        nr_json_array_append (allowed, nr_json_new_string (*name));
    }
  if (allowed->u.array.len == 0)
    {
      yajl_tree_free (allowed);
      return 0;
    }

  if (syscalls == NULL || syscalls->type == yajl_t_null)
    {
      syscalls = nr_json_new_array ();
      nr_json_set (seccomp, "syscalls", syscalls);
    }
  rule = nr_json_new_object ();
  nr_json_set (rule, "names", allowed);
  nr_json_set (rule, "action", nr_json_new_string ("SCMP_ACT_ALLOW"));
  nr_json_array_append (syscalls, rule);
  (void) err;
  return 1;
}

int
nr_seccomp_allow_mempolicy (yajl_val spec, nr_error_t *err)
{
  return nr_seccomp_allow_syscalls (spec, mempolicy_syscalls, err);
}
