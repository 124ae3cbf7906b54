#!/usr/bin/env node
// The node suite's CRI client: drives containerd's CRI service the way
// kubelet does, one pod (sandbox and any number of containers) per call,
// so that a check costs one Node.js start-up, not one per RPC.
//
//   cri-node.js up SPEC          RunPodSandbox, then CreateContainer and
//                                StartContainer for each container in order;
//                                prints {"sandbox_id", "containers": {name: id}}.
//                                On failure the pod is removed again and the
//                                RPC's error is printed on stderr, one line.
//   cri-node.js add ID SPEC      CreateContainer and StartContainer for SPEC's
//                                containers in the existing pod ID (SPEC as
//                                for up, same uid); prints {"containers"}.
//   cri-node.js down ID...       stop and remove each pod (containers first)
//   cri-node.js down-all         every pod
//   cri-node.js update CID RES   UpdateContainerResources with RES
//                                (LinuxContainerResources as JSON)
//   cri-node.js status CID       ContainerStatus as JSON
//   cri-node.js version          Version as JSON
//   cri-node.js serve            the same commands, one JSON array per stdin
//                                line, one JSON answer per stdout line
//
// SPEC is JSON (or @FILE holding it):
//   { "name": "p", "uid": "u", "handler": "numa",
//     "cgroup_parent": "kubepods-burstable-podu.slice",
//     "annotations": {}, "resources": {LinuxContainerResources},
//     "containers": [ { "name": "c", "image": "...", "command": ["..."],
//                       "env": {"K": "V"}, "annotations": {},
//                       "mounts": [ {"host": "/h", "container": "/c"} ],
//                       "devices": [ {"host": "/dev/x", "container": "/dev/y"} ],
//                       "resources": {LinuxContainerResources} } ] }
// Environment: CRI_SOCKET (default /run/containerd/containerd.sock),
// CRI_IMAGE (a container's default image), CRI_TIMEOUT (seconds per RPC).
'use strict';

const fs = require('node:fs');
const path = require('node:path');

// The shared CRI connection (cri-client.js, with the proto and the gRPC
// modules) sits in tests/containerd/cri in the tree, and next to this file
// in the guest's payload.
const CLIENT_DIR = fs.existsSync(path.join(__dirname, 'cri-client.js')) ? __dirname
  : path.join(__dirname, '..', '..', 'containerd', 'cri');
const { connect, removePod } = require(path.join(CLIENT_DIR, 'cri-client.js'));

const SOCKET = process.env.CRI_SOCKET || '/run/containerd/containerd.sock';
const DEADLINE_MS = Number(process.env.CRI_TIMEOUT || 180) * 1000;

// A usage error: exit status 2 (1 for an RPC's error).
class UsageError extends Error {}
function die(msg) {
  throw new UsageError(msg);
}
function oneLine(msg) {
  return msg.replace(/\s*\n\s*/g, ' ');
}

// kubelet's int64 fields travel as strings with longs: String.
function resources(r) {
  const out = {};
  for (const [k, v] of Object.entries(r || {})) {
    out[k] = typeof v === 'number' ? String(v) : v;
  }
  return out;
}

const hostNamespaces = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' };

function sandboxConfig(spec) {
  const uid = spec.uid || `${spec.name}-${process.pid}`;
  return {
    metadata: { name: spec.name, uid, namespace: 'numa-node-test', attempt: 0 },
    hostname: '', // host network: the pod keeps the node's hostname
    log_directory: '',
    labels: { 'numa-runtime.io/test-pod': spec.name },
    annotations: spec.annotations || {},
    linux: {
      cgroup_parent: spec.cgroup_parent || '',
      security_context: { namespace_options: hostNamespaces },
      resources: resources(spec.resources),
    },
  };
}

