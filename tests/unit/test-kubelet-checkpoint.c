/* kubelet's device manager checkpoint (kubelet_checkpoint.c): the devices
   it gives a pod and their nodes, read from a file in kubelet's format
   (tests/fixtures/kubelet), and what a damaged file does: nothing but a
   warning.  */
#include <config.h>

#include "unit.h"

#include "kubelet_checkpoint.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define POD "6d6a3c1e-0f5b-4b8e-9a51-2c3d4e5f6a7b"
#define FIXTURE NR_TOP_SRCDIR "/tests/fixtures/kubelet/kubelet_internal_checkpoint"

static char *
fixture_text (size_t *len)
{
  char *text = NULL;
  nr_error_t err = NULL;

  if (read_file (FIXTURE, NR_CHECKPOINT_MAX_SIZE, &text, len, &err) < 0)
    fail_msg ("%s", err->msg);
  return text;
}

static void
a_pod_s_devices_are_read_with_their_nodes (void **state)
{
  size_t len;
  cleanup_free char *text = fixture_text (&len);
  struct nr_pod_devices d;
  nr_error_t err = NULL;

  assert_int_equal (nr_checkpoint_pod_devices (text, len, POD, NULL, NULL, &d, &err), 0);
  /* The device keyed -1 (no topology) says nothing and is left out.  */
  assert_int_equal (d.n, 2);
  assert_int_equal (d.v[0].node, 1);
  assert_string_equal (d.v[0].resource, "nvidia.com/gpu");
  assert_string_equal (d.v[0].id, "GPU-2f1c7d4e-8a9b-4c3d-b2a1-0e9f8d7c6b5a");
  assert_int_equal (d.v[1].node, 1);
  assert_string_equal (d.v[1].id, "nvme1n1");
  nr_pod_devices_free (&d);

  /* One container's own.  */
  assert_int_equal (nr_checkpoint_pod_devices (text, len, POD, "loader", NULL, &d, &err), 0);
  assert_int_equal (d.n, 1);
  assert_string_equal (d.v[0].resource, "example.com/nvme");
  nr_pod_devices_free (&d);

  /* Another pod, and a pod kubelet gave nothing.  */
  assert_int_equal (nr_checkpoint_pod_devices (text, len, "0b9e8d7c-6a5b-4c3d-2e1f-0a9b8c7d6e5f",
                                               NULL, NULL, &d, &err),
                    0);
  assert_int_equal (d.n, 1);
  assert_int_equal (d.v[0].node, 0);
  nr_pod_devices_free (&d);
  assert_int_equal (nr_checkpoint_pod_devices (text, len, "no-such-pod", NULL, NULL, &d, &err), 0);
  assert_int_equal (d.n, 0);
}

static void
a_checkpoint_from_another_boot_gives_nothing (void **state)
{
  static const char text[] =
      "{\"Data\":{\"PodDeviceEntries\":[{\"PodUID\":\"p\",\"ContainerName\":\"c\","
      "\"ResourceName\":\"r\",\"DeviceIDs\":{\"1\":[\"x\"]},\"AllocResp\":\"\"}],"
      "\"RegisteredDevices\":{}},\"Checksum\":1,\"BootID\":\"boot-a\"}";
  struct nr_pod_devices d;
  nr_error_t err = NULL;

  assert_int_equal (
      nr_checkpoint_pod_devices (text, sizeof (text) - 1, "p", NULL, "boot-b", &d, &err), 0);
  assert_int_equal (d.n, 0);
  assert_int_equal (
      nr_checkpoint_pod_devices (text, sizeof (text) - 1, "p", NULL, "boot-a", &d, &err), 0);
  assert_int_equal (d.n, 1);
  nr_pod_devices_free (&d);
}

static void
what_is_not_kubelet_s_format_is_refused_in_one_line (void **state)
{
  static const char *const bad[] = {
    "{\"Data\":{\"PodDeviceEntries\":[{\"PodUID\":\"p\",\"Contai",
    "[]",
    "{\"Data\":[]}",
    "{\"Data\":{\"PodDeviceEntries\":{}}}",
    "{\"Data\":{\"PodDeviceEntries\":[{\"PodUID\":\"p\"}]}}",
    "{\"Data\":{\"PodDeviceEntries\":[{\"PodUID\":\"p\",\"ContainerName\":\"c\","
    "\"DeviceIDs\":[\"x\"]}]}}",
    "{\"Data\":{\"PodDeviceEntries\":[{\"PodUID\":\"p\",\"ContainerName\":\"c\","
    "\"DeviceIDs\":{\" 1\":[\"x\"]}}]}}",
    "{\"Data\":{\"PodDeviceEntries\":[{\"PodUID\":\"p\",\"ContainerName\":\"c\","
    "\"DeviceIDs\":{\"65536\":[\"x\"]}}]}}",
    "{\"Data\":{\"PodDeviceEntries\":[{\"PodUID\":\"p\",\"ContainerName\":\"c\","
    "\"DeviceIDs\":{\"1\":[7]}}]}}",
  };

  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      struct nr_pod_devices d;
      nr_error_t err = NULL;

      if (nr_checkpoint_pod_devices (bad[i], strlen (bad[i]), "p", NULL, NULL, &d, &err) == 0)
        fail_msg ("accepted: %s", bad[i]);
      assert_null (strchr (err->msg, '\n'));
      assert_int_equal (d.n, 0);
      nr_error_release (&err);
    }
}

