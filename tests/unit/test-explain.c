/* The pure parts of `topology` and `explain`: the driver information
   reader of devices.c, and what placement says each node offers and why
   it chose (nr_placement_offers, nr_placement_reason).  */
#include <config.h>

#include "placement-fixtures.h"

#include "devices.h"

/* NODES nodes of 4 CPUs and 8 GiB each, 21 apart.  */
static void
small_host (struct host *h, int nodes)
{
  host_alloc (h, nodes);
  for (int i = 0; i < nodes; i++)
    {
      h->topo.nodes[i].memory_total = (uint64_t) 8 * GiB;
      for (int c = 0; c < 4; c++)
        nr_set_add (&h->topo.nodes[i].cpus, i * 4 + c);
      for (int j = 0; j < nodes; j++)
        h->topo.distance[i * nodes + j] = i == j ? 10 : 21;
    }
}

static struct nr_placement_input
input_of (struct host *h)
{
  return (struct nr_placement_input){ .topo = &h->topo,
                                      .usage = h->usage,
                                      .req = &h->req,
                                      .config = &h->config,
                                      .pod_nodes = h->pod_nodes,
                                      .pod_reserved = h->pod_reserved };
}

static void
info_field_reads_the_nvidia_information_file (void **state)
{
  static const char info[] = "Model: \t\t NVIDIA A100-PCIE-40GB\nIRQ:   \t\t 120\n"
                             "GPU UUID: \t GPU-5eed0000-0000-4000-8000-000000000001\n"
                             "Bus Location: \t 0000:3b:00.0\nDevice Minor: \t 0\n"
                             "GPU Excluded:\t No  \r\n";
  char out[64];

  (void) state;
  assert_true (nr_device_info_field (info, "Model", out, sizeof (out)));
  assert_string_equal (out, "NVIDIA A100-PCIE-40GB");
  assert_true (nr_device_info_field (info, "GPU UUID", out, sizeof (out)));
  assert_string_equal (out, "GPU-5eed0000-0000-4000-8000-000000000001");
  assert_true (nr_device_info_field (info, "Device Minor", out, sizeof (out)));
  assert_string_equal (out, "0");
  assert_true (nr_device_info_field (info, "GPU Excluded", out, sizeof (out)));
  assert_string_equal (out, "No");
  /* A key must start its line and end at the colon.  */
  assert_false (nr_device_info_field (info, "Minor", out, sizeof (out)));
  assert_false (nr_device_info_field (info, "GPU", out, sizeof (out)));
  assert_false (nr_device_info_field ("", "Model", out, sizeof (out)));
  /* Truncated to the buffer, always terminated.  */
  assert_true (nr_device_info_field (info, "Model", out, 7));
  assert_string_equal (out, "NVIDIA");
  assert_true (nr_device_info_field ("Model:", "Model", out, sizeof (out)));
  assert_string_equal (out, "");
}

static void
offers_are_what_placement_counts (void **state)
{
  struct host h;
  struct nr_node_offer offers[2];
  struct nr_placement_input in;

  (void) state;
  small_host (&h, 2);
  h.usage[0].load = 1500;
  h.usage[0].memory = 3 * GiB;
  h.config.reserved_memory = GiB;
  nr_request_add_hint (&h.req, 1, "device /dev/nvme1n1");
  in = input_of (&h);
  nr_placement_offers (&in, offers);
  assert_int_equal (offers[0].node, 0);
  assert_true (offers[0].usable);
  assert_int_equal (offers[0].cpu_capacity, 4000);
  assert_int_equal (offers[0].cpu_free, 2500);
  assert_int_equal (offers[0].mem_free, 4 * GiB);
  assert_int_equal (offers[0].hints, 0);
  assert_int_equal (offers[1].cpu_free, 4000);
  assert_int_equal (offers[1].mem_free, 7 * GiB);
  assert_int_equal (offers[1].hints, 1);
  /* Nobody shares node 1's pool: all four CPUs could be held.  */
  assert_int_equal (offers[1].exclusive_free, 4);
  h.usage[1].sharing = 1;
  nr_placement_offers (&in, offers);
  assert_int_equal (offers[1].exclusive_free, 3);
  host_free (&h);
}

/* Place on H and return the reason, which the caller frees.  */
static char *
reason_of (struct host *h, const char *nodes)
{
  struct nr_placement p;
  struct nr_placement_input in = input_of (h);
  char *reason;

  place (h, &p);
  assert_set_equal (p.nodes, nodes);
  reason = nr_placement_reason (&in, &p);
  nr_placement_free (&p);
  return reason;
}

static void
the_reason_names_what_decided (void **state)
{
  struct host h;

  (void) state;
  small_host (&h, 2);
  {
    cleanup_free char *r = reason_of (&h, "0");
    assert_non_null (strstr (r, "most free room"));
  }
  nr_request_add_hint (&h.req, 1, "volume /data (nvme1n1)");
  {
    cleanup_free char *r = reason_of (&h, "1");
    assert_string_equal (r, "node(s) 1 hold its devices and volumes, and it fits there");
  }
  h.pod_nodes = set_of ("0");
  h.req.pod = xstrdup ("podA");
  {
    cleanup_free char *r = reason_of (&h, "0");
    assert_string_equal (r, "its pod podA already holds node(s) 0");
  }
  h.req.nodes_wanted = set_of ("1");
  {
    cleanup_free char *r = reason_of (&h, "1");
    assert_non_null (strstr (r, "annotation numa-runtime.io/nodes"));
  }
  host_free (&h);
}

static void
a_container_too_big_for_one_node_says_so (void **state)
{
  struct host h;

  (void) state;
  small_host (&h, 2);
  h.req.millicpus = 6000;
  {
    cleanup_free char *r = reason_of (&h, "0-1");
    assert_non_null (strstr (r, "too big for one node"));
  }
  host_free (&h);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (info_field_reads_the_nvidia_information_file),
    cmocka_unit_test (offers_are_what_placement_counts),
    cmocka_unit_test (the_reason_names_what_decided),
    cmocka_unit_test (a_container_too_big_for_one_node_says_so),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
