#!/usr/bin/env bash
# Fuzzing campaign of the scenario loader and the recording reader (docs/robustness.md):
#   tools/fuzz/run.sh COUNT [SEED [TARGET [SECONDS]]]
# runs COUNT mutated inputs (deterministic for a seed) from the catalogue and the committed
# recordings in tools/fuzz/corpus/ (TARGET: scenario, recording, set, the `--set PATH=VALUE`
# argument over a built-in scenario, or merge, the shard outputs in tools/fuzz/corpus/merge/;
# default: scenarios and recordings in turn; SECONDS: stop after that long even if COUNT inputs
# have not run), simulates every 4th accepted one, saves findings in
# build/fuzz-findings/ and prints as its last line
#   {"executions": N, "crashes": C, "hangs": H, "internal_errors": E}
# Exit 0 only when C = H = E = 0. Build first: cmake --build build --target ptosim-fuzz
set -euo pipefail
cd "$(dirname "$0")/../.."
count="${1:?usage: tools/fuzz/run.sh COUNT [SEED [TARGET [SECONDS]]]}"
seed="${2:-1}"
target=()
[[ -n "${3:-}" ]] && target=(--target "$3")
[[ -n "${4:-}" ]] && target+=(--seconds "$4")
fuzz="${PTOSIM_FUZZ:-build/ptosim-fuzz}"
[[ -x "$fuzz" ]] || { echo "error: $fuzz not found; build first: cmake --build build --target ptosim-fuzz" >&2; exit 2; }
exec "$fuzz" --count "$count" --seed "$seed" "${target[@]}" --simulate-every 4 --save "build/fuzz-findings/${3:-all}" \
  scenarios/catalog tools/fuzz/corpus tools/fuzz/corpus/merge