function containerConfig(c) {
  const image = c.image || process.env.CRI_IMAGE;
  if (!image) die(`container ${c.name}: no image (set CRI_IMAGE)`);
  return {
    metadata: { name: c.name, attempt: 0 },
    image: { image },
    command: c.command || [],
    envs: Object.entries(c.env || {}).map(([key, value]) => ({ key, value })),
    mounts: (c.mounts || []).map((m) => ({
      container_path: m.container, host_path: m.host, readonly: !!m.readonly,
    })),
    devices: (c.devices || []).map((d) => ({
      container_path: d.container, host_path: d.host, permissions: d.permissions || 'rw',
    })),
    labels: { 'numa-runtime.io/test-container': c.name },
    annotations: c.annotations || {},
    log_path: '',
    linux: {
      resources: resources(c.resources),
      security_context: { namespace_options: hostNamespaces },
    },
  };
}

async function addContainers(rpc, sandboxId, spec, config) {
  const ids = {};
  for (const c of spec.containers || []) {
    const { container_id: id } = await rpc.CreateContainer({
      pod_sandbox_id: sandboxId, sandbox_config: config, config: containerConfig(c),
    });
    ids[c.name] = id;
    await rpc.StartContainer({ container_id: id });
  }
  return ids;
}

async function up(rpc, spec) {
  if (!spec.name) die('the pod spec needs a name');
  const config = sandboxConfig(spec);
  const { pod_sandbox_id: sandboxId } = await rpc.RunPodSandbox({
    config, runtime_handler: spec.handler || 'numa',
  });
  let ids;
  try {
    ids = await addContainers(rpc, sandboxId, spec, config);
  } catch (err) {
    await removePod(rpc, sandboxId).catch(() => {});
    throw err;
  }
  return { sandbox_id: sandboxId, containers: ids, timings: rpc.timings };
}

function readSpec(arg) {
  if (!arg) die('up needs a pod spec');
  const text = arg.startsWith('@') ? fs.readFileSync(arg.slice(1), 'utf8') : arg;
  try {
    return JSON.parse(text);
  } catch (err) {
    return die(`the pod spec is not JSON: ${err.message}`);
  }
}

async function run(rpc, command, args) {
  rpc.timings.length = 0;
  switch (command) {
    case 'up':
      return up(rpc, readSpec(args[0]));
    case 'add': {
      const spec = readSpec(args[1]);
      return { containers: await addContainers(rpc, args[0], spec, sandboxConfig(spec)) };
    }
    case 'down':
      for (const id of args) await removePod(rpc, id);
      return { removed: args };
    case 'down-all': {
      const { items } = await rpc.ListPodSandbox({});
      for (const pod of items) await removePod(rpc, pod.id);
      return { removed: items.map((p) => p.id) };
    }
    case 'update':
      if (args.length !== 2) die('usage: update CONTAINER_ID RESOURCES_JSON');
      await rpc.UpdateContainerResources({
        container_id: args[0], linux: resources(JSON.parse(args[1])),
      });
      return { updated: args[0] };
    case 'status':
      return rpc.ContainerStatus({ container_id: args[0] });
    case 'version':
      return rpc.Version({ version: 'v1' });
    default:
      return die(`unknown command '${command || ''}' (up, add, down, down-all, update, status, version, serve)`);
  }
}

// serve: one request per stdin line, a JSON array [command, args...]; one
// answer per stdout line, {"ok": true, "out": ANSWER} or {"ok": false,
// "status": 1|2, "error": "one line"}.  Saves a Node.js start per call,
// which costs seconds under TCG.
async function serve(rpc) {
  const lines = require('node:readline').createInterface({ input: process.stdin });
  for await (const line of lines) {
    let reply;
    try {
      const [command, ...args] = JSON.parse(line);
      reply = { ok: true, out: await run(rpc, command, args) };
    } catch (err) {
      reply = { ok: false, status: err instanceof UsageError ? 2 : 1, error: oneLine(err.message) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  }
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  const rpc = connect(SOCKET, {
    deadlineMs: DEADLINE_MS, waitForReady: true, proto: process.env.CRI_PROTO,
  });
  try {
    if (command === 'serve') {
      await serve(rpc);
    } else {
      process.stdout.write(`${JSON.stringify(await run(rpc, command, args))}\n`);
    }
  } finally {
    rpc.close();
  }
}

main().catch((err) => {
  process.stderr.write(`cri-node.js: ${oneLine(err.message)}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
