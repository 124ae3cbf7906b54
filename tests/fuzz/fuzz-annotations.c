/* Per-pod annotations.  The first byte picks the configured policy and
   whether annotations may weaken it; the rest is the spec.  Property: an
   error is one line; what is accepted stays within the admin's bounds.  */
#include "fuzz.h"

#include "annotations.h"
#include "conf.h"
#include "request.h"
#include "util.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static struct nr_config config;
  static bool loaded;
  cleanup_free char *text = NULL;
  cleanup_json yajl_val spec = NULL;
  struct nr_request req;
  nr_error_t err = NULL;
  enum nr_policy policy;

  fuzz_quiet ();
  if (! loaded)
    {
      FUZZ_CHECK (nr_config_load_file (&config, "/nonexistent/numa-runtime.conf", false, NULL) == 0,
                  "defaults");
      loaded = true;
    }
  if (size < 1)
    return 0;
  policy = (enum nr_policy) (data[0] & 3);
  config.annotations_may_weaken = data[0] & 4;
  config.annotation_nodes_set = data[0] & 8;
  nr_set_clear (&config.annotation_nodes);
  nr_set_add (&config.annotation_nodes, 0);
  nr_set_add (&config.annotation_nodes, 1);
  text = fuzz_text (data + 1, size - 1);
  if (nr_json_parse (text, size - 1, &spec, NULL) < 0 || spec->type != yajl_t_object)
    return 0;
  memset (&req, 0, sizeof (req));
  req.id = "fuzz";
  if (nr_annotations_read (spec, &config, policy, &req, &err) < 0)
    {
      FUZZ_CHECK (err != NULL, "a failure without a message");
      nr_error_release (&err);
    }
  else
    {
      FUZZ_CHECK (! config.annotation_nodes_set
                      || nr_set_is_subset (&req.nodes_wanted, &config.annotation_nodes),
                  "nodes outside allowed_nodes accepted");
      FUZZ_CHECK (! req.has_policy || config.annotations_may_weaken || req.policy >= policy,
                  "a weaker policy accepted");
      FUZZ_CHECK (req.span >= 0, "a negative span");
    }
  nr_request_free (&req);
  return 0;
}
