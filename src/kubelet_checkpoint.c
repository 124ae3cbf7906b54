/* numa-runtime: kubelet's device manager checkpoint.  See
   kubelet_checkpoint.h for the format and why it is the source read.  */
#include <config.h>

#include "kubelet_checkpoint.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *const pod_uid_keys[] = { "io.kubernetes.cri.sandbox-uid",
                                            "io.kubernetes.pod.uid", NULL };
static const char *const container_name_keys[] = { "io.kubernetes.cri.container-name",
                                                   "io.kubernetes.container.name", NULL };

static const char *
first_string (yajl_val annotations, const char *const *keys)
{
  for (; *keys; keys++)
    {
      const char *v = nr_json_get_string (annotations, *keys);
      if (v && *v)
        return v;
    }
  return NULL;
}

const char *
nr_spec_pod_uid (yajl_val spec)
{
  return first_string (nr_json_get (spec, "annotations"), pod_uid_keys);
}

const char *
nr_spec_container_name (yajl_val spec)
{
  return first_string (nr_json_get (spec, "annotations"), container_name_keys);
}

void
nr_pod_devices_free (struct nr_pod_devices *devices)
{
  for (size_t i = 0; i < devices->n; i++)
    {
      free (devices->v[i].resource);
      free (devices->v[i].id);
    }
  free (devices->v);
  memset (devices, 0, sizeof (*devices));
}

/* A DeviceIDs key: a NUMA node id, or -1 for "no topology".  Go writes
   map[int64] keys as decimal strings.  */
static int
parse_node_key (const char *key, int *node, nr_error_t *err)
{
  char *end = NULL;
  long v;

  /* strtol would also take leading blanks and a plus sign.  */
  if (*key != '-' && (*key < '0' || *key > '9'))
    return nr_make_error (err, 0, "DeviceIDs key `%.32s` is not a NUMA node", key);
  errno = 0;
  v = strtol (key, &end, 10);
  if (end == NULL || *end != '\0' || errno != 0 || v < -1 || v >= NR_SET_MAX)
    return nr_make_error (err, 0, "DeviceIDs key `%.32s` is not a NUMA node", key);
  *node = (int) v;
  return 0;
}

/* Append the devices of one DeviceIDs object (node -> [ids]).  */
static int
add_entry_devices (yajl_val per_numa, const char *resource, struct nr_pod_devices *out,
                   nr_error_t *err)
{
  if (per_numa == NULL || per_numa->type == yajl_t_null)
    return 0;
  if (per_numa->type != yajl_t_object)
    return nr_make_error (err, 0, "DeviceIDs is not an object");
  for (size_t k = 0; k < per_numa->u.object.len; k++)
    {
      yajl_val ids = per_numa->u.object.values[k];
      int node = -1;

      if (parse_node_key (per_numa->u.object.keys[k], &node, err) < 0)
        return -1;
      if (ids->type == yajl_t_null)
        continue;
      if (ids->type != yajl_t_array)
        return nr_make_error (err, 0, "DeviceIDs[%d] is not an array", node);
      for (size_t j = 0; j < ids->u.array.len; j++)
        {
          yajl_val id = ids->u.array.values[j];
          if (! YAJL_IS_STRING (id))
            return nr_make_error (err, 0, "a device id under node %d is not a string", node);
          if (node < 0)
            continue; /* no topology: says nothing of where to go */
          if (out->n >= NR_CHECKPOINT_MAX_DEVICES)
            return nr_make_error (err, 0, "more than %d devices for one pod",
                                  NR_CHECKPOINT_MAX_DEVICES);
          out->v = xrealloc (out->v, (out->n + 1) * sizeof (*out->v));
          out->v[out->n].node = node;
          out->v[out->n].resource = xstrdup (resource);
          out->v[out->n].id = xstrdup (YAJL_GET_STRING (id));
          out->n++;
        }
    }
  return 0;
}

/* Does entry E belong to POD_UID (and CONTAINER, when not NULL)?  */
static int
entry_matches (yajl_val e, const char *pod_uid, const char *container, bool *match, nr_error_t *err)
{
  const char *uid = nr_json_get_string (e, "PodUID");
  const char *name = nr_json_get_string (e, "ContainerName");

  *match = false;
  if (e->type != yajl_t_object || uid == NULL || name == NULL)
    return nr_make_error (err, 0, "an entry of PodDeviceEntries lacks PodUID or ContainerName");
  *match = strcmp (uid, pod_uid) == 0 && (container == NULL || strcmp (name, container) == 0);
  return 0;
}

