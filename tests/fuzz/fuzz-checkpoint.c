/* kubelet's device manager checkpoint (kubelet_checkpoint.c).  The first
   byte picks which pod and container are asked for and whether a boot id
   is given; the rest is the file.  Properties: an error is one line and
   leaves nothing behind; what is accepted is bounded, names real node
   ids only, and every device has a resource and an id.  */
#include "fuzz.h"

#include "kubelet_checkpoint.h"
#include "util.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *const pods[] = { "pod-a", "", "0", "\xc3\xa9" };
  cleanup_free char *text = NULL;
  struct nr_pod_devices devices;
  nr_error_t err = NULL;

  fuzz_quiet ();
  if (size < 1)
    return 0;
  text = fuzz_text (data + 1, size - 1);
  if (nr_checkpoint_pod_devices (text, size - 1, pods[data[0] & 3], (data[0] & 4) ? "c" : NULL,
                                 (data[0] & 8) ? "boot" : NULL, &devices, &err)
      < 0)
    {
      FUZZ_CHECK (err != NULL && strchr (err->msg, '\n') == NULL, "an error that is not one line");
      FUZZ_CHECK (devices.n == 0 && devices.v == NULL, "devices left behind by a failure");
      nr_error_release (&err);
      return 0;
    }
  FUZZ_CHECK (devices.n <= NR_CHECKPOINT_MAX_DEVICES, "more devices than the limit");
  for (size_t i = 0; i < devices.n; i++)
    {
      FUZZ_CHECK (devices.v[i].node >= 0 && devices.v[i].node < NR_SET_MAX, "node %d",
                  devices.v[i].node);
      FUZZ_CHECK (devices.v[i].resource && devices.v[i].id, "a device without resource or id");
    }
  nr_pod_devices_free (&devices);
  return 0;
}
