#!/usr/bin/env bash
# For EVERY catalogue file: `merge` of its untouched shards (--shard 1/2 and 2/2) must equal the
# unsharded sweep of the same seeds: the same exit code, verdict (expectations hold or not, and
# the violations) and counts (runs, outcomes, findings, wrong tensors, failing seeds, failure
# rates). A few seeds per file keep it within CI's budget.
#   shard_merge_equivalence.sh PTOSIM CATALOG_DIR [SEEDS]
set -uo pipefail
ptosim="${1:?usage: shard_merge_equivalence.sh PTOSIM CATALOG_DIR [SEEDS]}"
catalog="${2:?usage: shard_merge_equivalence.sh PTOSIM CATALOG_DIR [SEEDS]}"
seeds="${3:-0..5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
compared=0
mismatches=0
for file in "$catalog"/*.json; do
  name="$(basename "$file" .json)"
  "$ptosim" sweep "$file" --seeds "$seeds" --jobs 2 --json > "$work/whole.json" 2> /dev/null
  whole_code=$?
  "$ptosim" sweep "$file" --seeds "$seeds" --jobs 2 --json --shard 1/2 > "$work/s1.json" 2> /dev/null
  s1_code=$?
  "$ptosim" sweep "$file" --seeds "$seeds" --jobs 2 --json --shard 2/2 > "$work/s2.json" 2> /dev/null
  s2_code=$?
  "$ptosim" merge "$work/s1.json" "$work/s2.json" --json > "$work/merged.json" 2> "$work/merge.err"
  merged_code=$?
  # An unjudged shard exits 0 unless a run could not complete (8): never 5.
  for code in "$s1_code" "$s2_code"; do
    if [[ "$code" != 0 && "$code" != 8 ]]; then
      echo "MISMATCH $name: a shard exited $code" >&2
      mismatches=$((mismatches + 1))
    fi
  done
  if ! python3 - "$work/whole.json" "$work/merged.json" "$whole_code" "$merged_code" "$name" <<'EOF'
import json, sys
whole_path, merged_path, whole_code, merged_code, name = sys.argv[1:]
whole, merged = json.load(open(whole_path)), json.load(open(merged_path))
fields = ["total", "runs", "outcomes", "findings", "wrong_tensors", "failed_runs", "failing", "failure_rate",
          "outcome_failing", "outcome_failure_rate", "first_failing_seed", "first_outcome_failing_seed",
          "failing_seeds_unlisted", "expect"]
problems = [f"{f}: sweep {whole.get(f)!r} merge {merged.get(f)!r}" for f in fields if whole.get(f) != merged.get(f)]
seeds = lambda doc: sorted((s.get("seed"), s.get("outcome")) for s in doc.get("failing_seeds", []))
if seeds(whole) != seeds(merged):
    problems.append("failing_seeds differ")
verdict = lambda doc: (doc["expectations"].get("holds"), doc["expectations"].get("violations"))
if verdict(whole) != verdict(merged):
    problems.append(f"expectations: sweep {verdict(whole)!r} merge {verdict(merged)!r}")
if whole_code != merged_code:
    problems.append(f"exit code: sweep {whole_code} merge {merged_code}")
for p in problems:
    print(f"MISMATCH {name}: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
  then
    mismatches=$((mismatches + 1))
  fi
  compared=$((compared + 1))
  echo "$name: sweep exit $whole_code, merge exit $merged_code"
done
echo "$compared catalogue files compared, $mismatches mismatches"
((compared > 0 && mismatches == 0))
