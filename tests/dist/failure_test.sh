#!/usr/bin/env bash
# Usage: failure_test.sh die|hang <dist_failure binary> <mpirun and its options...>
# Rank 1 of 2 dies (SIGKILL) or hangs at step 3. The job must exit non-zero on its own: mpirun ends it when a
# process dies; a hang trips the other rank's collective timeout (NABLA_DIST_TIMEOUT=5 s), which aborts the job.
# `timeout 120` only catches the failure this test is about (a job that hangs): exit 124 fails the test.
set -uo pipefail
mode="$1"; bin="$2"; shift 2
start=$(date +%s)
NABLA_DIST_TIMEOUT=5 timeout 120 "$@" -x NABLA_DIST_TIMEOUT -np 2 "$bin" "$mode"
rc=$?
echo "exit code $rc after $(( $(date +%s) - start )) s"
if [[ $rc -eq 124 ]]; then echo "FAIL: the job hung"; exit 1; fi
if [[ $rc -eq 0 ]]; then echo "FAIL: the job exited 0 although rank 1 failed"; exit 1; fi
echo "PASS: mode $mode ended the job with exit code $rc"
