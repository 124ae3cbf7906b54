/* The "Key: value" lines of a driver's information file
   (/proc/driver/nvidia/gpus/ADDR/information), as `topology` reads them:
   a value found is terminated, within its buffer, free of the blanks
   around it and of newlines, and is in the text.  */
#include "fuzz.h"

#include "devices.h"
#include "util.h"

#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *const keys[] = { "Model", "GPU UUID", "Bus Location", "Device Minor", "" };
  cleanup_free char *text = fuzz_text (data, size);

  for (size_t k = 0; k < sizeof (keys) / sizeof (keys[0]); k++)
    {
      char out[32];
      size_t len;

      memset (out, 'x', sizeof (out));
      if (! nr_device_info_field (text, keys[k], out, sizeof (out)))
        continue;
      len = strnlen (out, sizeof (out));
      FUZZ_CHECK (len < sizeof (out), "`%s`: the value is not terminated", keys[k]);
      FUZZ_CHECK (strchr (out, '\n') == NULL, "`%s`: a newline in `%s`", keys[k], out);
      FUZZ_CHECK (len == 0 || (out[0] != ' ' && out[0] != '\t'), "`%s`: leading blank", keys[k]);
      FUZZ_CHECK (len == 0 || strchr (" \t\r", out[len - 1]) == NULL || len == sizeof (out) - 1,
                  "`%s`: trailing blank in `%s`", keys[k], out);
      FUZZ_CHECK (strstr (text, out) != NULL, "`%s`: `%s` is not in the text", keys[k], out);
    }
  return 0;
}
