#!/usr/bin/env bash
# How the outcome mix of store_load_race_rmsnorm_rope.json moves with the two parameters no
# source gives: the per-burst commit delay range and the mte_hang chance. Prints a Markdown table
# (docs/fidelity.md). Usage: tools/fidelity/store_load_table.sh [build/ptosim] [seeds]
set -euo pipefail
PTOSIM=${1:-build/ptosim}
SEEDS=${2:-0..199}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "| commit delay (ns) | mte_hang chance | pass | wrong_values | hang | visibility_hazard |"
echo "| --- | --- | --- | --- | --- | --- |"
for commit in "0 100" "0 150" "0 200" "0 300" "0 400" "50 250" "100 300" "0 1000"; do
  for hang in "1 4" "1 20"; do
    python3 "$HERE/store_load_scenarios.py" "$WORK" --only race --commit $commit --hang $hang
    "$PTOSIM" sweep "$WORK/store_load_race_rmsnorm_rope.json" --seeds "$SEEDS" --jobs 2 --json > "$WORK/sweep.json" || true
    python3 - "$WORK/sweep.json" "$commit" "$hang" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
o = d["outcomes"]; runs = d["runs"]
lo, hi = sys.argv[2].split(); num, den = sys.argv[3].split()
print(f"| {lo}..{hi} | {num}/{den} | {o['pass']} | {o['wrong_values']} | {o['hang']} | {d['findings'].get('visibility_hazard', 0)}/{runs} |")
PY
  done
done
