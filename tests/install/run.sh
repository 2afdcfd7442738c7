#!/usr/bin/env bash
# Installs nabla from an existing build tree into a temporary prefix (building nothing), then builds and runs
# tests/install/main.cpp against it twice: as a CMake project (find_package(nabla), nabla::nabla) and with
# pkg-config (nabla.pc). Usage: run.sh <nabla build dir> <this folder> <c++ compiler> <cmake>
set -euo pipefail
build="$1"; src="$2"; cxx="$3"; cmake="$4"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$cmake" --install "$build" --prefix "$tmp/prefix" > "$tmp/install.log"
test -f "$tmp/prefix/include/nabla/nabla.h" || { echo "FAIL: headers not installed"; exit 1; }
if grep -rq NABLA_SOURCE_DIR "$tmp/prefix"; then echo "FAIL: NABLA_SOURCE_DIR leaks into the package"; exit 1; fi

echo "== CMake: find_package(nabla)"
"$cmake" -S "$src" -B "$tmp/cmake-build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" > "$tmp/configure.log" || { cat "$tmp/configure.log"; exit 1; }
"$cmake" --build "$tmp/cmake-build" > "$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
"$tmp/cmake-build/app"
# nabla_dist: installed (with its CMake targets) whenever the build tree has it; then a consumer links it and runs.
if [[ -n "$(find "$build" -maxdepth 1 -name 'libnabla_dist.*' -print -quit)" ]]; then
  echo "== CMake: find_package(nabla COMPONENTS dist)"
  test -n "$(find "$tmp/prefix" -name 'libnabla_dist.*' -print -quit)" || { echo "FAIL: nabla_dist not installed"; exit 1; }
  test -f "$tmp/prefix/include/nabla/dist/multi_worker_mirrored_strategy.h" || { echo "FAIL: dist headers"; exit 1; }
  test -x "$tmp/cmake-build/dist_app" || { echo "FAIL: nabla::nabla_dist not found by the consumer"; exit 1; }
  mpirun --oversubscribe --allow-run-as-root -np 2 -x NABLA_NUM_THREADS=1 "$tmp/cmake-build/dist_app"
fi

echo "== pkg-config: nabla.pc"
pcdir=$(dirname "$(find "$tmp/prefix" -name nabla.pc | head -n 1)")
flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs nabla)
echo "pkg-config --cflags --libs nabla: $flags"
# shellcheck disable=SC2086  # the flags are words
"$cxx" -O1 "$src/main.cpp" -o "$tmp/app-pc" $flags
"$tmp/app-pc"
echo "PASS"
