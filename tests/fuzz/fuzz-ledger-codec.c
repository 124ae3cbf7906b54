/* The ledger's codec alone (src/ledger_codec.c), no files: the input is
   read as an index and as a shard file.  Properties: an index that reads
   is written back to text that reads the same; an entry line that parses
   is written back to its canonical line, which parses to the same entry
   and is its own canonical form; and whenever the quick reading reclaim
   uses (ledger_line_brief) accepts a line the parser also accepts, both
   see the same id, root and creator.  */
#include "fuzz.h"

#include "ledger_codec.h"
#include "util.h"

static bool
same_string (const char *a, const char *b)
{
  return (a == NULL && b == NULL) || (a && b && strcmp (a, b) == 0);
}

static bool
same_usage (const struct nr_node_usage *a, const struct nr_node_usage *b)
{
  return a->node == b->node && a->containers == b->containers && a->load == b->load
         && a->millicpus == b->millicpus && a->memory == b->memory && a->hugepages == b->hugepages
         && nr_set_equal (&a->exclusive, &b->exclusive) && a->held_load == b->held_load
         && nr_set_equal (&a->held_cpus, &b->held_cpus);
}

static const struct ledger_index_shard *
shard_numbered (const struct ledger_index *ix, size_t k)
{
  for (size_t i = 0; i < ix->n_shards; i++)
    if (ix->shards[i].shard == k)
      return &ix->shards[i];
  return NULL;
}

static void
index_round_trip (const char *text, size_t len)
{
  struct ledger_index ix, back;
  const char *why = NULL;
  cleanup_free char *again = NULL;
  size_t again_len, j = 0;

  if (ledger_index_parse (text, len, "ledger.json.d", &ix, &why) < 0)
    {
      FUZZ_CHECK (why != NULL, "a refusal without a reason");
      return;
    }
  if (ix.v1)
    {
      ledger_index_free (&ix);
      return;
    }
  again = ledger_index_text (&ix, "ledger.json.d", &again_len);
  FUZZ_CHECK (ledger_index_parse (again, again_len, "ledger.json.d", &back, &why) == 0,
              "our own index does not read back: %s: %s", why, again);
  FUZZ_CHECK (! back.v1 && same_string (ix.boot_id, back.boot_id)
                  && ix.generation == back.generation && ix.reclaim_cursor == back.reclaim_cursor
                  && ix.shard_count == back.shard_count && ix.n_shards == back.n_shards
                  && memcmp (&ix.counters, &back.counters, sizeof (ix.counters)) == 0,
              "the index header changed on the way back: %s", again);
  for (size_t i = 0; i < ix.n_shards; i++)
    {
      const struct ledger_index_shard *s = shard_numbered (&back, ix.shards[i].shard);
      FUZZ_CHECK (s && s->entries == ix.shards[i].entries
                      && strcmp (s->file, ix.shards[i].file) == 0,
                  "shard %zu changed on the way back", ix.shards[i].shard);
    }
  /* Nodes holding no container are left out of what is written.  */
  for (size_t i = 0; i < ix.n_usage; i++)
    if (ix.usage[i].containers != 0)
      {
        FUZZ_CHECK (j < back.n_usage && same_usage (&ix.usage[i], &back.usage[j]),
                    "node %d's sums changed on the way back", ix.usage[i].node);
        j++;
      }
  FUZZ_CHECK (j == back.n_usage, "nodes appeared on the way back");
  ledger_index_free (&back);
  ledger_index_free (&ix);
}

static bool
same_entry (const struct nr_ledger_entry *a, const struct nr_ledger_entry *b)
{
  return same_string (a->id, b->id) && nr_set_equal (&a->nodes, &b->nodes)
         && nr_set_equal (&a->cpus, &b->cpus) && nr_set_equal (&a->exclusive, &b->exclusive)
         && a->load == b->load && a->millicpus == b->millicpus && a->memory == b->memory
         && a->hugepages == b->hugepages && nr_set_equal (&a->mems, &b->mems)
         && a->memory_local == b->memory_local && same_string (a->pod, b->pod)
         && a->sandbox == b->sandbox && a->exclusive_pod == b->exclusive_pod
         && a->kubelet_cpus == b->kubelet_cpus && same_string (a->root, b->root)
         && a->creator_pid == b->creator_pid && a->creator_start == b->creator_start
         && a->created == b->created;
}

static void
line_round_trip (const struct ledger_line *ln)
{
  struct nr_ledger_entry e, brief, back;
  cleanup_free char *canonical = NULL;
  cleanup_free char *twice = NULL;
  size_t len, twice_len;
  bool quick = ledger_line_brief (ln, &brief);

  if (ledger_entry_from_line (ln, &e, NULL) < 0)
    {
      nr_ledger_entry_free (&brief);
      return;
    }
  if (quick)
    FUZZ_CHECK (same_string (brief.id, e.id) && same_string (brief.root, e.root)
                    && brief.creator_pid == e.creator_pid && brief.creator_start == e.creator_start,
                "the quick reading disagrees with the parser on %.*s", (int) ln->len, ln->text);
  nr_ledger_entry_free (&brief);
  canonical = ledger_entry_to_line (&e, &len);
  {
    struct ledger_line c = { .text = canonical, .len = len };
    FUZZ_CHECK (ledger_entry_from_line (&c, &back, NULL) == 0, "our own line does not parse: %s",
                canonical);
    FUZZ_CHECK (same_entry (&e, &back), "the entry changed on the way back: %s", canonical);
    /* Escapes send even our own lines to the parser; otherwise the
       quick reading takes them.  */
    if (ledger_line_brief (&c, &brief))
      FUZZ_CHECK (same_string (brief.id, e.id) && same_string (brief.root, e.root),
                  "the quick reading misreads our own line: %s", canonical);
    else
      FUZZ_CHECK (memchr (canonical, '\\', len) != NULL,
                  "the quick reading refuses our own line: %s", canonical);
    nr_ledger_entry_free (&brief);
  }
  twice = ledger_entry_to_line (&back, &twice_len);
  FUZZ_CHECK (twice_len == len && memcmp (twice, canonical, len) == 0,
              "the canonical line is not stable: %s", canonical);
  nr_ledger_entry_free (&back);
  nr_ledger_entry_free (&e);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cleanup_free char *text = fuzz_text (data, size);
  struct ledger_lines lines = { 0 };

  index_round_trip (text, size);
  if (ledger_shard_parse (text, size, &lines) == 0)
    for (size_t i = 0; i < lines.n; i++)
      line_round_trip (&lines.v[i]);
  else
    line_round_trip (&(struct ledger_line){ .text = text, .len = size });
  ledger_lines_free (&lines);
  return 0;
}
