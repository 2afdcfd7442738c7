// Interop with the real TF.js (@tensorflow/tfjs 4.22 from npm, pure JS CPU backend; scripts/setup installs it
// into .node/, found through NODE_PATH). Run by ctest as io.interop.tfjs:
//   node tfjs_interop.cjs <nabla_io_interop_tool> <work dir>
// 1. TF.js builds and trains a small model (Conv2D, MaxPooling2D, BatchNormalization, Flatten, Dropout, Dense),
//    saves it through tf.io.withSaveHandler (with optimizer weights) and we lay it out as tfjs-node's file://
//    handler does (model.json + weights.bin); nabla reads it and every weight must match bit for bit.
// 2. nabla rewrites it (small shards, so that weights span shard files); TF.js loads that through a custom load
//    handler: topology, weights and predictions must be identical.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const tf = require('@tensorflow/tfjs');

const [tool, work] = process.argv.slice(2);
if (!tool || !work) throw new Error('usage: node tfjs_interop.cjs TOOL WORKDIR');
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });

let failures = 0;
function check(ok, what) {
  if (!ok) {
    failures++;
    console.error('FAIL: ' + what);
  }
}
function sameBits(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
// JSON with sorted keys: nabla's JSON objects keep keys sorted, TF.js keeps insertion order.
function canonical(v) {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v && typeof v === 'object')
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  return JSON.stringify(v);
}
function nabla(...args) {
  execFileSync(tool, args, { stdio: 'inherit' });
}

async function main() {
  await tf.setBackend('cpu');
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu',
                               kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.flatten());
  model.add(tf.layers.dropout({ rate: 0.25, seed: 2 }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax',
                              kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const x = tf.randomUniform([16, 8, 8, 1], 0, 1, 'float32', 4);
  const y = tf.oneHot(tf.randomUniform([16], 0, 3, 'int32', 5), 3).toFloat();
  await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });

  // 1. TF.js -> nabla
  let artifacts;
  await model.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: {} }; }),
                   { includeOptimizer: true });
  const srcDir = path.join(work, 'from_tfjs');
  fs.mkdirSync(srcDir);
  // What tfjs-node's file:// handler writes (getModelJSONForModelArtifacts, which tf.io does not export).
  const modelJSON = { modelTopology: artifacts.modelTopology, format: artifacts.format,
                      generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy,
                      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] };
  if (artifacts.trainingConfig) modelJSON.trainingConfig = artifacts.trainingConfig;
  fs.writeFileSync(path.join(srcDir, 'model.json'), JSON.stringify(modelJSON));
  fs.writeFileSync(path.join(srcDir, 'weights.bin'), Buffer.from(artifacts.weightData));
  const dumpPath = path.join(work, 'dump.json');
  nabla('tfjs-dump', path.join(srcDir, 'model.json'), dumpPath);
  const dump = JSON.parse(fs.readFileSync(dumpPath, 'utf8'));
  const expected = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  check(dump.format === 'layers-model', 'format is ' + dump.format);
  check(canonical(dump.modelTopology) === canonical(artifacts.modelTopology), 'topology read as written');
  check(dump.weights.length === artifacts.weightSpecs.length,
        `nabla read ${dump.weights.length} weights, TF.js wrote ${artifacts.weightSpecs.length}`);
  check(artifacts.weightSpecs.some((s) => s.group === 'optimizer'), 'TF.js saved optimizer weights');
  artifacts.weightSpecs.forEach((spec, i) => {
    const w = dump.weights[i] || {};
    check(w.name === spec.name, `weight ${i}: name ${w.name} vs ${spec.name}`);
    check(JSON.stringify(w.shape) === JSON.stringify(spec.shape), `weight ${spec.name}: shape`);
    check((w.group || undefined) === spec.group, `weight ${spec.name}: group ${w.group} vs ${spec.group}`);
    check(w.dtype === spec.dtype, `weight ${spec.name}: dtype ${w.dtype} vs ${spec.dtype}`);
    const want = Array.from(expected[spec.name].dataSync());
    check(sameBits(Float32Array.from(w.data || []), Float32Array.from(want)), `weight ${spec.name}: values differ`);
  });

  // 2. nabla -> TF.js (shards of 100 bytes: every weight above 25 floats spans files)
  const outDir = path.join(work, 'from_nabla');
  nabla('tfjs-rewrite', path.join(srcDir, 'model.json'), outDir, '100');
  const written = JSON.parse(fs.readFileSync(path.join(outDir, 'model.json'), 'utf8'));
  check(written.weightsManifest[0].paths.length > 5, 'nabla wrote several shards');
  const handler = {
    load: async () => tf.io.getModelArtifactsForJSON(written, async (manifest) => {
      const specs = [];
      const buffers = [];
      for (const group of manifest) {
        specs.push(...group.weights);
        for (const p of group.paths) buffers.push(new Uint8Array(fs.readFileSync(path.join(outDir, p))));
      }
      const total = buffers.reduce((n, b) => n + b.length, 0);
      const data = new Uint8Array(total);
      let off = 0;
      for (const b of buffers) { data.set(b, off); off += b.length; }
      return [specs, data.buffer];
    }),
  };
  check(canonical(written.modelTopology) === canonical(artifacts.modelTopology), 'topology written as read');
  const loaded = await tf.loadLayersModel(handler);
  const a = model.getWeights(), b = loaded.getWeights();
  check(a.length === b.length, 'same number of weights after loading nabla\'s files');
  for (let i = 0; i < Math.min(a.length, b.length); i++)
    check(sameBits(Array.from(a[i].dataSync()), Array.from(b[i].dataSync())), `weight ${i} differs after loading`);
  const xt = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 6);
  const pa = Array.from(model.predict(xt).dataSync()), pb = Array.from(loaded.predict(xt).dataSync());
  check(sameBits(pa, pb), 'predictions differ: ' + pa.slice(0, 4) + ' vs ' + pb.slice(0, 4));

  console.log(failures === 0 ? 'tfjs interop: all checks passed' : `tfjs interop: ${failures} checks failed`);
  process.exit(failures === 0 ? 0 : 1);
}
main().catch((e) => { console.error(e); process.exit(1); });
