// The peer for bench/serve_bench.sh: the same MNIST MLP behind ONNX Runtime (npm onnxruntime-node) in a small
// Node HTTP server speaking the same JSON as TF Serving's :predict (row format in, "predictions" out).
// Usage: node serve_peer.cjs MODEL.onnx PORT   (prints "listening" when ready)
const http = require("http");
const ort = require("onnxruntime-node");

async function main() {
  const [modelPath, port] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(modelPath);
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      try {
        if (req.method !== "POST" || !req.url.endsWith(":predict")) throw new Error("Malformed request");
        const instances = JSON.parse(Buffer.concat(chunks).toString()).instances;
        const n = instances.length;
        const data = new Float32Array(n * 784);
        let k = 0;
        for (const image of instances) for (const row of image) for (const v of row) data[k++] = v;
        // The graph's own names (nabla's export keeps the Keras model's input and output layer names).
        const out = await session.run({ [session.inputNames[0]]: new ort.Tensor("float32", data, [n, 28, 28]) });
        const y = out[session.outputNames[0]].data;
        const predictions = [];
        for (let i = 0; i < n; i++) predictions.push(Array.from(y.subarray(i * 10, i * 10 + 10)));
        const body = JSON.stringify({ predictions });
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(body);
      } catch (e) {
        res.writeHead(400, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: String(e.message || e) }));
      }
    });
  });
  server.keepAliveTimeout = 60000;
  server.listen(Number(port), "127.0.0.1", () => console.log("listening"));
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
