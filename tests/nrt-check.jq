# nrt-check.jq: a NodeResourceTopology object (topology.node.k8s.io/v1alpha2)
# checked against the API's Go types (noderesourcetopology-api,
# pkg/apis/topology/v1alpha2), field by field, as a strict decoder would:
#
#   NodeResourceTopology  TypeMeta (apiVersion, kind), metadata ObjectMeta,
#                         zones ZoneList (required), attributes AttributeList
#                         (omitempty), topologyPolicies []string (deprecated,
#                         omitempty)
#   Zone                  name, type (required strings), parent (omitempty
#                         string), costs CostList, attributes AttributeList,
#                         resources ResourceInfoList (all omitempty)
#   CostInfo              name string, value int64
#   AttributeInfo         name string, value string
#   ResourceInfo          name string; capacity, allocatable, available
#                         resource.Quantity (required: no omitempty)
#
# Prints every problem found, then true when there is none (jq -e).

def quantity_re: "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?$";

# problems under PATH (a string) when . is not an object with exactly the
# keys REQUIRED + some of OPTIONAL
def keys_ok($path; $required; $optional):
  if type != "object" then ["\($path): not an object"]
  else
    ([$required[] as $k | select(has($k) | not) | "\($path): missing \($k)"])
    + ([keys[] as $k | select(($required + $optional) | index($k) | not) | "\($path): unknown field \($k)"])
  end;

def string_at($path; $k): if has($k) and (.[$k] | type) != "string" then ["\($path).\($k): not a string"] else [] end;
def list_at($path; $k): if has($k) and (.[$k] | type) != "array" then ["\($path).\($k): not a list"] else [] end;

def attribute_problems($path):
  keys_ok($path; ["name", "value"]; []) + string_at($path; "name") + string_at($path; "value");

def cost_problems($path):
  keys_ok($path; ["name", "value"]; []) + string_at($path; "name")
  + (if (.value | type) != "number" or (.value | floor) != .value then ["\($path).value: not an int64"] else [] end);

def resource_problems($path):
  keys_ok($path; ["name", "capacity", "allocatable", "available"]; []) + string_at($path; "name")
  + ([("capacity", "allocatable", "available") as $q
      | select(has($q))
      | select((.[$q] | type) != "string" or (.[$q] | test(quantity_re) | not))
      | "\($path).\($q): not a Kubernetes quantity string: \(.[$q] | tojson)"]);

def zone_problems($path):
  keys_ok($path; ["name", "type"]; ["parent", "costs", "attributes", "resources"])
  + string_at($path; "name") + string_at($path; "type") + string_at($path; "parent")
  + list_at($path; "costs") + list_at($path; "attributes") + list_at($path; "resources")
  + ([(.costs // [] | to_entries[]) | .key as $i | .value | cost_problems("\($path).costs[\($i)]")[]])
  + ([(.attributes // [] | to_entries[]) | .key as $i | .value | attribute_problems("\($path).attributes[\($i)]")[]])
  + ([(.resources // [] | to_entries[]) | .key as $i | .value | resource_problems("\($path).resources[\($i)]")[]]);

def nrt_problems:
  keys_ok("."; ["apiVersion", "kind", "metadata", "zones"]; ["attributes", "topologyPolicies"])
  + (if .apiVersion != "topology.node.k8s.io/v1alpha2" then [".apiVersion: \(.apiVersion | tojson)"] else [] end)
  + (if .kind != "NodeResourceTopology" then [".kind: \(.kind | tojson)"] else [] end)
  + (if (.metadata | type) != "object" or (.metadata.name | type) != "string" or (.metadata.name | length) == 0
     then [".metadata.name: missing"] else [] end)
  + list_at("."; "zones") + list_at("."; "attributes") + list_at("."; "topologyPolicies")
  + ([(.topologyPolicies // [])[] | select(type != "string") | ".topologyPolicies: \(tojson) is not a string"])
  + ([(.attributes // [] | to_entries[]) | .key as $i | .value | attribute_problems(".attributes[\($i)]")[]])
  + ([(.zones // [] | to_entries[]) | .key as $i | .value | zone_problems(".zones[\($i)]")[]])
  # what scheduler-plugins relies on beyond the types: unique zone names,
  # costs naming zones, the policy and scope attributes in kubelet's words
  + ((.zones // []) | map(.name) as $names
     | (if ($names | unique | length) != ($names | length) then ["zone names are not unique"] else [] end)
       + [.[] | .name as $z | (.costs // [])[] | select(.name as $n | $names | index($n) | not)
          | "zone \($z): cost to unknown zone \(.name)"])
  + ((.attributes // []) | from_entries? // {} |
     (if (.topologyManagerPolicy // "") | IN("none", "best-effort", "restricted", "single-numa-node") | not
      then ["attribute topologyManagerPolicy: \(.topologyManagerPolicy | tojson)"] else [] end)
     + (if (.topologyManagerScope // "") | IN("container", "pod") | not
        then ["attribute topologyManagerScope: \(.topologyManagerScope | tojson)"] else [] end));

nrt_problems as $p | ($p[]), ($p | length == 0)
