#!/usr/bin/env bash
# nabla-convert --quantize int8 on a Keras 3 file (tests/io/data/keras3_sequential.keras: 4 features -> 2 classes),
# calibrating on an IDX file of u8 rows; the .nblite runs in nblite-infer (the runtime alone), converts to an ONNX
# QDQ graph and to nothing else; bad calibration data and a corrupt .nblite fail naming the file.
# Usage: convert_quantize.sh NABLA_CONVERT NBLITE_INFER DATA_DIR WORK_DIR
set -euo pipefail
convert=$1 infer=$2 data=$3 work=$4
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }

# 64 rows of 4 bytes: IDX magic 0x00000802 (u8, rank 2), dims 64 and 4.
{ printf '\x00\x00\x08\x02\x00\x00\x00\x40\x00\x00\x00\x04'; head -c 256 /dev/urandom; } >"$work/x.idx"

out=$("$convert" --quantize int8 --calibration 32 --calibration-data "$work/x.idx" "$data/keras3_sequential.keras" \
      "$work/m.nblite")
echo "$out"
grep -q "quantized to int8" <<<"$out" || fail "no summary line"
grep -q "calibrated on 32 images" <<<"$out" || fail "calibrated on the wrong number of images"
grep -q "Calibration pass 1/2 (ranges)" <<<"$out" || fail "no progress for the first calibration pass"
grep -q "Calibration pass 2/2 (histograms)" <<<"$out" || fail "no progress for the histogram pass"
[[ -s "$work/m.nblite" ]] || fail "no .nblite written"
(($(stat -c %s "$work/m.nblite") * 10 < $(stat -c %s "$data/keras3_sequential.keras") * 3)) ||
  fail ".nblite is not under 30% of the .keras file"

preds=$("$infer" "$work/m.nblite" "$work/x.idx")
[[ $(wc -l <<<"$preds") == 64 ]] || fail "nblite-infer printed $(wc -l <<<"$preds") predictions, expected 64"
grep -qvx '[01]' <<<"$preds" && fail "a prediction outside the model's 2 classes"

"$convert" "$work/m.nblite" "$work/m.onnx"
grep -q QuantizeLinear "$work/m.onnx" || fail "the ONNX export has no QuantizeLinear"

expect_fail() {  # expect_fail TEXT... -- COMMAND...: COMMAND exits 1 and its stderr holds every TEXT
  local texts=()
  while [[ $1 != -- ]]; do texts+=("$1"); shift; done
  shift
  local err rc=0
  err=$("$@" 2>&1 >/dev/null) || rc=$?
  ((rc == 1)) || fail "$* exited $rc, expected 1"
  for t in "${texts[@]}"; do grep -qF -- "$t" <<<"$err" || fail "'$*' does not say '$t': $err"; done
  echo "refused as expected: $err"
}
expect_fail "m.keras" "quantized" -- "$convert" "$work/m.nblite" "$work/m.keras"
[[ -e "$work/m.keras" ]] && fail "a failed conversion left m.keras"
expect_fail "do not fit" -- "$convert" --quantize int8 --calibration-data mnist "$data/keras3_sequential.keras" "$work/n.nblite"
expect_fail "--calibration-data" -- "$convert" --quantize int8 "$data/keras3_sequential.keras" "$work/n.nblite"
head -c 100 "$work/m.nblite" >"$work/bad.nblite"
expect_fail "bad.nblite" "byte offset 16" "truncated" -- "$infer" "$work/bad.nblite" "$work/x.idx"
echo "ok"
