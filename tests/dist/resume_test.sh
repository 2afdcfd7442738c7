#!/bin/sh
# BackupAndRestore under data-parallel fit: a run interrupted on FROM processes and resumed on TO processes ends
# with weights bit-identical (cmp of the raw float32) to
#   - FROM = TO: the uninterrupted TO-process run;
#   - FROM != TO: the uninterrupted TO-process continuation from that backup (built without BackupAndRestore).
# usage: resume_test.sh FROM TO PROGRAM MPIRUN...
set -eu
from=$1 to=$2 prog=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$@" -np "$from" "$prog" interrupt "$work/backup" "$work/unused"
test -f "$work/backup/latest.weights.h5" || { echo "no backup after the interrupted run"; exit 1; }
cp -r "$work/backup" "$work/at_interrupt"
"$@" -np "$to" "$prog" resume "$work/backup" "$work/resumed" | tee "$work/log"
grep -q "resumed at sample" "$work/log" || { echo "the rerun did not resume"; exit 1; }
if [ "$from" = "$to" ]; then
  "$@" -np "$to" "$prog" full "$work/unused" "$work/expected"
else
  "$@" -np "$to" "$prog" reference "$work/at_interrupt" "$work/expected"
fi
cmp "$work/resumed" "$work/expected"
echo "resume ${from}->${to}: weights bit-identical"
