#!/usr/bin/env bash
# nabla lite (issue 14) side by side, one run: trains the reference MNIST MLP (5 epochs) and the Fashion-MNIST CNN
# (CNN_EPOCHS, default 5) of examples/ on the full training sets, quantizes each to int8 (1000 calibration images),
# then, REPEATS times (default 3) at 1 and 2 threads, interleaved (repeat, threads, model, then nabla float32,
# nabla int8, ONNX Runtime float32, so that a slow spell on this shared machine does not fall on one side only),
# times batch-1 latency and batch-256 throughput (bench/lite_bench.cpp, bench/lite_ort.cjs); runs nblite-infer
# (the runtime-only binary) on each full test set; bench/lite_summary.py prints the medians, ratios and targets.
# Every JSON line goes to bench/results/lite/runs.jsonl (not committed). Usage, from the repository root after
# building lite_bench and nblite-infer (release preset):
#   bench/lite_bench.sh [BUILD_DIR (default build/release)]
# TRAIN=0 keeps the models, accuracies and sizes of the previous run (its machine, train and runtime_only lines) and
# only times again.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
repeats=${REPEATS:-3} cnn_epochs=${CNN_EPOCHS:-5}
dir=bench/results/lite
mkdir -p "$dir"
out=$dir/runs.jsonl
export NODE_PATH=${NODE_PATH:-$PWD/.node/node_modules}
if [[ ${TRAIN:-1} == 0 ]]; then
  grep '"phase": *"\(machine\|train\|runtime_only\)"' "$out" >"$out.kept"
  mv "$out.kept" "$out"
else
: >"$out"
{
  echo "{\"phase\": \"machine\", \"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\", \"features\": \"$(grep -o 'avx512[a-z_]*\|avx2\|vnni' /proc/cpuinfo | sort -u | xargs)\", \"nproc\": $(nproc), \"build\": \"$build\"}"
  "$build/bench/lite_bench" train --model mlp --epochs 5 --dir "$dir"
  "$build/bench/lite_bench" train --model cnn --epochs "$cnn_epochs" --dir "$dir"
} | tee -a "$out"
data=${NABLA_DATA:-$HOME/.nabla/datasets}
for m in mlp cnn; do
  d=$data/mnist
  [[ $m == cnn ]] && d=$data/fashion-mnist
  img=$(ls "$d"/t10k-images-idx3-ubyte* | head -1) lab=$(ls "$d"/t10k-labels-idx1-ubyte* | head -1)
  acc=$("$build/nabla/lite/nblite-infer" "$dir/$m.nblite" "$img" "$lab" 1 | awk '{print $2}')
  echo "{\"phase\": \"runtime_only\", \"model\": \"$m\", \"accuracy_int8\": $acc}" | tee -a "$out"
done
fi
echo "{\"phase\": \"binary\", \"bytes_nblite_infer\": $(stat -c %s "$build/nabla/lite/nblite-infer"), \"bytes_libdnnl\": $(stat -L -c %s "$(ldd "$build/nabla/lite/nblite-infer" | awk '/libdnnl/ {print $3}')"), \"shared_libraries\": \"$(ldd "$build/nabla/lite/nblite-infer" | awk '{print $1}' | xargs)\"}" | tee -a "$out"
for ((r = 1; r <= repeats; r++)); do
  for t in 1 2; do
    for m in mlp cnn; do
      "$build/bench/lite_bench" time --model $m --dir "$dir" --format fp32 --threads $t | tee -a "$out"
      "$build/bench/lite_bench" time --model $m --dir "$dir" --format int8 --threads $t | tee -a "$out"
      node bench/lite_ort.cjs --model "$dir/$m.onnx" --kind $m --threads $t | tee -a "$out"
    done
  done
done
python3 bench/lite_summary.py "$out" | tee "$dir/summary.md"
