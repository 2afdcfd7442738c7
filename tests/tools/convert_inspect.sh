#!/usr/bin/env bash
# nabla-convert and nabla-inspect on the files Keras 3.15 and tf_keras 2.21 wrote (tests/io/data):
#   .keras -> TF.js -> .keras keeps the architecture (same summary) and every weight (the TF.js shards written from
#   the original and from the round trip are byte-identical); legacy .h5 -> .keras; nabla-inspect prints the
#   summary, signatures and compile config; a failed conversion exits 1 naming the file and leaves OUT untouched.
# Usage: convert_inspect.sh TOOLS_DIR DATA_DIR WORK_DIR
set -euo pipefail
tools=$1 data=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
convert="$tools/nabla-convert" inspect="$tools/nabla-inspect"
fail() { echo "FAIL: $*"; exit 1; }

"$convert" "$data/keras3_sequential.keras" "$work/tfjs/model.json"
[[ -f "$work/tfjs/model.json" ]] || fail "no model.json written"
"$convert" "$work/tfjs/model.json" "$work/back.keras"
"$convert" "$work/back.keras" "$work/tfjs_again/"
cmp "$work/tfjs/group1-shard1of1.bin" "$work/tfjs_again/group1-shard1of1.bin" || fail "weights changed in .keras -> TF.js -> .keras"

summary() { "$inspect" "$1" | sed -n '/^Model:/,/^outputs:/p' | sed 1d; }  # without the model's name line
diff <(summary "$data/keras3_sequential.keras") <(summary "$work/back.keras") || fail "the round trip changed the summary"

out=$("$inspect" "$work/back.keras")
echo "$out"
for want in "dense (Dense)" "out (Dense)" "Total params: 23" "input_layer  float32  [-1, 4]" "out  float32  [-1, 2]"; do
  grep -qF "$want" <<<"$out" || fail "nabla-inspect does not print '$want'"
done

"$convert" "$data/tf_keras_sequential.h5" "$work/from_h5.keras"
out=$("$inspect" "$work/from_h5.keras")
echo "$out"
for want in "Total params: 23" "loss: MeanSquaredError" "optimizer: SGD" "optimizer state: iterations 0"; do
  grep -qF "$want" <<<"$out" || fail "nabla-inspect of the converted .h5 does not print '$want'"
done

cp "$work/back.keras" "$work/keep.keras"
printf 'not a model' > "$work/broken.keras"
if err=$("$convert" "$work/broken.keras" "$work/back.keras" 2>&1); then fail "converting a broken file succeeded"; fi
echo "$err"
grep -qF "broken.keras" <<<"$err" || fail "the error does not name the input file"
cmp "$work/back.keras" "$work/keep.keras" || fail "a failed conversion changed the previous output"
echo "OK: nabla-convert and nabla-inspect"
