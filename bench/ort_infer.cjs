// W4 side by side with ONNX Runtime: inference of the reference MNIST MLP, nabla (mnist_infer_bench, its
// Model::predict_on_batch) vs ONNX Runtime 1.30's CPU provider (npm's onnxruntime-node, from .node/) running the
// same model exported by save_model(model, "m.onnx") (export_mlp_onnx). One thread each (NABLA_NUM_THREADS=1; ORT
// intra-op and inter-op threads 1), the same protocol as mnist_infer_bench:
// - batch-1 latency: median and p99 over 20000 calls after 1000 warm-up calls, each on its own row;
// - batch-256 throughput: samples/s, the median of 50 passes over 39 batches after one warm-up pass.
// Inputs are made before the clock starts. ORT's rows are uniform random in [0, 1) (nabla's are MNIST test rows;
// the cost of the MLP does not depend on the values). ORT is called through Node's binding (session.run returns a
// promise), whose per-call overhead is part of its batch-1 latency: what a Node user of ORT gets.
// Runs alternate nabla, ORT, nabla, ORT... (--repeats, default 3) and the medians are compared as ratios
// "how many times better nabla is": ORT time / nabla time for latency, nabla / ORT samples/s for throughput.
//   NODE_PATH=.node/node_modules node bench/ort_infer.cjs [--bin build/release/bench] [--repeats 3]
// One ONNX Runtime run alone, for bench/side_by_side.py (its W4 "onnxruntime" side), printing one JSON line:
//   NODE_PATH=.node/node_modules node bench/ort_infer.cjs --side ort --threads N --model mlp.onnx
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const ort = require('onnxruntime-node');

const WARMUP = 1000, LATENCY_CALLS = 20000, PASSES = 50, BATCH = 256, BATCHES = 39;

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const root = path.resolve(__dirname, '..');
const bin = path.resolve(arg('--bin', fs.existsSync(path.join(root, 'build/bench/bench/mnist_infer_bench'))
  ? path.join(root, 'build/bench/bench') : path.join(root, 'build/release/bench')));
const repeats = Number(arg('--repeats', 3));

const median = (v) => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const quantile = (v, q) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
const now = () => Number(process.hrtime.bigint()) / 1e9;

function randomRows(n) {
  const a = new Float32Array(n * 28 * 28);
  for (let i = 0; i < a.length; i++) a[i] = Math.random();
  return a;
}

async function ortRun(session) {
  const input = session.inputNames[0];
  const rows = [];
  const data = randomRows(WARMUP + LATENCY_CALLS);
  for (let i = 0; i < WARMUP + LATENCY_CALLS; i++)
    rows.push(new ort.Tensor('float32', data.subarray(i * 784, (i + 1) * 784), [1, 28, 28]));
  const latency = [];
  for (let i = 0; i < rows.length; i++) {
    const t0 = now();
    await session.run({ [input]: rows[i] });
    if (i >= WARMUP) latency.push(1e3 * (now() - t0));
  }
  const bdata = randomRows(BATCH * BATCHES);
  const batches = [];
  for (let b = 0; b < BATCHES; b++)
    batches.push(new ort.Tensor('float32', bdata.subarray(b * BATCH * 784, (b + 1) * BATCH * 784), [BATCH, 28, 28]));
  const sps = [];
  for (let pass = 0; pass <= PASSES; pass++) {
    const t0 = now();
    for (const b of batches) await session.run({ [input]: b });
    if (pass > 0) sps.push(BATCH * BATCHES / (now() - t0));
  }
  return { latency_ms_median: median(latency), latency_ms_p99: quantile(latency, 0.99), throughput_samples_per_s: median(sps) };
}

function nablaRun() {
  const out = execFileSync(path.join(bin, 'mnist_infer_bench'), ['--batch-size', String(BATCH)],
                           { env: { ...process.env, NABLA_NUM_THREADS: '1' }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

async function ortAlone() {
  const threads = Number(arg('--threads', 1));
  const session = await ort.InferenceSession.create(arg('--model'), {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const r = await ortRun(session);
  console.log(JSON.stringify({ framework: 'onnxruntime', workload: 'mnist_mlp_inference', threads, epochs: 0,
                               batch_size: BATCH, latency_calls: LATENCY_CALLS, ...r,
                               ort_version: require('onnxruntime-node/package.json').version }));
}

async function main() {
  if (arg('--side') === 'ort') return ortAlone();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nabla_ort_infer_'));
  const model = path.join(work, 'mlp.onnx');
  execFileSync(path.join(bin, 'export_mlp_onnx'), [model], { stdio: 'inherit' });
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const runs = { nabla: [], ort: [] };
  for (let r = 0; r < repeats; r++) {
    runs.nabla.push(nablaRun());
    runs.ort.push(await ortRun(session));
    console.log(`repeat ${r + 1}/${repeats}: nabla ${JSON.stringify(runs.nabla[r])}`);
    console.log(`repeat ${r + 1}/${repeats}: ort   ${JSON.stringify(runs.ort[r])}`);
  }
  const m = (side, key) => median(runs[side].map((x) => x[key]));
  const rows = [
    ['batch-1 latency, median (ms)', 'latency_ms_median', true],
    ['batch-1 latency, p99 (ms)', 'latency_ms_p99', true],
    [`batch-${BATCH} throughput (samples/s)`, 'throughput_samples_per_s', false],
  ];
  const features = [...new Set((fs.readFileSync('/proc/cpuinfo', 'utf8').match(/avx512[a-z]*|avx2/g) || []))].sort();
  console.log(`\nW4 vs ONNX Runtime ${require('onnxruntime-node/package.json').version}, 1 thread, medians of ${repeats}` +
              ` (CPU: ${os.cpus()[0].model}; ${features.join(' ') || 'no AVX2'}; nabla from ${bin})`);
  console.log('| metric | nabla | ORT | nabla is x times better |\n|---|---|---|---|');
  const result = {};
  for (const [label, key, lowerIsBetter] of rows) {
    const a = m('nabla', key), b = m('ort', key);
    const ratio = lowerIsBetter ? b / a : a / b;
    result[key] = { nabla: a, ort: b, ratio };
    console.log(`| ${label} | ${a.toPrecision(4)} | ${b.toPrecision(4)} | ${ratio.toFixed(2)} |`);
  }
  console.log(JSON.stringify({ workload: 'mnist_mlp_inference_vs_ort', threads: 1, repeats, result }));
  fs.rmSync(work, { recursive: true, force: true });
}
main().catch((e) => { console.error(e); process.exit(1); });
