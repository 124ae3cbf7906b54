#!/usr/bin/env node
// A tiny CRI client: runs one host-network pod through a runtime handler the
// way kubelet would (RunPodSandbox, CreateContainer, StartContainer, then
// StopContainer, RemoveContainer, StopPodSandbox, RemovePodSandbox).
//
// The pod's only container writes NUMA_NODE and its Cpus/Mems_allowed_list
// to result.txt in a host directory mounted at /out, then sleeps until it is
// stopped.
//
//   cri-pod.js up --socket SOCK --image IMG --out DIR [--handler numa]
//              [--annotation K=V]... [--cgroup-parent /P] [--log-dir DIR]
//              [--name NAME] [--timeout SECONDS]
//       start the pod; print {"sandbox_id", "container_id", "result"} as JSON
//   cri-pod.js down --socket SOCK --sandbox ID
//       stop and remove the pod's containers, then the pod
//   cri-pod.js run ...same options as up...
//       up, then down; print the same JSON as up
//   cri-pod.js down-all --socket SOCK
//       remove every pod (test cleanup)
//   cri-pod.js version --socket SOCK
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { connect, removePod } = require('./cri-client.js');

const RPC_DEADLINE_MS = 120 * 1000;

function usage(msg) {
  process.stderr.write(`cri-pod.js: ${msg}\n` +
    'usage: cri-pod.js up|run|down|down-all|version --socket SOCK [options]\n');
  process.exit(2);
}

function parseAnnotations(list) {
  const out = {};
  for (const item of list || []) {
    const eq = item.indexOf('=');
    if (eq <= 0) usage(`--annotation wants KEY=VALUE, got '${item}'`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The container's program: report placement, then idle until stopped.
const PROBE_SCRIPT = [
  '{ echo "NUMA_NODE=${NUMA_NODE:-}";',
  '  grep -E "^(Cpus|Mems)_allowed_list" /proc/self/status; } > /out/result.tmp',
  'mv /out/result.tmp /out/result.txt',
  'cat /out/result.txt',
  'trap "exit 0" TERM INT',
  'while :; do sleep 1; done',
].join('\n');

function parseResult(text) {
  const result = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_]+)[=:]\s*(.*)$/.exec(line);
    if (m) result[m[1]] = m[2].trim();
  }
  return result;
}

function sandboxConfig(opts) {
  const name = opts.name;
  const uid = `${name}-${process.pid}-${Date.now()}`;
  const logDir = opts['log-dir'] || '';
  if (logDir) fs.mkdirSync(logDir, { recursive: true });
  const nodeNamespaces = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' };
  return {
    metadata: { name, uid, namespace: 'numa-test', attempt: 0 },
    hostname: '', // host network: the pod keeps the node's hostname
    log_directory: logDir,
    labels: { 'numa-runtime.io/test-pod': name },
    annotations: parseAnnotations(opts.annotation),
    linux: {
      cgroup_parent: opts['cgroup-parent'] || '',
      security_context: { namespace_options: nodeNamespaces },
      resources: containerResources(),
    },
  };
}

// Like a pod with requests cpu 500m / memory 64Mi and limits cpu 1 / 64Mi.
function containerResources() {
  return {
    cpu_period: '100000',
    cpu_quota: '100000',
    cpu_shares: '512',
    memory_limit_in_bytes: String(64 * 1024 * 1024),
  };
}

async function up(rpc, opts) {
  if (!opts.image) usage('--image is required');
  if (!opts.out) usage('--out is required');
  fs.mkdirSync(opts.out, { recursive: true });
  const resultFile = path.join(opts.out, 'result.txt');
  fs.rmSync(resultFile, { force: true });

  const config = sandboxConfig(opts);
  const { pod_sandbox_id: sandboxId } = await rpc.RunPodSandbox({
    config, runtime_handler: opts.handler,
  });
  try {
    const { container_id: containerId } = await rpc.CreateContainer({
      pod_sandbox_id: sandboxId,
      sandbox_config: config,
      config: {
        metadata: { name: 'probe', attempt: 0 },
        image: { image: opts.image },
        command: ['/bin/sh', '-c', PROBE_SCRIPT],
        mounts: [{ container_path: '/out', host_path: path.resolve(opts.out) }],
        log_path: config.log_directory ? 'probe.log' : '',
        labels: { 'numa-runtime.io/test-container': 'probe' },
        linux: {
          resources: containerResources(),
          security_context: {
            namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' },
          },
        },
      },
    });
    await rpc.StartContainer({ container_id: containerId });

    const waitUntil = Date.now() + Number(opts.timeout) * 1000;
    while (!fs.existsSync(resultFile)) {
      if (Date.now() > waitUntil) {
        const { status } = await rpc.ContainerStatus({ container_id: containerId });
        throw new Error(`container ${containerId} wrote no result within ` +
          `${opts.timeout}s; status ${JSON.stringify(status)}`);
      }
      await sleep(100);
    }
    return {
      sandbox_id: sandboxId,
      container_id: containerId,
      result: parseResult(fs.readFileSync(resultFile, 'utf8')),
    };
  } catch (err) {
    if (!opts['keep-on-error']) await removePod(rpc, sandboxId).catch(() => {});
    err.sandboxId = sandboxId;
    throw err;
  }
}

async function downAll(rpc) {
  const { items } = await rpc.ListPodSandbox({});
  const errors = [];
  for (const pod of items) {
    await removePod(rpc, pod.id).catch((err) => errors.push(err.message));
  }
  if (errors.length) throw new Error(errors.join('; '));
  return { removed: items.map((p) => p.id) };
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const { values: opts } = parseArgs({
    args: rest,
    options: {
      socket: { type: 'string' },
      handler: { type: 'string', default: 'numa' },
      image: { type: 'string' },
      out: { type: 'string' },
      annotation: { type: 'string', multiple: true },
      'cgroup-parent': { type: 'string' },
      'log-dir': { type: 'string' },
      name: { type: 'string', default: 'numa-probe' },
      sandbox: { type: 'string' },
      timeout: { type: 'string', default: '30' },
      'keep-on-error': { type: 'boolean', default: false },
    },
  });
  if (!opts.socket) usage('--socket is required');
  const rpc = connect(opts.socket, { deadlineMs: RPC_DEADLINE_MS });
  try {
    let answer;
    switch (command) {
      case 'version':
        answer = await rpc.Version({ version: 'v1' });
        break;
      case 'up':
        answer = await up(rpc, opts);
        break;
      case 'run':
        answer = await up(rpc, opts);
        await removePod(rpc, answer.sandbox_id);
        break;
      case 'down':
        if (!opts.sandbox) usage('--sandbox is required');
        await removePod(rpc, opts.sandbox);
        answer = { removed: [opts.sandbox] };
        break;
      case 'down-all':
        answer = await downAll(rpc);
        break;
      default:
        usage(`unknown command '${command || ''}'`);
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  } finally {
    rpc.close();
  }
}

main().catch((err) => {
  process.stderr.write(`cri-pod.js: ${err.message}\n`);
  process.exit(1);
});
