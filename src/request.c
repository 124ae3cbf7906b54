/* numa-runtime: what a container needs, read from its spec.  */
#include <config.h>

#include "request.h"
#include "spec_numbers.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Annotations engines write to tie a container to its pod.  */
static const char *const sandbox_id_keys[] = { "io.kubernetes.cri.sandbox-id",
                                               "io.kubernetes.cri-o.SandboxID", NULL };
static const char *const container_type_keys[] = { "io.kubernetes.cri.container-type",
                                                   "io.kubernetes.cri-o.ContainerType", NULL };

static const char *
first_annotation (yajl_val annotations, const char *const *keys)
{
  for (; *keys; keys++)
    {
      const char *v = nr_json_get_string (annotations, *keys);
      if (v && *v)
        return v;
    }
  return NULL;
}

/* Integer member KEY of OBJ (0 when absent or null), read once
   nr_spec_check_numbers has accepted it for its type; a uint64 beyond
   INT64_MAX saturates.  */
static int64_t
number_at (yajl_val obj, const char *key)
{
  return nr_go_int_value (nr_json_get (obj, key));
}

static int
read_cpu (yajl_val cpu, struct nr_request *req, nr_error_t *err)
{
  int64_t quota = number_at (cpu, "quota"), period = number_at (cpu, "period");
  int64_t shares = number_at (cpu, "shares");
  const char *cpus = nr_json_get_string (cpu, "cpus");
  const char *mems = nr_json_get_string (cpu, "mems");

  if (quota > 0)
    {
      if (period <= 0)
        period = 100000; /* the kernel's default CFS period */
      /* Round up: a 1.5-CPU limit needs two CPUs' worth of room.  */
      req->millicpus = sat_ceil_ratio (quota, 1000, period);
    }
  else if (shares > 2)
    /* kubelet writes shares = millicpus * 1024 / 1000; 2 is BestEffort.  */
    req->millicpus = sat_ceil_ratio (shares, 1000, 1024);

  if (cpus && *cpus)
    {
      if (nr_set_parse (cpus, &req->cpus, err) < 0)
        return nr_error_wrap (err, "linux.resources.cpu.cpus");
      req->has_cpus = true;
    }
  if (mems && *mems)
    {
      if (nr_set_parse (mems, &req->mems, err) < 0)
        return nr_error_wrap (err, "linux.resources.cpu.mems");
      req->has_mems = true;
    }
  return 0;
}

static int64_t
annotation_number (yajl_val annotations, const char *key)
{
  const char *v = nr_json_get_string (annotations, key);
  char *end;
  long long n;

  if (v == NULL || *v == '\0')
    return 0;
  n = strtoll (v, &end, 10);
  return *end == '\0' && n > 0 ? n : 0;
}

/* containerd's CRI puts the whole pod's resources on its sandbox as
   annotations: charging them to the sandbox reserves the pod's room on its
   node before its containers arrive.  */
static void
read_pod_resources (yajl_val annotations, struct nr_request *req)
{
  int64_t quota = annotation_number (annotations, "io.kubernetes.cri.sandbox-cpu-quota");
  int64_t period = annotation_number (annotations, "io.kubernetes.cri.sandbox-cpu-period");
  int64_t memory = annotation_number (annotations, "io.kubernetes.cri.sandbox-memory");

  if (quota > 0 && req->millicpus == 0)
    req->millicpus = sat_ceil_ratio (quota, 1000, period > 0 ? period : 100000);
  if (memory > 0 && req->memory == 0)
    req->memory = memory;
}

int
nr_request_from_spec (yajl_val spec, const char *id, struct nr_request *req, nr_error_t *err)
{
  static const char *const resources_path[] = { "linux", "resources", NULL };
  yajl_val resources = nr_json_get_path (spec, resources_path);
  yajl_val annotations = nr_json_get (spec, "annotations");
  yajl_val hugepages = nr_json_get (resources, "hugepageLimits");
  const char *pod, *type;

  memset (req, 0, sizeof (*req));
  req->id = id;
  if (resources && resources->type != yajl_t_object && resources->type != yajl_t_null)
    return nr_make_error (err, 0, "`linux.resources` is not an object");
  if (nr_spec_check_numbers (spec, err) < 0)
    return -1;
  if (read_cpu (nr_json_get (resources, "cpu"), req, err) < 0)
    return -1;
  req->memory = number_at (nr_json_get (resources, "memory"), "limit");
  /* -1, 2^63-1 and its page-aligned cgroup v1 spelling all mean "no
     limit"; nothing real comes near 2^62 bytes.  */
  if (req->memory < 0 || req->memory >= (INT64_C (1) << 62))
    req->memory = 0;
  if (hugepages && hugepages->type == yajl_t_array)
    for (size_t i = 0; i < hugepages->u.array.len; i++)
      {
        int64_t limit = number_at (hugepages->u.array.values[i], "limit");
        if (limit > 0)
          req->hugepages = sat_add (req->hugepages, limit);
      }

  type = first_annotation (annotations, container_type_keys);
  pod = first_annotation (annotations, sandbox_id_keys);
  req->sandbox = type && strcmp (type, "sandbox") == 0;
  if (req->sandbox)
    {
      pod = id;
      read_pod_resources (annotations, req);
    }
  if (pod)
    req->pod = xstrdup (pod);
  return 0;
}

void
nr_request_add_hint (struct nr_request *req, int node, const char *source)
{
  req->hints = xrealloc (req->hints, (req->n_hints + 1) * sizeof (*req->hints));
  req->hints[req->n_hints].node = node;
  req->hints[req->n_hints].source = xstrdup (source);
  req->n_hints++;
}

void
nr_request_free (struct nr_request *req)
{
  for (size_t i = 0; i < req->n_hints; i++)
    free (req->hints[i].source);
  free (req->hints);
  free (req->pod);
  memset (req, 0, sizeof (*req));
}
