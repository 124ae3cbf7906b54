/* kubelet's cpu_manager_state (v1 and v2).  Properties: an error is one
   line and leaves nothing taken; a checkpoint that parses names only CPUs
   a CPU list can hold.  */
#include "fuzz.h"

#include "kubelet_state.h"
#include "util.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *text = fuzz_text (data, size);
  struct nr_kubelet_state state = { 0 };
  nr_error_t err = NULL;

  fuzz_quiet ();
  if (nr_kubelet_parse_cpu_state (text, strlen (text), &state, &err) < 0)
    {
      FUZZ_CHECK (err != NULL && strchr (err->msg, '\n') == NULL,
                  "a failure without a one-line message");
      FUZZ_CHECK (! state.cpu_static && nr_set_is_empty (&state.exclusive_cpus),
                  "a failure that leaves CPUs taken");
      nr_error_release (&err);
    }
  else
    {
      cleanup_free char *cpus = nr_set_format (&state.exclusive_cpus);
      nr_set_t again;
      FUZZ_CHECK (nr_set_parse (cpus, &again, NULL) == 0
                      && nr_set_equal (&again, &state.exclusive_cpus),
                  "taken CPUs `%s` do not parse back", cpus);
    }
  nr_kubelet_state_free (&state);
  return 0;
}
