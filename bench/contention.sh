#!/usr/bin/env bash
# W1 (the reference MLP, bench/mnist_mlp_bench) with the machine idle and beside one busy process, at the default
# thread count (fit's step-thread tuner on), at 1 thread, and with the tuner off (NABLA_ADAPTIVE_THREADS=0: every
# step on every core, what nabla did before). Prints the median fit time of REPEATS runs of EPOCHS epochs per case (cases alternating),
# and each case's ratio to 1 thread under the same conditions (issue 17's target: default <= 1.1x one thread).
# The busy process is a shell loop bounded in time (it ends itself after the runs' worst case).
# Usage: bench/contention.sh [BUILD_DIR]   (default build/release; EPOCHS=2 REPEATS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
bin="$build/bench/mnist_mlp_bench"
[[ -x "$bin" ]] || { echo "contention: $bin not built (scripts/build release)"; exit 1; }
epochs="${EPOCHS:-2}" repeats="${REPEATS:-3}"
echo "contention: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
     "AVX-512: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"

fit_seconds() {  # fit_seconds ENV...: one run's summed epoch times
  env "$@" "$bin" --epochs "$epochs" | python3 -c 'import json,sys; print(sum(json.load(sys.stdin)["epoch_seconds"]))'
}
median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }

busy_pid=""
stop_busy() { [[ -n "$busy_pid" ]] && kill "$busy_pid" 2>/dev/null; wait "$busy_pid" 2>/dev/null || true; busy_pid=""; }
trap stop_busy EXIT

# The cases alternate run by run, so that a slow spell of the machine falls on all of them alike.
declare -A t runs
for load in idle busy; do
  if [[ $load == busy ]]; then
    (end=$((SECONDS + 1800)); while ((SECONDS < end)); do :; done) &
    busy_pid=$!
  fi
  for ((r = 0; r < repeats; ++r)); do
    runs[$load,default]+=" $(fit_seconds)"
    runs[$load,one]+=" $(fit_seconds NABLA_NUM_THREADS=1)"
    runs[$load,untuned]+=" $(fit_seconds NABLA_ADAPTIVE_THREADS=0)"
  done
  for c in default one untuned; do
    # shellcheck disable=SC2086
    t[$load,$c]=$(median ${runs[$load,$c]})
  done
  stop_busy
done

printf '%-6s %-34s %10s %14s\n' load case "fit s" "vs 1 thread"
for load in idle busy; do
  for c in default one untuned; do
    case $c in
      default) name="default threads (tuner on)" ;;
      one) name="NABLA_NUM_THREADS=1" ;;
      untuned) name="default, NABLA_ADAPTIVE_THREADS=0" ;;
    esac
    printf '%-6s %-34s %10.2f %13.2fx   runs:%s\n' "$load" "$name" "${t[$load,$c]}" \
      "$(python3 -c "print(${t[$load,$c]} / ${t[$load,one]})")" "${runs[$load,$c]}"
  done
done
