/* Placement of a pod whose containers will hold whole CPUs exclusively.
   kubelet creates its sandbox first, charged the pod's CPUs; the sandbox
   decides the pod's node and holds no CPU itself.  Such a sandbox keeps no
   CPU of its node shared (its pause process needs none), and it chooses
   its node as its exclusive containers would.  Each test reads as one
   rule.  */
#include <config.h>

#include "placement-smt-host.h"

#include "resolve.h"

/* Record placement P of the host's request as create does: its entry
   says whether it is the sandbox of a pod holding CPUs exclusively.  */
static void
charge_as_create (struct host *h, const struct nr_placement *p)
{
  struct nr_resolved resolved;
  struct nr_ledger_entry e = { .nodes = p->nodes,
                               .exclusive = p->exclusive,
                               .load = p->load,
                               .millicpus = p->millicpus,
                               .memory = p->memory,
                               .sandbox = h->req.sandbox };

  nr_request_resolve (&h->req, &h->config, &resolved);
  e.exclusive_pod = resolved.exclusive_pod_cpus > 0;
  nr_usage_account (h->usage, (size_t) h->topo.n_nodes, &e, +1);
}

/* One cache group per node: node I's CPUs.  */
static void
one_group_a_node (struct host *h)
{
  h->topo.n_llc = h->topo.n_nodes;
  h->topo.llc = xmalloc0 ((size_t) h->topo.n_llc * sizeof (nr_set_t));
  h->topo.llc_node = xmalloc0 ((size_t) h->topo.n_llc * sizeof (int));
  for (int i = 0; i < h->topo.n_nodes; i++)
    {
      h->topo.llc[i] = h->topo.nodes[i].cpus;
      h->topo.llc_node[i] = i;
    }
}

static void
the_sandbox_of_an_exclusive_pod_keeps_no_cpu_shared (void **state)
{
  struct host h;
  struct nr_placement p;

  /* One node of four CPUs; a pod of four whole CPUs.  */
  host_init (&h, 1, 4, 16);
  h.config.cpu_exclusive = true;
  h.config.policy = NR_POLICY_SINGLE_NUMA_NODE;
  h.req.sandbox = true;
  h.req.millicpus = 4000;
  place (&h, &p);
  assert_set_equal (p.exclusive, "");
  charge_as_create (&h, &p);
  nr_placement_free (&p);
  assert_int_equal (h.usage[0].containers, 1);
  assert_int_equal (h.usage[0].sharing, 0);

  /* Its container, prepaid by the sandbox, gets all four.  Were the
     sandbox a sharer, only three could be held.  */
  h.req.sandbox = false;
  h.pod_nodes = set_of ("0");
  h.pod_reserved = true;
  place (&h, &p);
  assert_set_equal (p.exclusive, "0-3");
  assert_null (p.warning);
  nr_placement_free (&p);
  host_free (&h);
}

static void
the_sandbox_of_a_pod_that_shares_keeps_a_cpu_shared (void **state)
{
  struct host h;
  struct nr_placement p;

  host_init (&h, 1, 4, 16);
  h.config.cpu_exclusive = true;
  h.req.sandbox = true;
  h.req.millicpus = 1500;
  place (&h, &p);
  charge_as_create (&h, &p);
  nr_placement_free (&p);
  assert_int_equal (h.usage[0].sharing, 1);

  /* Whole CPUs, but not held exclusively here: it shares too.  */
  host_free (&h);
  host_init (&h, 1, 4, 16);
  h.req.sandbox = true;
  h.req.millicpus = 2000;
  place (&h, &p);
  charge_as_create (&h, &p);
  nr_placement_free (&p);
  assert_int_equal (h.usage[0].sharing, 1);
  host_free (&h);
}

static void
the_sandbox_of_an_exclusive_pod_goes_where_its_containers_would (void **state)
{
  struct host h;
  struct nr_placement p;

  /* Two nodes of eight CPUs, one cache group each; node 0 holds 0-1.  An
     exclusive container of four goes to the fuller node, keeping node 1's
     group whole; so does the sandbox of a pod of four exclusive CPUs.  A
     pod that shares takes the roomier node, as before.  */
  host_init (&h, 2, 8, 16);
  one_group_a_node (&h);
  h.config.cpu_exclusive = true;
  hold (&h, 0, "0-1");
  h.req.millicpus = 4000;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  nr_placement_free (&p);

  h.req.sandbox = true;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  assert_set_equal (p.exclusive, "");
  nr_placement_free (&p);

  h.req.millicpus = 3500;
  place (&h, &p);
  assert_set_equal (p.nodes, "1");
  nr_placement_free (&p);
  host_free (&h);
}

static void
a_sandbox_is_never_refused_for_its_pod_s_exclusive_cpus (void **state)
{
  struct host h;
  struct nr_placement p;

  /* Node 0 holds 0-3 and keeps a CPU for a container that shares it
     (prepaid: no load): three CPUs could be held, the pod asks four.  Its
     containers may still share (say 1.5 and 2.5 CPUs), so the sandbox is
     placed on what it charges, even under single-numa-node.  */
  host_init (&h, 1, 8, 16);
  h.config.cpu_exclusive = true;
  h.config.policy = NR_POLICY_SINGLE_NUMA_NODE;
  hold (&h, 0, "0-3");
  h.usage[0].containers = 2;
  h.usage[0].sharing = 1;
  h.req.sandbox = true;
  h.req.millicpus = 4000;
  place (&h, &p);
  assert_set_equal (p.nodes, "0");
  nr_placement_free (&p);
  host_free (&h);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (the_sandbox_of_an_exclusive_pod_keeps_no_cpu_shared),
    cmocka_unit_test (the_sandbox_of_a_pod_that_shares_keeps_a_cpu_shared),
    cmocka_unit_test (the_sandbox_of_an_exclusive_pod_goes_where_its_containers_would),
    cmocka_unit_test (a_sandbox_is_never_refused_for_its_pod_s_exclusive_cpus),
  };
  return cmocka_run_group_tests_name ("placement-exclusive-pod", tests, NULL, NULL);
}
