// Whole models with the real TF.js (@tensorflow/tfjs 4.22 from npm, pure JS CPU backend, from .node/ through
// NODE_PATH). Run by ctest as io.interop.tfjs_model:
//   node tfjs_model_interop.cjs <nabla_model_interop_tool> <work dir>
// 1. TF.js builds and trains a small model (Conv2D, MaxPooling2D, BatchNormalization, Flatten, Dropout, Dense;
//    Adam), saves it through tf.io.withSaveHandler with its optimizer, laid out as tfjs-node's file:// handler
//    writes it (model.json + weights.bin); nabla's load_model(".../model.json") predicts the same (<= 1e-5
//    relative to the largest output), comes back compiled with TF.js's iterations, and trains one more epoch.
// 2. nabla builds and trains the same kind of model and save_model()s it as model.json + shards; TF.js loads it
//    with tf.loadLayersModel(tf.io.fromMemory(...)), predicts the same (<= 1e-5 relative), gets nabla's
//    optimizer (iterations and Adam's moments) and trains on.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const tf = require('@tensorflow/tfjs');

const [tool, work] = process.argv.slice(2);
if (!tool || !work) throw new Error('usage: node tfjs_model_interop.cjs TOOL WORKDIR');
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });

let failures = 0;
function check(ok, what) {
  console.log((ok ? 'ok:   ' : 'FAIL: ') + what);
  if (!ok) failures++;
}
function nabla(...args) {
  execFileSync(tool, args, { stdio: 'inherit' });
}
function tensorJson(t) {
  return { dtype: t.dtype === 'float32' ? 'float32' : 'int64', shape: t.shape, data: Array.from(t.dataSync()) };
}
// max |a - b| over max |b|: the outputs' own scale.
function relDiff(a, b) {
  let d = 0, s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return a.length === b.length ? d / s : Infinity;
}

async function tfjsToNabla() {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu',
                               kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.flatten());
  model.add(tf.layers.dropout({ rate: 0.25, seed: 2 }));
  model.add(tf.layers.dense({ units: 3, activation: 'softmax',
                              kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const x = tf.randomUniform([16, 8, 8, 1], 0, 1, 'float32', 4);
  const y = tf.oneHot(tf.randomUniform([16], 0, 3, 'int32', 5), 3).toFloat();
  await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });

  let artifacts;
  await model.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: {} }; }),
                   { includeOptimizer: true });
  const dir = path.join(work, 'from_tfjs');
  fs.mkdirSync(dir);
  const modelJSON = { modelTopology: artifacts.modelTopology, format: artifacts.format,
                      generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy,
                      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
                      trainingConfig: artifacts.trainingConfig };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJSON));
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(artifacts.weightData));
  const dataPath = path.join(work, 'tfjs_data.json'), outPath = path.join(work, 'tfjs_resume.json');
  fs.writeFileSync(dataPath, JSON.stringify({ x: [tensorJson(x)], y: tensorJson(y) }));
  nabla('resume', path.join(dir, 'model.json'), dataPath, outPath);
  const r = JSON.parse(fs.readFileSync(outPath, 'utf8'));
  const want = Array.from(model.predict(x).dataSync());
  const d = relDiff(r.before.data, want);
  check(d <= 1e-5, `TF.js -> nabla: load_model(model.json) predicts as TF.js (relative diff ${d.toExponential(2)})`);
  const iterations = model.optimizer.iterations;
  check(r.iterations === iterations + 2,
        `TF.js -> nabla: compiled with TF.js's Adam at iteration ${iterations}, trained on to ${r.iterations}`);
  check(r.after.data.every(Number.isFinite), 'TF.js -> nabla: one more epoch in nabla gives finite predictions');
}

// 'cnn' is the Sequential above; 'two_input' a functional model with a shared Dense and Concatenate.
async function nablaToTfjs(name) {
  const n = 32;
  const xs = name === 'cnn' ? [tf.randomUniform([n, 8, 8, 1], 0, 1, 'float32', 7)]
                            : [tf.randomUniform([n, 6], 0, 1, 'float32', 8), tf.randomUniform([n, 6], 0, 1, 'float32', 9)];
  const x = xs.length === 1 ? xs[0] : xs;
  const y = tf.tensor1d(Array.from({ length: n }, (_, i) => i % 3), 'int32');
  const dir = path.join(work, 'from_nabla_' + name);
  const dataPath = path.join(work, name + '_data.json'), predPath = path.join(work, name + '_pred.json');
  fs.writeFileSync(dataPath, JSON.stringify({ x: xs.map(tensorJson), y: tensorJson(y) }));
  nabla('save', name, path.join(dir, 'model.json'), dataPath, predPath);
  const mine = JSON.parse(fs.readFileSync(predPath, 'utf8')).pred.data;

  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const specs = [], buffers = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
  }
  const data = Buffer.concat(buffers);
  const artifacts = { modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy,
                      convertedBy: json.convertedBy, trainingConfig: json.trainingConfig, weightSpecs: specs,
                      weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.length) };
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  const classes = loaded.layers.map((l) => l.getClassName()).join(',');
  check(classes === (name === 'cnn' ? 'Conv2D,MaxPooling2D,BatchNormalization,Dropout,Flatten,Dense'
                                    : 'InputLayer,InputLayer,Dense,Concatenate,Dense'),
        `nabla -> TF.js (${name}): layers ${classes}`);
  const got = Array.from(loaded.predict(x).dataSync());
  const d = relDiff(got, mine);
  check(d <= 1e-5, `nabla -> TF.js (${name}): tf.loadLayersModel predicts as nabla (relative diff ${d.toExponential(2)})`);
  check(loaded.optimizer != null && loaded.optimizer.getClassName() === 'Adam', `nabla -> TF.js (${name}): compiled with Adam`);
  check(loaded.optimizer.iterations === n / 8, `nabla -> TF.js (${name}): iterations ${loaded.optimizer.iterations}`);
  const ow = await loaded.optimizer.getWeights();
  const decoded = tf.io.decodeWeights(artifacts.weightData, specs);
  const mKernel = ow.find((w) => w.name.endsWith('/kernel/m'));
  check(mKernel != null && tf.util.arraysEqual(Array.from(mKernel.tensor.dataSync()),
                                               Array.from(decoded[mKernel.name].dataSync())),
        `nabla -> TF.js (${name}): Adam's first moment came across (${mKernel && mKernel.name})`);
  await loaded.fit(x, y.toFloat(), { epochs: 1, batchSize: 8, verbose: 0 });  // TF.js's sparse labels are floats
  check(loaded.optimizer.iterations === n / 8 + n / 8, `nabla -> TF.js (${name}): TF.js trains on from nabla's state`);
}

async function main() {
  await tf.setBackend('cpu');
  console.log('@tensorflow/tfjs', tf.version.tfjs);
  await tfjsToNabla();
  await nablaToTfjs('cnn');
  await nablaToTfjs('two_input');
  console.log(failures === 0 ? 'tfjs model interop: all checks passed' : `tfjs model interop: ${failures} checks failed`);
  process.exit(failures === 0 ? 0 : 1);
}
main().catch((e) => { console.error(e); process.exit(1); });
