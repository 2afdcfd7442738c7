// The ONNX Runtime peer of bench/lite_bench.sh: ONNX Runtime (npm's onnxruntime-node, CPU provider, through
// NODE_PATH) running nabla's float32 ONNX export of the same trained model, timed as lite_bench times nabla:
// batch-1 latency (median over 2000 calls after 200) and batch-256 throughput (median over passes over 39
// batches after one warm-up pass). Inputs are uniform random in [0, 1) (the cost does not depend on the values);
// ORT's per-call overhead through Node's binding is part of its latency, as for any Node user of ORT.
//   NODE_PATH=.node/node_modules node bench/lite_ort.cjs --model DIR/mlp.onnx --kind mlp|cnn --threads T
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const median = (v) => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const now = () => Number(process.hrtime.bigint()) / 1e9;
const WARMUP = 200, CALLS = 2000, BATCH = 256, BATCHES = 39;

async function main() {
  const model = arg('--model'), kind = arg('--kind', 'mlp'), threads = Number(arg('--threads', 1));
  const sample = kind === 'mlp' ? [28, 28] : [28, 28, 1];
  const per = 784;
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const input = session.inputNames[0];
  const random = (n) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = Math.random(); return a; };
  const rows = random((WARMUP + CALLS) * per);
  const latency = [];
  for (let i = 0; i < WARMUP + CALLS; i++) {
    const x = new ort.Tensor('float32', rows.subarray(i * per, (i + 1) * per), [1, ...sample]);
    const t0 = now();
    await session.run({ [input]: x });
    if (i >= WARMUP) latency.push(1e3 * (now() - t0));
  }
  const data = random(BATCH * BATCHES * per);
  const batches = [];
  for (let b = 0; b < BATCHES; b++)
    batches.push(new ort.Tensor('float32', data.subarray(b * BATCH * per, (b + 1) * BATCH * per), [BATCH, ...sample]));
  const passes = kind === 'mlp' ? 20 : 5;
  const sps = [];
  for (let pass = 0; pass <= passes; pass++) {
    const t0 = now();
    for (const b of batches) await session.run({ [input]: b });
    if (pass > 0) sps.push(BATCH * BATCHES / (now() - t0));
  }
  const loadavg = Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  console.log(JSON.stringify({ phase: 'time', framework: 'onnxruntime', format: 'fp32', model: kind, threads,
    ort_version: require('onnxruntime-node/package.json').version,
    latency_ms_median: median(latency), throughput_samples_per_s: median(sps), loadavg }));
}
main().catch((e) => { console.error(e); process.exit(1); });
