/* numa-runtime: a container's memory by node.  See residency.h.  */
#include <config.h>

#include "residency.h"

#include "json.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int
nr_residency_measure (const struct nr_enforced_ctx *ctx, const struct nr_ledger_entry *e,
                      struct nr_residency *out, nr_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_free char *dir = NULL;
  nr_error_t read_err = NULL;
  int pid = -1;
  size_t len;

  memset (out, 0, sizeof (*out));
  dir = nr_enforced_cgroup_dir (ctx, e, "memory", &pid);
  if (dir == NULL)
    return 0;
  if (nr_cgroup_read (dir, "memory.numa_stat", NR_NUMASTAT_MAX_SIZE, &text, &len, &read_err) < 0)
    {
      /* Removed between finding the directory and reading it: the
         container exited, which is no error.  */
      bool gone = read_err->status == ENOENT || read_err->status == ENODEV;
      if (gone)
        {
          nr_error_release (&read_err);
          return 0;
        }
      if (err == NULL)
        {
          nr_error_release (&read_err);
          return -1;
        }
      nr_error_release (err);
      *err = steal_pointer (&read_err);
      return nr_error_wrap (err, "container %s", e->id);
    }
  if (nr_numastat_parse (text, len, ctx->page_size, &out->stat, err) < 0)
    return nr_error_wrap (err, "container %s: `%s`", e->id, dir);
  for (int node = nr_set_next (&out->stat.nodes, 0); node >= 0;
       node = nr_set_next (&out->stat.nodes, node + 1))
    if (nr_set_has (&e->mems, node))
      out->local += out->stat.bytes[node];
  out->known = true;
  return 0;
}

bool
nr_residency_ratio (const struct nr_residency *r, double *ratio)
{
  if (! r->known || r->stat.total == 0)
    return false;
  *ratio = (double) r->local / (double) r->stat.total;
  return true;
}

/* memory_by_node (node -> bytes, {} when unknown) and local_ratio (0..1,
   null when unknown).  */
void
nr_residency_gen_json (yajl_gen g, const struct nr_residency *r)
{
  double ratio;

  nr_json_gen_key (g, "memory_by_node");
  yajl_gen_map_open (g);
  for (int node = r->known ? nr_set_next (&r->stat.nodes, 0) : -1; node >= 0;
       node = nr_set_next (&r->stat.nodes, node + 1))
    {
      char key[16];
      snprintf (key, sizeof (key), "%d", node);
      nr_json_gen_int (g, key, (long long) r->stat.bytes[node]);
    }
  yajl_gen_map_close (g);
  nr_json_gen_key (g, "local_ratio");
  if (nr_residency_ratio (r, &ratio))
    {
      char number[32];
      int n = snprintf (number, sizeof (number), "%.6g", ratio);
      yajl_gen_number (g, number, (size_t) n);
    }
  else
    yajl_gen_null (g);
}
