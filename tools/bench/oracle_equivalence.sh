#!/usr/bin/env bash
# Compares what the oracles say with two ptosim binaries, file by file over the catalogue:
#   - `sweep F --seeds 0..199 --jobs 2 --json`: outcome counts, finding counts, wrong tensors,
#     and every failing seed with its outcome, summary, digest and findings;
#   - `check F --json`: the graph, the races and their findings;
#   - `run F --seed S --json` for the first failing seeds of each file (mismatch details) and for
#     seeds 0..DIGEST_SEEDS-1 (digests, timing, findings of passing runs too).
# Fields that name the binary or measure wall time are dropped before comparing. Prints one line
# per file and a verdict; exits 1 when anything differs.
# Usage: tools/bench/oracle_equivalence.sh BASE_PTOSIM NEW_PTOSIM [files...]
# (default files: scenarios/catalog/*.json; SEEDS=0..199, RUN_SEEDS=3 and DIGEST_SEEDS=10 override
# the ranges)
set -uo pipefail
cd "$(dirname "$0")/../.."
base="$1"
new="$2"
shift 2
files=("$@")
[[ ${#files[@]} -gt 0 ]] || files=(scenarios/catalog/*.json)
seeds="${SEEDS:-0..199}"
run_seeds="${RUN_SEEDS:-3}"
digest_seeds="${DIGEST_SEEDS:-10}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Drops the fields that differ by binary path or wall time.
normalise() {
  python3 -c '
import json, sys
def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items()
                if k not in ("program", "wall_seconds", "seeds_per_second", "repro", "wall_ms")}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value
print(json.dumps(strip(json.load(sys.stdin)), indent=1, sort_keys=True))
'
}

# The seeds of the first failing runs that are not a plain pass (wrong values, deadlocks ...).
failing_seeds() {
  python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
seeds = [s["seed"] for s in doc.get("failing_seeds", []) if s["outcome"] != "pass"]
print(" ".join(str(s) for s in seeds[: int(sys.argv[2])]))
' "$1" "$run_seeds"
}

differ=0
compared_runs=0
for file in "${files[@]}"; do
  name=$(basename "$file" .json)
  status="same"
  "$base" sweep "$file" --seeds "$seeds" --jobs 2 --json 2>/dev/null | normalise > "$work/$name.sweep.base"
  "$new" sweep "$file" --seeds "$seeds" --jobs 2 --json 2>/dev/null | normalise > "$work/$name.sweep.new"
  cmp -s "$work/$name.sweep.base" "$work/$name.sweep.new" || status="SWEEP DIFFERS"
  "$base" check "$file" --json 2>/dev/null | normalise > "$work/$name.check.base"
  "$new" check "$file" --json 2>/dev/null | normalise > "$work/$name.check.new"
  cmp -s "$work/$name.check.base" "$work/$name.check.new" || status="$status, CHECK DIFFERS"
  runs=""
  for seed in $(failing_seeds "$work/$name.sweep.base") $(seq 0 $((digest_seeds - 1))); do
    "$base" run "$file" --seed "$seed" --json 2>/dev/null | normalise > "$work/$name.run$seed.base"
    "$new" run "$file" --seed "$seed" --json 2>/dev/null | normalise > "$work/$name.run$seed.new"
    cmp -s "$work/$name.run$seed.base" "$work/$name.run$seed.new" || status="$status, RUN $seed DIFFERS"
    [[ " $runs " == *" $seed "* ]] || runs="$runs $seed"
    compared_runs=$((compared_runs + 1))
  done
  summary=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
o = {k: v for k, v in d["outcomes"].items() if v}
print(o, "findings", {k: v for k, v in d["findings"].items() if v}, "failing", d["failing"])
' "$work/$name.sweep.base")
  echo "$name: $status; $summary; runs compared:${runs:- none}"
  if [[ "$status" != "same" ]]; then
    differ=1
    diff "$work/$name.sweep.base" "$work/$name.sweep.new" | head -20
    diff "$work/$name.check.base" "$work/$name.check.new" | head -20
  fi
done
echo "files: ${#files[@]}, seeds $seeds each, single runs compared: $compared_runs"
if [[ $differ -ne 0 ]]; then
  echo "verdict: DIFFERENT"
  exit 1
fi
echo "verdict: identical"
