/* Devices named by environment and the driver files they are looked up
   in (locality_env.c, locality_gpu.c).  The first byte picks the parser:
   0 an environment entry, 1 one NVIDIA device id, 2 a field of an NVIDIA
   information file, 3 a kfd topology node's properties.  Properties: an
   error carries a message; what is accepted is within the limits and
   spelled so that it can only name a sysfs entry, never a path.  */
#include "fuzz.h"

#include "locality_env.h"
#include "locality_sysfs.h"
#include "util.h"

static void
check_gpu (const struct nr_gpu_ref *gpu)
{
  if (! gpu->by_uuid)
    {
      FUZZ_CHECK (gpu->index <= 1023, "index %u", gpu->index);
      return;
    }
  FUZZ_CHECK (strnlen (gpu->uuid, sizeof (gpu->uuid)) < sizeof (gpu->uuid), "unterminated");
  FUZZ_CHECK (strncmp (gpu->uuid, "GPU-", 4) == 0, "`%s`", gpu->uuid);
  FUZZ_CHECK (strspn (gpu->uuid + 4, "0123456789abcdefABCDEF-") == strlen (gpu->uuid + 4), "`%s`",
              gpu->uuid);
}

static void
env_entry (const char *text)
{
  struct nr_env_devices out;
  nr_error_t err = NULL;

  if (nr_env_devices_parse (text, &out, &err) < 0)
    {
      FUZZ_CHECK (err != NULL && err->msg[0], "a failure without a message");
      FUZZ_CHECK (out.n == 0, "devices left after a failure");
      nr_error_release (&err);
      return;
    }
  FUZZ_CHECK (out.n <= NR_ENV_DEVICES_MAX, "%zu devices", out.n);
  for (size_t i = 0; i < out.n; i++)
    if (out.items[i].is_gpu)
      check_gpu (&out.items[i].gpu);
    else
      {
        const char *pci = out.items[i].pci;
        FUZZ_CHECK (nr_pci_address_valid (pci), "`%s`", pci);
        FUZZ_CHECK (strspn (pci, "0123456789abcdef:.") == strlen (pci), "`%s` not lower case", pci);
      }
}

static void
nvidia_id (const char *text)
{
  struct nr_gpu_ref gpu;
  nr_error_t err = NULL;

  if (nr_nvidia_id_parse (text, &gpu, &err) < 0)
    {
      FUZZ_CHECK (err != NULL, "a failure without a message");
      nr_error_release (&err);
      return;
    }
  check_gpu (&gpu);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *text = NULL;
  char value[64], address[32];

  fuzz_quiet ();
  if (size < 1)
    return 0;
  text = fuzz_text (data + 1, size - 1);
  switch (data[0] & 3)
    {
    case 0:
      env_entry (text);
      break;
    case 1:
      nvidia_id (text);
      break;
    case 2:
      if (nr_gpu_information_field (text, "GPU UUID:", value, sizeof (value)))
        FUZZ_CHECK (strlen (value) < sizeof (value) && ! strchr (value, '\n'), "`%s`", value);
      break;
    default:
      for (unsigned minor = 128; minor < 131; minor++)
        if (nr_gpu_kfd_address (text, minor, address, sizeof (address)))
          FUZZ_CHECK (nr_pci_address_valid (address), "`%s`", address);
      break;
    }
  return 0;
}
