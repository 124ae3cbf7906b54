/* numa-runtime: the counters kept in the ledger's index.  See counters.h.  */
#include <config.h>

#include "counters.h"
#include "json.h"
#include "util.h"

#include <stddef.h>

#include <string.h>

static const char *const outcome_names[NR_OUTCOMES] = {
  [NR_OUTCOME_PLACED] = "placed",     [NR_OUTCOME_DEVICE_ALIGNED] = "device_aligned",
  [NR_OUTCOME_SPANNED] = "spanned",   [NR_OUTCOME_TIER_SPILL] = "tier_spill",
  [NR_OUTCOME_FALLBACK] = "fallback", [NR_OUTCOME_POD_MOVED] = "pod_moved",
  [NR_OUTCOME_REFUSED] = "refused",
};

const char *
nr_outcome_name (enum nr_outcome outcome)
{
  return outcome < NR_OUTCOMES ? outcome_names[outcome] : "unknown";
}

/* The scalar counters: index key and member.  */
static const struct
{
  const char *key;
  size_t offset;
} scalars[] = {
  { "deletes", offsetof (struct nr_counters, deletes) },
  { "reclaims", offsetof (struct nr_counters, reclaims) },
  { "set_asides", offsetof (struct nr_counters, set_asides) },
  { "rebuilds", offsetof (struct nr_counters, rebuilds) },
  { "migrated_bytes", offsetof (struct nr_counters, migrated_bytes) },
};

static uint64_t *
scalar (struct nr_counters *c, size_t i)
{
  return (uint64_t *) ((char *) c + scalars[i].offset);
}

void
nr_counters_gen (yajl_gen g, const struct nr_counters *c)
{
  nr_json_gen_key (g, "counters");
  yajl_gen_map_open (g);
  nr_json_gen_key (g, "creates");
  yajl_gen_map_open (g);
  /* Only the policies and outcomes that happened: the index stays small.  */
  for (int pol = 0; pol < NR_POLICIES; pol++)
    {
      bool any = false;
      for (int o = 0; o < NR_OUTCOMES; o++)
        if (c->creates[o][pol] > 0)
          {
            if (! any)
              {
                nr_json_gen_key (g, nr_policy_name ((enum nr_policy) pol));
                yajl_gen_map_open (g);
                any = true;
              }
            nr_json_gen_int (g, nr_outcome_name ((enum nr_outcome) o),
                             (long long) c->creates[o][pol]);
          }
      if (any)
        yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
  for (size_t i = 0; i < NR_N_ELEMENTS (scalars); i++)
    nr_json_gen_int (g, scalars[i].key, (long long) *scalar ((struct nr_counters *) c, i));
  yajl_gen_map_close (g);
}

static uint64_t
count_of (yajl_val v)
{
  return v && YAJL_IS_INTEGER (v) && YAJL_GET_INTEGER (v) > 0 ? (uint64_t) YAJL_GET_INTEGER (v) : 0;
}

void
nr_counters_read (yajl_val doc, struct nr_counters *c)
{
  yajl_val counters = nr_json_get (doc, "counters");
  yajl_val creates = nr_json_get (counters, "creates");

  memset (c, 0, sizeof (*c));
  if (counters == NULL || ! YAJL_IS_OBJECT (counters))
    return;
  for (size_t i = 0; i < NR_N_ELEMENTS (scalars); i++)
    *scalar (c, i) = count_of (nr_json_get (counters, scalars[i].key));
  if (creates == NULL || ! YAJL_IS_OBJECT (creates))
    return;
  for (size_t k = 0; k < creates->u.object.len; k++)
    {
      enum nr_policy pol;
      yajl_val by_outcome = creates->u.object.values[k];

      if (nr_policy_parse (creates->u.object.keys[k], &pol) < 0 || ! YAJL_IS_OBJECT (by_outcome))
        continue;
      for (int o = 0; o < NR_OUTCOMES; o++)
        c->creates[o][pol] = count_of (nr_json_get (by_outcome, nr_outcome_name (o)));
    }
}
