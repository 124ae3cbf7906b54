/* kubelet's memory_manager_state.  Properties: an error is one line and
   leaves nothing reserved; a checkpoint that parses reserves no negative
   amount on a node id below NR_SET_MAX.  */
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
  if (nr_kubelet_parse_memory_state (text, strlen (text), &state, &err) < 0)
    {
      FUZZ_CHECK (err != NULL && strchr (err->msg, '\n') == NULL,
                  "a failure without a one-line message");
      FUZZ_CHECK (state.n_reserved == 0 && state.reserved == NULL && ! state.memory_static,
                  "a failure that leaves memory reserved");
      nr_error_release (&err);
    }
  else
    for (size_t i = 0; i < state.n_reserved; i++)
      {
        int64_t memory, hugepages;
        const struct nr_kubelet_reservation *r = &state.reserved[i];
        FUZZ_CHECK (r->node >= 0 && r->node < NR_SET_MAX && r->memory >= 0 && r->hugepages >= 0,
                    "node %d reserves %lld/%lld bytes", r->node, (long long) r->memory,
                    (long long) r->hugepages);
        nr_kubelet_reserved_on (&state, r->node, &memory, &hugepages);
        FUZZ_CHECK (memory >= 0 && hugepages >= 0, "a negative reservation");
      }
  nr_kubelet_state_free (&state);
  return 0;
}
