#!/usr/bin/env bash
# The data-parallel figures of docs/distributed.md on this machine, in one run: allreduce bandwidth (np=2),
# overlap of gradient communication with backward (np=2), and the batch-256 MLP at np=1 vs np=2 (per-process
# batch 256, and global batch 256 = 128 per process). Prints the JSON lines and the np=2 / np=1 ratios.
# Usage: bench/dist_bench.sh [build dir, default build/release]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-build/release}/bench/dist_bench"
peer="${1:-build/release}/bench/mpi_allreduce_peer"
mpirun=(mpirun --oversubscribe --bind-to none)
[[ $(id -u) -eq 0 ]] && mpirun+=(--allow-run-as-root)
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
     "$(grep -o 'avx512[a-z]*\|avx2' /proc/cpuinfo | sort -u | xargs)"
out=$(mktemp)
# nabla's communicator (MPI_Iallreduce on its comm thread) and plain MPI_Allreduce, alternately, twice each.
for i in 1 2; do
  "${mpirun[@]}" -np 2 "$bin" allreduce | tee -a "$out"
  "${mpirun[@]}" -np 2 "$peer" | tee -a "$out"
done
"${mpirun[@]}" -np 2 "$bin" overlap --batch-size 256 | tee -a "$out"
"${mpirun[@]}" -np 2 "$bin" overlap-small --batch-size 256 | tee -a "$out"
# np=1 at its default 2 threads and at 1 thread (what each of the 2 processes gets), then np=2.
"${mpirun[@]}" -np 1 "$bin" mlp --batch-size 256 | tee -a "$out"
NABLA_NUM_THREADS=1 "${mpirun[@]}" -x NABLA_NUM_THREADS -np 1 "$bin" mlp --batch-size 256 | tee -a "$out"
for b in 256 128; do
  "${mpirun[@]}" -np 2 "$bin" mlp --batch-size $b | tee -a "$out"
done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def med(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else 0.5 * (v[len(v) // 2 - 1] + v[len(v) // 2])
for mb in sorted({r["mb"] for r in rows if r["bench"] == "allreduce"}):
    ours = med([r["algbw_mb_s"] for r in rows if r["bench"] == "allreduce" and r["mb"] == mb])
    peer = med([r["algbw_mb_s"] for r in rows if r["bench"] == "allreduce_mpi" and r["mb"] == mb])
    print(f"allreduce {mb:5.0f} MB: nabla {ours:7.0f} MB/s, MPI_Allreduce {peer:7.0f} MB/s, ratio {ours / peer:.2f}")
mlp = [r for r in rows if r["bench"] == "mlp"]
one = max(r["samples_per_s"] for r in mlp if r["np"] == 1)  # np=1 at its faster thread count
for r in mlp:
    print(f"mlp np={r['np']} threads/process={r['threads']} batch/process={r['batch_per_process']} "
          f"global={r['global_batch']}: {r['samples_per_s']:.0f} samples/s = {r['samples_per_s'] / one:.2f}x the "
          f"faster np=1")
PY
rm -f "$out"
