/* `update --resources`: the document is parsed, its cpu.cpus/mems set
   (as the narrowing does) and written for the runtime.  Property: what we
   hand on parses and carries the edit.  */
#include "fuzz.h"

#include "json.h"
#include "util.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *text = fuzz_text (data, size);
  cleanup_free char *edited = NULL;
  cleanup_json yajl_val doc = NULL, again = NULL;
  nr_error_t err = NULL;
  yajl_val cpu;
  size_t len;

  fuzz_quiet ();
  if (nr_json_parse (text, size, &doc, &err) < 0)
    {
      FUZZ_CHECK (err != NULL, "a failure without a message");
      nr_error_release (&err);
      return 0;
    }
  if (doc->type != yajl_t_object)
    return 0;
  cpu = nr_json_get (doc, "cpu");
  if (cpu == NULL || cpu->type != yajl_t_object)
    return 0;
  nr_json_set (cpu, "cpus", nr_json_new_string ("0-1"));
  nr_json_set (cpu, "mems", nr_json_new_string ("0"));
  edited = nr_json_generate (doc, &len);
  FUZZ_CHECK (edited != NULL, "parsed resources cannot be written back");
  FUZZ_CHECK (nr_json_parse (edited, len, &again, &err) == 0, "what we pass on does not parse: %s",
              err ? err->msg : "");
  FUZZ_CHECK (strcmp (nr_json_get_string (nr_json_get (again, "cpu"), "cpus"), "0-1") == 0,
              "the edit is lost");
  return 0;
}
