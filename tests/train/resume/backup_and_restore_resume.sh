#!/usr/bin/env bash
# BackupAndRestore's exact resume: train uninterrupted (the reference); train again with backups and SIGKILL the
# process during epoch 3; rerun it with the same backup directory; the final weights must be bit-identical to the
# reference, and the backup must be gone after the completed run.
# Usage: backup_and_restore_resume.sh PROGRAM WORKDIR SAVE_FREQ KILL_AT_STEP
set -euo pipefail
prog=$1 work=$2 freq=$3 kill_at=$4
rm -rf "$work" && mkdir -p "$work"
export NABLA_NUM_THREADS=1 OMP_NUM_THREADS=1

"$prog" --out "$work/reference.weights"

set +e
"$prog" --out "$work/resumed.weights" --backup "$work/backup" --save-freq "$freq" --kill-at "$kill_at"
rc=$?
set -e
if [[ $rc -ne 137 ]]; then echo "FAIL: the run to be killed exited with $rc, not 137 (SIGKILL)"; exit 1; fi
if [[ -e "$work/resumed.weights" ]]; then echo "FAIL: the killed run wrote its final weights"; exit 1; fi
if [[ ! -f "$work/backup/latest.weights.h5" ]]; then echo "FAIL: no backup after the kill"; exit 1; fi

out=$("$prog" --out "$work/resumed.weights" --backup "$work/backup" --save-freq "$freq")
echo "$out"
grep -q "resumed at epoch 3" <<<"$out" || { echo "FAIL: the rerun did not resume in epoch 3"; exit 1; }
if [[ -e "$work/backup" ]]; then echo "FAIL: the backup was not deleted when fit completed"; exit 1; fi
cmp "$work/reference.weights" "$work/resumed.weights" || { echo "FAIL: resumed weights differ from the reference"; exit 1; }
echo "OK: bit-identical final weights"