static int
read_entries (yajl_val doc, const char *pod_uid, const char *container, const char *boot_id,
              struct nr_pod_devices *out, nr_error_t *err)
{
  static const char *const entries_path[] = { "Data", "PodDeviceEntries", NULL };
  yajl_val entries;
  const char *written_boot;

  if (doc->type != yajl_t_object || ! YAJL_IS_OBJECT (nr_json_get (doc, "Data")))
    return nr_make_error (err, 0, "no `Data` object");
  written_boot = nr_json_get_string (doc, "BootID");
  if (boot_id && written_boot && *written_boot && strcmp (written_boot, boot_id) != 0)
    return 0; /* kubelet wrote it before this boot: nothing in it holds now */
  entries = nr_json_get_path (doc, entries_path);
  if (entries == NULL || entries->type == yajl_t_null)
    return 0;
  if (entries->type != yajl_t_array)
    return nr_make_error (err, 0, "`Data.PodDeviceEntries` is not an array");
  for (size_t i = 0; i < entries->u.array.len; i++)
    {
      yajl_val e = entries->u.array.values[i];
      const char *resource;
      bool match;

      if (entry_matches (e, pod_uid, container, &match, err) < 0)
        return -1;
      if (! match)
        continue;
      resource = nr_json_get_string (e, "ResourceName");
      if (add_entry_devices (nr_json_get (e, "DeviceIDs"), resource ? resource : "?", out, err) < 0)
        return -1;
    }
  return 0;
}

int
nr_checkpoint_pod_devices (const char *text, size_t len, const char *pod_uid, const char *container,
                           const char *boot_id, struct nr_pod_devices *out, nr_error_t *err)
{
  cleanup_json yajl_val doc = NULL;

  memset (out, 0, sizeof (*out));
  if (nr_json_parse (text, len, &doc, err) < 0)
    return -1;
  if (read_entries (doc, pod_uid, container, boot_id, out, err) < 0)
    {
      nr_pod_devices_free (out);
      return -1;
    }
  return 0;
}

void
nr_kubelet_add_hints (yajl_val spec, const struct nr_config *config, const char *boot_id,
                      struct nr_request *req)
{
  const char *pod_uid = nr_spec_pod_uid (spec);
  const char *container = req->sandbox ? NULL : nr_spec_container_name (spec);
  cleanup_free char *path = NULL;
  cleanup_free char *text = NULL;
  struct nr_pod_devices devices;
  nr_error_t err = NULL;
  size_t len = 0;

  /* A container's own devices in its spec say it better than kubelet's
     record of them, and counting both would count them twice.  */
  if (pod_uid == NULL || config->kubelet_root == NULL || *config->kubelet_root == '\0'
      || (! req->sandbox && container == NULL) || (! req->sandbox && req->n_hints > 0))
    return;
  path = xasprintf ("%s/device-plugins/kubelet_internal_checkpoint", config->kubelet_root);
  if (read_file (path, NR_CHECKPOINT_MAX_SIZE, &text, &len, &err) < 0)
    {
      if (err->status != ENOENT)
        nr_warn ("container %s: kubelet's checkpoint ignored: %s", req->id, err->msg);
      nr_error_release (&err);
      return;
    }
  if (nr_checkpoint_pod_devices (text, len, pod_uid, container, boot_id, &devices, &err) < 0)
    {
      nr_warn ("container %s: kubelet's checkpoint `%s` ignored: %s", req->id, path, err->msg);
      nr_error_release (&err);
      return;
    }
  for (size_t i = 0; i < devices.n; i++)
    {
      cleanup_free char *source =
          xasprintf ("kubelet device %s %s", devices.v[i].resource, devices.v[i].id);
      nr_debug ("container %s: locality hint node %d: %s", req->id, devices.v[i].node, source);
      nr_request_add_hint (req, devices.v[i].node, source);
    }
  nr_pod_devices_free (&devices);
}
