#!/usr/bin/env bash
# Checks the blocking-call counter (libptosim_blocking_calls.so) against two programs that know
# their own calls:
#   1. ptosim_blocking_calls_check calls every interposed s4u function a known number of times and
#      prints the report the counter must write, line for line;
#   2. ptosim_bare_case1 tallies its own sleeps and semaphore waits; the counter's totals per
#      function must equal them (one orchestrator sleep per submit, two calls per kernel on the
#      cores, the scheduler threads' rests and waits).
# Usage: tools/bench/check_blocking_calls.sh [build-dir]   (ctest runs it as bench/blocking_calls)
set -euo pipefail
build="${1:-build}"
shim="$build/libptosim_blocking_calls.so"
for file in "$shim" "$build/ptosim_blocking_calls_check" "$build/ptosim_bare_case1"; do
  [[ -e "$file" ]] || { echo "error: $file not found; build the tools/bench targets first" >&2; exit 2; }
done
shim="$(cd "$(dirname "$shim")" && pwd)/$(basename "$shim")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 1. Every function, counted once per call of the program.
"$build/ptosim_blocking_calls_check" --log=root.thresh:critical > "$work/expected"
PTOSIM_BLOCKING_CALLS_OUT="$work/counted" LD_PRELOAD="$shim" \
  "$build/ptosim_blocking_calls_check" --log=root.thresh:critical > /dev/null
if ! diff -u "$work/expected" "$work/counted"; then
  echo "FAIL: the counter's report differs from the calls ptosim_blocking_calls_check made" >&2
  exit 1
fi
echo "ok: every interposed function counted once per call ($(tail -1 "$work/counted"))"

# 2. The bare program's own tally ("blocking_calls N function (by role)") against the counter's.
PTOSIM_BLOCKING_CALLS_OUT="$work/counted" LD_PRELOAD="$shim" "$build/ptosim_bare_case1" > "$work/bare"
sed -n 's/^blocking_calls \([0-9]*\) \([^ ]*\).*/\1 \2/p' "$work/bare" > "$work/expected"
if ! diff -u "$work/expected" "$work/counted"; then
  echo "FAIL: the counter's report differs from ptosim_bare_case1's own tally" >&2
  exit 1
fi
echo "ok: ptosim_bare_case1's own tally matches the counter ($(tail -1 "$work/counted"))"
