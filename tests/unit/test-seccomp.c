/* Seccomp: the mempolicy rule is added only when needed, holds only names
   libseccomp knows, and nothing else in the profile changes.  */
#include <config.h>

#include "unit.h"

#include "seccomp_edit.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>

#define NO_NICE                                                                                    \
  "\"process\":{\"capabilities\":{\"bounding\":[\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"]}}"

#define CONTAINERD_PROFILE                                                                         \
  "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"                                   \
  "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"                  \
  "\"syscalls\":[{\"names\":[\"read\",\"write\",\"exit_group\"],\"action\":\"SCMP_ACT_ALLOW\"}]}"

#define MEMPOLICY_RULE                                                                             \
  "{\"names\":[\"mbind\",\"set_mempolicy\",\"get_mempolicy\",\"set_mempolicy_home_node\"],"        \
  "\"action\":\"SCMP_ACT_ALLOW\"}"

struct outcome
{
  int ret;
  char *before;
  char *after;
};

static struct outcome
edit (const char *text, const char *const *names)
{
  cleanup_json yajl_val spec = NULL;
  nr_error_t err = NULL;
  struct outcome o;

  if (nr_json_parse (text, strlen (text), &spec, &err) < 0)
    fail_msg ("bad JSON in test: %s", err->msg);
  o.before = nr_json_generate (spec, NULL);
  o.ret = names ? nr_seccomp_allow_syscalls (spec, names, &err)
                : nr_seccomp_allow_mempolicy (spec, &err);
  if (o.ret < 0)
    fail_msg ("edit failed: %s", err->msg);
  o.after = nr_json_generate (spec, NULL);
  return o;
}

static void
outcome_free (struct outcome *o)
{
  free (o->before);
  free (o->after);
}

static void
assert_unchanged (const char *text)
{
  struct outcome o = edit (text, NULL);
  assert_int_equal (o.ret, 0);
  assert_string_equal (o.after, o.before);
  outcome_free (&o);
}

/* TEXT gets the rule added, and then holds NEEDLE (when not NULL).  */
static void
assert_edited (const char *text, const char *needle)
{
  struct outcome o = edit (text, NULL);
  assert_int_equal (o.ret, 1);
  if (needle != NULL && strstr (o.after, needle) == NULL)
    fail_msg ("`%s` lacks `%s`", o.after, needle);
  outcome_free (&o);
}

static void
adds_one_rule_at_the_end (void **state)
{
  struct outcome o =
      edit ("{\"ociVersion\":\"1.0.2\"," NO_NICE ",\"linux\":{\"seccomp\":" CONTAINERD_PROFILE "}}",
            NULL);
  cleanup_free char *want = NULL;

  assert_int_equal (o.ret, 1);
  want = xasprintf ("%.*s," MEMPOLICY_RULE "]}}}", (int) (strlen (o.before) - 4), o.before);
  assert_string_equal (o.after, want);
  outcome_free (&o);
}

static void
creates_the_syscalls_list_when_absent (void **state)
{
  assert_edited ("{" NO_NICE ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_KILL\","
                 "\"architectures\":[\"SCMP_ARCH_AARCH64\"]}}}",
                 "\"syscalls\":[" MEMPOLICY_RULE "]");
}

static void
leaves_permissive_or_absent_profiles (void **state)
{
  assert_unchanged ("{" NO_NICE "}");
  assert_unchanged ("{" NO_NICE ",\"linux\":{}}");
  assert_unchanged ("{" NO_NICE ",\"linux\":{\"seccomp\":null}}");
  assert_unchanged ("{" NO_NICE ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                    "\"syscalls\":[{\"names\":[\"reboot\"],\"action\":\"SCMP_ACT_ERRNO\"}]}}}");
  assert_unchanged ("{" NO_NICE ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_LOG\"}}}");
  /* Malformed: the runtime will say so.  */
  assert_unchanged ("{" NO_NICE ",\"linux\":{\"seccomp\":{\"architectures\":[]}}}");
  assert_unchanged ("{" NO_NICE ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
                    "\"syscalls\":{}}}}");
}

static void
leaves_containers_with_cap_sys_nice (void **state)
{
  assert_unchanged ("{\"process\":{\"capabilities\":{\"bounding\":[\"CAP_SYS_NICE\"]}},"
                    "\"linux\":{\"seccomp\":" CONTAINERD_PROFILE "}}");
  assert_unchanged (
      "{\"process\":{\"capabilities\":{\"effective\":[\"CAP_KILL\",\"cap_sys_nice\"]}},"
      "\"linux\":{\"seccomp\":" CONTAINERD_PROFILE "}}");
}

