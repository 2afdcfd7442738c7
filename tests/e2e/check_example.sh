#!/usr/bin/env bash
# Runs an example and checks that its last line is "Test accuracy: <value>" with value >= the minimum.
# Usage: check_example.sh <binary> <min_accuracy> [args...]
set -euo pipefail
bin="$1"; min="$2"; shift 2
out=$("$bin" "$@")
echo "$out" | tail -n 12
last=$(echo "$out" | tail -n 1)
[[ "$last" =~ ^Test\ accuracy:\ ([0-9.]+)$ ]] || { echo "FAIL: last line is not 'Test accuracy: <value>': $last"; exit 1; }
acc="${BASH_REMATCH[1]}"
awk -v a="$acc" -v m="$min" 'BEGIN { exit !(a >= m) }' || { echo "FAIL: test accuracy $acc < $min"; exit 1; }
echo "PASS: test accuracy $acc >= $min"
