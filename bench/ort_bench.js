// SPDX-License-Identifier: LGPL-2.1-or-later
//
// ONNX Runtime side of bench/bench.py:
//   node bench/ort_bench.js MODEL.onnx RUNS THREADS
// Creates a CPU session (THREADS intra-op threads, sequential execution, all graph
// optimisations), runs 2 warm-up and RUNS timed inferences on a fixed random input of
// the model's input shape, and prints the same lines as `yolov7-infer --bench`:
//   load_ms=<session creation> first_ms=<first run>
//   times_ms=<t1>,<t2>,...
//   median_ms=<float> min_ms=<float>
// onnxruntime-node comes from tests/node_modules, found by tests/ort/run_ort.js's loadOrt.

'use strict';

const path = require('path');

const { loadOrt } = require(path.join(__dirname, '..', 'tests', 'ort', 'run_ort.js'));

function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

async function main() {
  const [model, runsArg, threadsArg] = process.argv.slice(2);
  const runs = parseInt(runsArg || '10', 10), threads = parseInt(threadsArg || '2', 10);
  if (!model || !(runs > 0) || !(threads > 0)) {
    console.error('usage: node bench/ort_bench.js MODEL.onnx RUNS THREADS');
    process.exit(2);
  }
  const ort = loadOrt();
  let t0 = nowMs();
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const loadMs = nowMs() - t0;
  const name = session.inputNames[0];
  const meta = session.inputMetadata ? session.inputMetadata[0] : null;
  let shape = meta && meta.shape ? meta.shape.map((d) => (typeof d === 'number' ? d : 1)) : null;
  if (!shape) throw new Error('cannot read the input shape of ' + model);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    data[i] = (seed >>> 8) / 16777216;
  }
  const feeds = { [name]: new ort.Tensor('float32', data, shape) };
  const times = [];
  let firstMs = 0;
  for (let i = -2; i < runs; i++) {
    t0 = nowMs();
    const out = await session.run(feeds);
    const dt = nowMs() - t0;
    for (const k of Object.keys(out)) out[k].data;  // outputs are on the host already
    if (i === -2) firstMs = dt;
    if (i >= 0) times.push(dt);
  }
  console.log(`load_ms=${loadMs.toFixed(3)} first_ms=${firstMs.toFixed(3)}`);
  console.log('times_ms=' + times.map((t) => t.toFixed(3)).join(','));
  times.sort((a, b) => a - b);
  const m = times.length % 2 ? times[(times.length - 1) / 2]
                             : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
  console.log(`median_ms=${m.toFixed(3)} min_ms=${times[0].toFixed(3)}`);
}

main().catch((e) => {
  console.error('ort_bench: ' + (e && e.message ? e.message : e));
  process.exit(1);
});
