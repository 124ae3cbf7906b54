// What both CRI test clients (tests/containerd/cri/cri-pod.js and
// tests/node/cri/cri-node.js) share: the connection to runtime.v1's
// RuntimeService (cri-subset.proto) over a unix socket, one
// promise-returning function per RPC, and tearing a pod down.  The node
// suite copies this file, the proto and node_modules into its guest
// payload's cri/ directory.
'use strict';

const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

// connect(socket, {deadlineMs, waitForReady, proto}) -> rpc:
// rpc.RunPodSandbox(req) -> Promise of the response (an error's message
// starts with the RPC's name), rpc.timings ("Name seconds" per RPC made),
// rpc.close().  waitForReady: wait for the socket until the deadline (as
// across a containerd restart) instead of failing at once.
function connect(socket, options = {}) {
  const proto = options.proto || path.join(__dirname, 'cri-subset.proto');
  const def = protoLoader.loadSync(proto, {
    keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  });
  const runtime = grpc.loadPackageDefinition(def).runtime.v1;
  const client = new runtime.RuntimeService(`unix://${socket}`,
    grpc.credentials.createInsecure());
  const rpc = { timings: [] };
  for (const name of Object.keys(runtime.RuntimeService.service)) {
    rpc[name] = (req) => new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + options.deadlineMs);
      const started = Date.now();
      const callOptions = { deadline };
      if (options.waitForReady) callOptions.waitForReady = true;
      client[name](req, callOptions, (err, res) => {
        rpc.timings.push(`${name} ${((Date.now() - started) / 1000).toFixed(1)}`);
        if (err) {
          err.message = `${name}: ${err.details || err.message}`;
          reject(err);
        } else {
          resolve(res);
        }
      });
    });
  }
  rpc.close = () => client.close();
  return rpc;
}

// Stop and remove the pod SANDBOX_ID, its containers first, in kubelet's
// order.
async function removePod(rpc, sandboxId) {
  const { containers } = await rpc.ListContainers({
    filter: { pod_sandbox_id: sandboxId },
  });
  for (const c of containers) {
    await rpc.StopContainer({ container_id: c.id, timeout: '0' });
    await rpc.RemoveContainer({ container_id: c.id });
  }
  await rpc.StopPodSandbox({ pod_sandbox_id: sandboxId });
  await rpc.RemovePodSandbox({ pod_sandbox_id: sandboxId });
}

module.exports = { connect, removePod };
