// Runs nabla's ONNX exports in ONNX Runtime (npm's onnxruntime-node 1.30, CPU, found through NODE_PATH) and
// compares every output with nabla's predict, element by element:
//   node ort_run.cjs DIR                  every DIR/<name>.json manifest written by nabla_onnx_export_tests
//   node ort_run.cjs DIR NAME MODEL.onnx  the inputs and outputs of DIR/NAME.json, run through MODEL.onnx
// A model fails when ORT refuses it, its input/output names or shapes differ, or any output differs from nabla's by
// more than 1e-5 (absolute). Prints the largest difference per model and output.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const TOLERANCE = 1e-5;

function readF32(file, count) {
  const buf = fs.readFileSync(file);
  if (buf.length !== count * 4) throw new Error(`${file}: ${buf.length} bytes, expected ${count * 4}`);
  // A copy: Float32Array needs a 4-byte-aligned offset, which a Buffer from the pool may not have.
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}
const numel = (shape) => shape.reduce((a, b) => a * b, 1);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function runCase(dir, name, modelPath) {
  const m = JSON.parse(fs.readFileSync(path.join(dir, name + '.json'), 'utf8'));
  modelPath = modelPath || path.join(dir, m.model);
  const problems = [];
  // One thread: results do not depend on the machine's core count.
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const wantIn = m.inputs.map((i) => i.name), wantOut = m.outputs.map((o) => o.name);
  if (!same(session.inputNames, wantIn)) problems.push(`inputs ${session.inputNames} != ${wantIn}`);
  if (!same(session.outputNames, wantOut)) problems.push(`outputs ${session.outputNames} != ${wantOut}`);
  const feeds = {};
  for (const i of m.inputs)
    feeds[i.name] = new ort.Tensor('float32', readF32(path.join(dir, i.file), numel(i.shape)), i.shape);
  const results = await session.run(feeds);
  let worst = 0;
  const perOutput = [];
  for (const o of m.outputs) {
    const got = results[o.name];
    if (!got) {
      problems.push(`no output '${o.name}'`);
      continue;
    }
    if (!same(Array.from(got.dims), o.shape)) {
      problems.push(`output '${o.name}': ORT shape [${got.dims}], nabla [${o.shape}]`);
      continue;
    }
    const want = readF32(path.join(dir, o.file), numel(o.shape));
    let diff = 0, at = -1;
    for (let k = 0; k < want.length; k++) {
      const d = Math.abs(got.data[k] - want[k]);
      if (!(d <= diff)) { diff = d; at = k; }  // NaN counts as the worst
    }
    worst = Math.max(worst, diff);
    perOutput.push(`${o.name} ${diff.toExponential(2)}`);
    if (!(diff <= TOLERANCE))
      problems.push(`output '${o.name}': |ORT - nabla| = ${diff} at element ${at} (ORT ${got.data[at]}, nabla ${want[at]})`);
  }
  const label = `${name}${modelPath === path.join(dir, m.model) ? '' : ' (' + modelPath + ')'}`;
  console.log(`${problems.length ? 'FAIL' : 'ok  '} ${label}: opset ${m.opset}, max |ORT - nabla| = ` +
              `${worst.toExponential(2)} [${perOutput.join(', ')}]`);
  for (const p of problems) console.log(`     ${p}`);
  return problems.length === 0;
}

async function main() {
  const [dir, name, modelPath] = process.argv.slice(2);
  if (!dir) throw new Error('usage: node ort_run.cjs DIR [NAME MODEL.onnx]');
  const names = name ? [name] : fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  if (names.length === 0) throw new Error(`no manifests in ${dir}: run nabla_onnx_export_tests first`);
  let failed = 0;
  for (const n of names) {
    try {
      if (!(await runCase(dir, n, modelPath))) failed++;
    } catch (e) {
      failed++;
      console.log(`FAIL ${n}: ${e.message}`);
    }
  }
  console.log(`onnxruntime-node ${require('onnxruntime-node/package.json').version}: ` +
              `${names.length - failed}/${names.length} models match nabla within ${TOLERANCE}`);
  process.exit(failed ? 1 : 0);
}
main().catch((e) => { console.error(e); process.exit(1); });