static void
no_capabilities_at_all_counts_as_lacking (void **state)
{
  assert_edited ("{\"linux\":{\"seccomp\":" CONTAINERD_PROFILE "}}", NULL);
}

static void
leaves_profiles_that_already_allow_one (void **state)
{
  assert_unchanged (
      "{" NO_NICE ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
      "\"syscalls\":[{\"names\":[\"read\",\"get_mempolicy\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}");
  assert_unchanged ("{" NO_NICE ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
                    "\"syscalls\":[{\"names\":[\"mbind\"],\"action\":\"SCMP_ACT_LOG\"}]}}}");
}

static void
keeps_explicit_denials (void **state)
{
  assert_edited ("{" NO_NICE ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
                 "\"syscalls\":[{\"names\":[\"mbind\"],\"action\":\"SCMP_ACT_KILL\"}]}}}",
                 "{\"names\":[\"set_mempolicy\",\"get_mempolicy\","
                 "\"set_mempolicy_home_node\"],\"action\":\"SCMP_ACT_ALLOW\"}");
}

static void
skips_names_unknown_on_every_listed_architecture (void **state)
{
  static const char *const names[] = { "no_such_syscall", "mbind", NULL };
  static const char *const unknown[] = { "no_such_syscall", NULL };
  struct outcome o = edit ("{\"linux\":{\"seccomp\":" CONTAINERD_PROFILE "}}", names);
  struct outcome none = edit ("{\"linux\":{\"seccomp\":" CONTAINERD_PROFILE "}}", unknown);
  /* An architecture this libseccomp does not know resolves nothing.  */
  struct outcome bogus = edit ("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
                               "\"architectures\":[\"SCMP_ARCH_BOGUS\"]}}}",
                               NULL);

  assert_int_equal (o.ret, 1);
  assert_non_null (strstr (o.after, "{\"names\":[\"mbind\"],\"action\":\"SCMP_ACT_ALLOW\"}"));
  assert_int_equal (none.ret, 0);
  assert_string_equal (none.after, none.before);
  assert_int_equal (bogus.ret, 0);
  assert_string_equal (bogus.after, bogus.before);
  outcome_free (&o);
  outcome_free (&none);
  outcome_free (&bogus);
}

/* What the runtime will do with the rule: libseccomp must accept it for
   every architecture of the profile.  */
static void
the_rule_loads_into_libseccomp (void **state)
{
  static const char *const arches[] = { "x86_64", "x86", "x32" };
  struct outcome o = edit ("{\"linux\":{\"seccomp\":" CONTAINERD_PROFILE "}}", NULL);
  cleanup_json yajl_val spec = NULL;
  static const char *const rules_path[] = { "linux", "seccomp", "syscalls", NULL };
  yajl_val rules, names;
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ERRNO (EPERM));

  assert_int_equal (nr_json_parse (o.after, strlen (o.after), &spec, NULL), 0);
  rules = nr_json_get_path (spec, rules_path);
  names = nr_json_get (rules->u.array.values[rules->u.array.len - 1], "names");
  assert_int_equal (names->u.array.len, 4);
  assert_non_null (ctx);
  for (size_t a = 0; a < sizeof (arches) / sizeof (arches[0]); a++)
    {
      uint32_t token = seccomp_arch_resolve_name (arches[a]);
      if (token != seccomp_arch_native ())
        assert_int_equal (seccomp_arch_add (ctx, token), 0);
    }
  for (size_t i = 0; i < names->u.array.len; i++)
    {
      int nr = seccomp_syscall_resolve_name (names->u.array.values[i]->u.string);
      assert_true (nr >= 0);
      assert_int_equal (seccomp_rule_add (ctx, SCMP_ACT_ALLOW, nr, 0), 0);
    }
  seccomp_release (ctx);
  outcome_free (&o);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (adds_one_rule_at_the_end),
    cmocka_unit_test (creates_the_syscalls_list_when_absent),
    cmocka_unit_test (leaves_permissive_or_absent_profiles),
    cmocka_unit_test (leaves_containers_with_cap_sys_nice),
    cmocka_unit_test (no_capabilities_at_all_counts_as_lacking),
    cmocka_unit_test (leaves_profiles_that_already_allow_one),
    cmocka_unit_test (keeps_explicit_denials),
    cmocka_unit_test (skips_names_unknown_on_every_listed_architecture),
    cmocka_unit_test (the_rule_loads_into_libseccomp),
  };
  return cmocka_run_group_tests_name ("seccomp", tests, NULL, NULL);
}
