#!/usr/bin/env bash
# The data-parallel figures of docs/distributed.md on this machine, in one run: allreduce bandwidth (np=2),
# overlap of gradient communication with backward (np=2), and the batch-256 MLP at np=1 vs np=2 (per-process
# batch 256, and global batch 256 = 128 per process). Prints the JSON lines and the np=2 / np=1 ratios.
# Usage: bench/dist_bench.sh [build dir, default build/release]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-build/release}/bench/dist_bench"
mpirun=(mpirun --oversubscribe --bind-to none)
[[ $(id -u) -eq 0 ]] && mpirun+=(--allow-run-as-root)
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
     "$(grep -o 'avx512[a-z]*\|avx2' /proc/cpuinfo | sort -u | xargs)"
out=$(mktemp)
"${mpirun[@]}" -np 2 "$bin" allreduce | tee -a "$out"
"${mpirun[@]}" -np 2 "$bin" overlap --batch-size 256 | tee -a "$out"
"${mpirun[@]}" -np 2 "$bin" overlap-small --batch-size 256 | tee -a "$out"
for b in 256 128; do
  "${mpirun[@]}" -np 1 "$bin" mlp --batch-size $b | tee -a "$out"
  "${mpirun[@]}" -np 2 "$bin" mlp --batch-size $b | tee -a "$out"
done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
mlp = {(r["np"], r["batch_per_process"]): r for r in rows if r["bench"] == "mlp"}
one = mlp[(1, 256)]["samples_per_s"]
for (np_, b), r in sorted(mlp.items()):
    print(f"mlp np={np_} batch/process={b} global={r['global_batch']}: {r['samples_per_s']:.0f} samples/s "
          f"= {r['samples_per_s'] / one:.2f}x np=1 at batch 256")
PY
rm -f "$out"
