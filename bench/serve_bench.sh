#!/usr/bin/env bash
# nabla-serve against the same MNIST MLP behind ONNX Runtime in a Node HTTP server (npm onnxruntime-node), on
# loopback, in one run: wrk POSTs one 28x28 instance in TF Serving's row format ({"instances": [...]}) for
# $SERVE_BENCH_SECONDS (default 30) at 1, 16 and 64 connections; nabla-serve with batching off and on. Prints
# requests/s, p50/p99 latency and errors for each, then nabla's ratios to the peer (the issue's targets: >= 2x
# the peer's throughput at 64 connections, a lower p99 at 1 connection).
# Usage (repository root, after building nabla-serve): bench/serve_bench.sh
# Needs wrk (Debian), node with .node/node_modules/onnxruntime-node, the venv's Python (Keras 3).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
secs="${SERVE_BENCH_SECONDS:-30}"
serve="${NABLA_SERVE:-$root/build/release/tools/nabla-serve}"
convert="${NABLA_CONVERT:-$root/build/release/tools/nabla-convert}"
conns=(${SERVE_BENCH_CONNECTIONS:-1 16 64})
work="$(mktemp -d /tmp/nabla_serve_bench.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

[[ -x "$serve" ]] || { echo "serve_bench: build nabla-serve first (cmake --build --preset release --target nabla-serve)"; exit 1; }
[[ -x "$convert" ]] || { echo "serve_bench: build nabla-convert first (cmake --build --preset release --target nabla-convert)"; exit 1; }
command -v wrk >/dev/null || { echo "serve_bench: wrk not found (apt-get install wrk)"; exit 1; }

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
     "features: $(grep -o 'avx512[a-z]*\|avx2' /proc/cpuinfo | sort -u | xargs)"
echo "writing the model (Keras 3, .venv) and its ONNX twin (nabla-convert) to $work"
"$root/.venv/bin/python" bench/serve_make_model.py "$work"
# The peer runs the graph nabla's own ONNX export writes from the same file (io/onnx_export.h).
"$convert" "$work/models/mnist/1/model.keras" "$work/mnist_mlp.onnx" > /dev/null

cat > "$work/batching.config" <<'CFG'
max_batch_size { value: 64 }
batch_timeout_micros { value: 0 }
max_enqueued_batches { value: 100 }
num_batch_threads { value: 2 }
CFG

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts nabla-serve with extra flags; sets $port once it is ready.
start_nabla() {
  "$serve" --rest_api_port=0 --model_name=mnist --model_base_path="$work/models/mnist" --rest_api_num_threads=160 \
    --file_system_poll_wait_seconds=0 "$@" > "$work/serve.out" 2> "$work/serve.err" &
  pids+=($!)
  serve_pid=$!
  for _ in $(seq 600); do
    port="$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/serve.out")"
    [[ -n "$port" ]] && curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return 0
    sleep 0.1
  done
  echo "serve_bench: nabla-serve did not become ready"; cat "$work/serve.err"; exit 1
}

start_peer() {
  port="$(free_port)"
  NODE_PATH="$root/.node/node_modules" node bench/serve_peer.cjs "$work/mnist_mlp.onnx" "$port" > "$work/peer.out" 2>&1 &
  pids+=($!)
  serve_pid=$!
  for _ in $(seq 600); do
    grep -q listening "$work/peer.out" && return 0
    sleep 0.1
  done
  echo "serve_bench: the Node peer did not start"; cat "$work/peer.out"; exit 1
}

# Checks one answer against Keras's, then runs wrk at each connection count into $work/<name>_<c>.txt.
measure() {
  local name="$1" path="/v1/models/mnist:predict"
  curl -sf -H 'Content-Type: application/json' --data-binary "@$work/request.json" "http://127.0.0.1:$port$path" \
    > "$work/$name.answer"
  /usr/bin/python3 - "$work/$name.answer" "$work/expected.json" "$name" <<'PY'
import json, sys
got = json.load(open(sys.argv[1]))["predictions"][0]
want = json.load(open(sys.argv[2]))[0]
err = max(abs(a - b) for a, b in zip(got, want))
assert len(got) == 10 and err < 1e-5, (sys.argv[3], got, want)
print(f"{sys.argv[3]}: answer matches Keras (max abs diff {err:.1e})")
PY
  for c in "${conns[@]}"; do
    local t=$((c < 2 ? 1 : 2))
    BODY_FILE="$work/request.json" PREDICT_PATH="$path" \
      wrk -t"$t" -c"$c" -d"${secs}s" --timeout 10s --latency -s bench/serve_wrk.lua "http://127.0.0.1:$port" \
      > "$work/${name}_$c.txt"
    echo "$name, $c connections: $(grep 'Requests/sec' "$work/${name}_$c.txt" | xargs)"
  done
}

stop() { kill -TERM "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; }

start_nabla; measure nabla; stop
start_nabla --enable_batching --batching_parameters_file="$work/batching.config"; measure nabla_batching; stop
start_peer; measure peer; stop

/usr/bin/python3 - "$work" "${conns[@]}" <<'PY'
import re, sys
work, conns = sys.argv[1], sys.argv[2:]
def ms(v):
    n, u = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 1e-3, "ms": 1, "s": 1e3}[u]
def parse(name, c):
    t = open(f"{work}/{name}_{c}.txt").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    # The latency distribution's own lines: "Req/Sec ... 72.50%" (a thread stat's share) ends in "50%" too.
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", t, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", t, re.M).group(1))
    errs = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", t))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    errs += int(m.group(1)) if m else 0
    return rps, p50, p99, errs
names = {"nabla": "nabla-serve", "nabla_batching": "nabla-serve --enable_batching", "peer": "Node + onnxruntime-node"}
r = {(n, c): parse(n, c) for n in names for c in conns}
print()
print(f"| server | connections | requests/s | p50 ms | p99 ms | errors |")
print(f"|---|---|---|---|---|---|")
for n, label in names.items():
    for c in conns:
        rps, p50, p99, e = r[(n, c)]
        print(f"| {label} | {c} | {rps:.0f} | {p50:.3f} | {p99:.3f} | {e} |")
print()
print("nabla / peer (throughput: nabla's requests/s over the peer's; p99: the peer's over nabla's; > 1 is nabla ahead)")
for n in ("nabla", "nabla_batching"):
    parts = []
    for c in conns:
        parts.append(f"{c} conn: throughput {r[(n, c)][0] / r[('peer', c)][0]:.2f}x, p99 {r[('peer', c)][2] / r[(n, c)][2]:.2f}x")
    print(f"  {names[n]}: " + "; ".join(parts))
if "64" in conns and "1" in conns:
    best64 = max(r[(n, "64")][0] for n in ("nabla", "nabla_batching"))
    print(f"target >= 2x the peer's throughput at 64 connections: {best64 / r[('peer', '64')][0]:.2f}x "
          f"({'met' if best64 >= 2 * r[('peer', '64')][0] else 'missed'})")
    p99 = r[("nabla", "1")][2]
    print(f"target lower p99 than the peer at 1 connection: {p99:.3f} ms vs {r[('peer', '1')][2]:.3f} ms "
          f"({'met' if p99 < r[('peer', '1')][2] else 'missed'})")
PY
