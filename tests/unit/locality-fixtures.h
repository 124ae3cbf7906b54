/* The fixture machines and helpers test-locality.c and
   test-locality-storage.c share: tests/fixtures/gen-sysfs.sh's trees for
   every machine below, a config reading one of them, and the hints a spec
   or one device gives there as "node source" lines.  */
#ifndef NR_LOCALITY_FIXTURES_H
#define NR_LOCALITY_FIXTURES_H

#include "unit.h"

#include "locality.h"
#include "machine-fixtures.h"

#include <string.h>

#ifndef NR_TOP_SRCDIR
#define NR_TOP_SRCDIR "."
#endif

/* Where the machines were generated (one subdirectory each).  */
static char *fixtures_dir;

static const char *const machines[] = { "two-socket", "nps4", "eight-node", "cloud-vm",
                                        "dm-md-nvme" };

static inline int
generate_machines (void **state)
{
  (void) state;
  return machines_generate ("nr-locality", machines, NR_N_ELEMENTS (machines), &fixtures_dir);
}

static inline int
remove_machines (void **state)
{
  (void) state;
  return machines_remove (&fixtures_dir);
}

/* A config reading MACHINE's sysfs and proc.  */
static inline struct nr_config
machine_config (const char *machine)
{
  struct nr_config config = { 0 };
  config.sysfs_root = xasprintf ("%s/%s/sys", fixtures_dir, machine);
  config.proc_root = xasprintf ("%s/%s/proc", fixtures_dir, machine);
  config.annotations_enabled = true;
  config.policy = NR_POLICY_BEST_EFFORT;
  return config;
}

static inline void
config_free (struct nr_config *config)
{
  free (config->sysfs_root);
  free (config->proc_root);
  free (config->annotation_keys);
}

/* The hints of REQ as "node source" lines.  */
static inline char *
format_hints (const struct nr_request *req)
{
  char *out = xstrdup ("");
  for (size_t i = 0; i < req->n_hints; i++)
    {
      char *longer =
          xasprintf ("%s%s%d %s", out, i ? "\n" : "", req->hints[i].node, req->hints[i].source);
      free (out);
      out = longer;
    }
  return out;
}

#define assert_hints(req, expected)                                                                \
  do                                                                                               \
    {                                                                                              \
      cleanup_free char *_got = format_hints (req);                                                \
      assert_string_equal (_got, (expected));                                                      \
    }                                                                                              \
  while (0)

/* Run nr_locality_hints on MACHINE with SPEC_JSON; returns its status and
   leaves the hints in REQ (and a failure in ERR).  */
static inline int
hints_with (const struct nr_config *config, const char *spec_json, struct nr_request *req,
            nr_error_t *err)
{
  cleanup_json yajl_val spec = NULL;
  nr_error_t parse_err = NULL;

  memset (req, 0, sizeof (*req));
  req->id = "c1";
  if (nr_json_parse (spec_json, strlen (spec_json), &spec, &parse_err) < 0)
    fail_msg ("bad spec in test: %s", parse_err->msg);
  return nr_locality_hints (spec, config, req, err);
}

static inline void
hints_on (const char *machine, const char *spec_json, struct nr_request *req)
{
  struct nr_config config = machine_config (machine);
  nr_error_t err = NULL;

  if (hints_with (&config, spec_json, req, &err) < 0)
    fail_msg ("nr_locality_hints on %s: %s", machine, err->msg);
  config_free (&config);
}

/* A spec giving the container one device.  */
static inline char *
device_spec (const char *type, const char *path, unsigned major, unsigned minor)
{
  return xasprintf ("{\"linux\":{\"devices\":[{\"path\":\"%s\",\"type\":\"%s\","
                    "\"major\":%u,\"minor\":%u}]}}",
                    path, type, major, minor);
}

/* The hints one device gives on MACHINE, as format_hints shows them.  */
static inline char *
device_hints (const char *machine, const char *type, const char *path, unsigned major,
              unsigned minor)
{
  cleanup_free char *spec = device_spec (type, path, major, minor);
  struct nr_request req;
  char *out;

  hints_on (machine, spec, &req);
  out = format_hints (&req);
  nr_request_free (&req);
  return out;
}

#define assert_device(machine, type, path, major, minor, expected)                                 \
  do                                                                                               \
    {                                                                                              \
      cleanup_free char *_got = device_hints (machine, type, path, major, minor);                  \
      assert_string_equal (_got, (expected));                                                      \
    }                                                                                              \
  while (0)

/* Run SHELL_CMD in MACHINE's sysfs directory.  */
static inline void
in_sysfs (const char *machine, const char *shell_cmd)
{
  cleanup_free char *cmd =
      xasprintf ("cd '%s/%s/sys' && { %s; }", fixtures_dir, machine, shell_cmd);
  assert_int_equal (system (cmd), 0);
}

#endif
