#!/usr/bin/env bash
# Compares what two builds of ptosim print, for a change that must not change behaviour:
#   - every catalogue and bench scenario: `check`, `check --json`, and the outcome and digest of
#     `run --seed 1 --json` (with SEEDS="0 1 2", those seeds);
#   - with MUTANTS=N, N mutated copies of each catalogue file (tools/bench/mutate_scenarios.py,
#     seed MUTATION_SEED): `check` prints the same first error, or the same analysis, with the
#     same exit code.
# Prints each difference and exits 1 if there is one.
# Usage: tools/bench/compare_outputs.sh BASE_PTOSIM NEW_PTOSIM
set -uo pipefail
cd "$(dirname "$0")/../.."
base=$(realpath "$1")
new=$(realpath "$2")
seeds="${SEEDS:-1}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
differences=0

compare() {  # compare LABEL COMMAND...: runs the command with each build ({} is the binary)
  local label=$1
  shift
  "${@/#\{\}/$base}" > "$work/base" 2>&1
  echo "exit $?" >> "$work/base"
  "${@/#\{\}/$new}" > "$work/new" 2>&1
  echo "exit $?" >> "$work/new"
  if ! cmp -s "$work/base" "$work/new"; then
    echo "DIFFERENT: $label"
    diff "$work/base" "$work/new" | head -6
    differences=$((differences + 1))
  fi
}

digest() { "$@" 2>/dev/null | grep -o '"outcome": "[a-z_]*"\|"digest": "[^"]*"' | head -2; }

files=(scenarios/catalog/*.json scenarios/bench/*.json)
for f in "${files[@]}"; do
  compare "check $f" {} check "$f"
  compare "check --json $f" {} check "$f" --json
  for s in $seeds; do compare "run $f --seed $s" digest {} run "$f" --seed "$s" --json; done
done
echo "${#files[@]} scenario files compared"

if [[ "${MUTANTS:-0}" -gt 0 ]]; then
  python3 tools/bench/mutate_scenarios.py "$work/mutants" "$MUTANTS" "${MUTATION_SEED:-1}" scenarios/catalog/*.json
  count=0
  for m in "$work"/mutants/*.json; do
    compare "check $(basename "$m")" timeout 60 {} check "$m"
    count=$((count + 1))
  done
  echo "$count mutated scenarios compared"
fi
echo "$differences differences"
[[ $differences -eq 0 ]]
