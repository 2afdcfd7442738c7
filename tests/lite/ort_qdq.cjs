// Runs nabla lite's ONNX QDQ exports in ONNX Runtime (npm's onnxruntime-node, found through NODE_PATH) and
// compares each output with nabla's int8 interpreter:
//   node ort_qdq.cjs DIR     every DIR/<name>.json manifest {model, input: {name, file, shape}, output: {name, file,
//                            shape}, tolerance} written by tests/lite (lite.onnx_qdq_export_runs_in_onnx_runtime)
// A model fails when ORT refuses it, its names or shapes differ, or an output differs from nabla's by more than
// the manifest's tolerance (one quantization step). Prints the largest difference per model.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function readF32(file, count) {
  const buf = fs.readFileSync(file);
  if (buf.length !== count * 4) throw new Error(`${file}: ${buf.length} bytes, expected ${count * 4}`);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}
const numel = (shape) => shape.reduce((a, b) => a * b, 1);

async function main() {
  const dir = process.argv[2];
  const manifests = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (manifests.length === 0) throw new Error(`${dir}: no manifests`);
  let failed = 0;
  for (const f of manifests) {
    const m = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    const session = await ort.InferenceSession.create(path.join(dir, m.model), { intraOpNumThreads: 1 });
    const problems = [];
    if (session.inputNames[0] !== m.input.name) problems.push(`input ${session.inputNames} != ${m.input.name}`);
    if (session.outputNames[0] !== m.output.name) problems.push(`output ${session.outputNames} != ${m.output.name}`);
    const x = new ort.Tensor('float32', readF32(path.join(dir, m.input.file), numel(m.input.shape)), m.input.shape);
    const results = await session.run({ [session.inputNames[0]]: x });
    const got = results[session.outputNames[0]];
    const want = readF32(path.join(dir, m.output.file), numel(m.output.shape));
    let diff = 0;
    if (JSON.stringify(Array.from(got.dims)) !== JSON.stringify(m.output.shape)) {
      problems.push(`ORT shape [${got.dims}], nabla [${m.output.shape}]`);
    } else {
      for (let k = 0; k < want.length; k++) diff = Math.max(diff, Math.abs(got.data[k] - want[k]));
      if (!(diff <= m.tolerance)) problems.push(`largest difference ${diff} > tolerance ${m.tolerance}`);
    }
    console.log(`${m.model}: largest difference ${diff} (tolerance ${m.tolerance})` +
                (problems.length ? ' FAIL: ' + problems.join('; ') : ' ok'));
    failed += problems.length > 0;
  }
  process.exit(failed ? 1 : 0);
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
