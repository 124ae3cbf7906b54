/* numa-runtime: what every fuzz harness shares.  Each harness defines
   LLVMFuzzerTestOneInput; it is linked with libFuzzer by `make fuzz`
   (tests/fuzz/fuzz.sh) and with replay.c, a plain main(), by `make check`
   to replay the committed corpus.  A broken property aborts, which both
   treat as a crash.  */
#ifndef NR_FUZZ_H
#define NR_FUZZ_H

#include <config.h>

#include "error.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                      \
  do                                                                                               \
    {                                                                                              \
      if (! (cond))                                                                                \
        {                                                                                          \
          fprintf (stderr, "fuzz: property broken at %s:%d: ", __FILE__, __LINE__);                \
          fprintf (stderr, __VA_ARGS__);                                                           \
          fputc ('\n', stderr);                                                                    \
          abort ();                                                                                \
        }                                                                                          \
    }                                                                                              \
  while (0)

/* DATA as a NUL-terminated string the caller frees.  */
static inline char *
fuzz_text (const uint8_t *data, size_t size)
{
  char *s = malloc (size + 1);
  if (s == NULL)
    abort ();
  memcpy (s, data, size);
  s[size] = '\0';
  return s;
}

/* Reading fixed-size values off the input, zeroes once it runs out.  */
struct fuzz_bytes
{
  const uint8_t *p;
  size_t left;
};

static inline uint64_t
fuzz_u64 (struct fuzz_bytes *b, int n)
{
  uint64_t v = 0;
  for (int i = 0; i < n && b->left > 0; i++, b->p++, b->left--)
    v = (v << 8) | *b->p;
  return v;
}

/* Send warnings and errors the code under test logs nowhere: a fuzzer
   prints millions of them.  */
static inline void
fuzz_quiet (void)
{
  static int done;
  if (! done)
    nr_log_init ("/dev/null", NULL, false);
  done = 1;
}

#endif