static void
too_many_devices_are_refused (void **state)
{
  cleanup_free char *ids = xstrdup ("");
  cleanup_free char *text = NULL;
  struct nr_pod_devices d;
  nr_error_t err = NULL;

  for (int i = 0; i <= NR_CHECKPOINT_MAX_DEVICES; i++)
    {
      char *longer = xasprintf ("%s%s\"d%d\"", ids, i ? "," : "", i);
      free (ids);
      ids = longer;
    }
  text = xasprintf ("{\"Data\":{\"PodDeviceEntries\":[{\"PodUID\":\"p\",\"ContainerName\":\"c\","
                    "\"DeviceIDs\":{\"0\":[%s]}}]}}",
                    ids);
  assert_int_equal (nr_checkpoint_pod_devices (text, strlen (text), "p", NULL, NULL, &d, &err), -1);
  assert_non_null (strstr (err->msg, "more than 1024 devices"));
  nr_error_release (&err);
}

/* A spec of a sandbox or container of pod POD.  */
static yajl_val
spec_of (const char *type, const char *container)
{
  cleanup_free char *text =
      xasprintf ("{\"annotations\":{\"io.kubernetes.cri.container-type\":\"%s\","
                 "\"io.kubernetes.cri.sandbox-uid\":\"" POD "\"%s%s%s}}",
                 type, container ? ",\"io.kubernetes.cri.container-name\":\"" : "",
                 container ? container : "", container ? "\"" : "");
  yajl_val spec = NULL;

  assert_int_equal (nr_json_parse (text, strlen (text), &spec, NULL), 0);
  return spec;
}

static void
a_sandbox_gets_every_device_of_its_pod_as_hints (void **state)
{
  struct nr_config config = { 0 };
  cleanup_json yajl_val sandbox = spec_of ("sandbox", NULL);
  cleanup_json yajl_val app = spec_of ("container", "loader");
  cleanup_free char *tmpl = temp_dir_named ("nr-checkpoint");
  cleanup_free char *dir = NULL;
  cleanup_free char *cmd = NULL;
  struct nr_request req = { .id = "sb", .sandbox = true };

  dir = xasprintf ("%s/device-plugins", tmpl);
  assert_int_equal (mkdir (dir, 0700), 0);
  cmd = xasprintf ("cp '%s' '%s/'", FIXTURE, dir);
  assert_int_equal (system (cmd), 0);
  config.kubelet_root = tmpl;

  nr_kubelet_add_hints (sandbox, &config, NULL, &req);
  assert_int_equal (req.n_hints, 2);
  assert_int_equal (req.hints[0].node, 1);
  assert_string_equal (req.hints[0].source,
                       "kubelet device nvidia.com/gpu GPU-2f1c7d4e-8a9b-4c3d-b2a1-0e9f8d7c6b5a");
  nr_request_free (&req);

  /* A container: its own device, only when its spec brings none.  */
  req = (struct nr_request){ .id = "app" };
  nr_kubelet_add_hints (app, &config, NULL, &req);
  assert_int_equal (req.n_hints, 1);
  assert_string_equal (req.hints[0].source, "kubelet device example.com/nvme nvme1n1");
  nr_kubelet_add_hints (app, &config, NULL, &req);
  assert_int_equal (req.n_hints, 1);
  nr_request_free (&req);

  /* A damaged file: a warning, no hint.  */
  free (cmd);
  cmd = xasprintf ("printf '{\"Data\":' >'%s/kubelet_internal_checkpoint'", dir);
  assert_int_equal (system (cmd), 0);
  req = (struct nr_request){ .id = "sb", .sandbox = true };
  nr_kubelet_add_hints (sandbox, &config, NULL, &req);
  assert_int_equal (req.n_hints, 0);

  /* No kubelet at all: nothing.  */
  config.kubelet_root = (char *) "/nonexistent";
  nr_kubelet_add_hints (sandbox, &config, NULL, &req);
  assert_int_equal (req.n_hints, 0);
  free (cmd);
  cmd = xasprintf ("rm -rf '%s'", tmpl);
  assert_int_equal (system (cmd), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (a_pod_s_devices_are_read_with_their_nodes),
    cmocka_unit_test (a_checkpoint_from_another_boot_gives_nothing),
    cmocka_unit_test (what_is_not_kubelet_s_format_is_refused_in_one_line),
    cmocka_unit_test (too_many_devices_are_refused),
    cmocka_unit_test (a_sandbox_gets_every_device_of_its_pod_as_hints),
  };
  return cmocka_run_group_tests (tests, NULL, remove_temp_dirs);
}
