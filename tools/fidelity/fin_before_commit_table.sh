#!/usr/bin/env bash
# Onset of the cross-core race (producer_fin_before_commit.json) with the producer's store size:
# the share of seeds with wrong values per size, for the catalogue's parameters and for two other
# commit-delay ranges. Prints a Markdown table (docs/fidelity.md).
# Usage: tools/fidelity/fin_before_commit_table.sh [build/ptosim] [seeds]
set -euo pipefail
PTOSIM=${1:-build/ptosim}
SEEDS=${2:-0..99}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SIZES="1 2 4 6 7 8 10 12"
printf "| commit delay (ns) |"; for r in $SIZES; do printf " %s KiB |" "$r"; done; echo
printf "| --- |"; for r in $SIZES; do printf " --- |"; done; echo
for commit in "0 200" "0 600" "0 1000"; do
  printf "| %s |" "${commit/ /..}"
  for rows in $SIZES; do
    python3 "$HERE/fin_before_commit_scenarios.py" "$WORK" --only race --rows "$rows" --commit $commit
    "$PTOSIM" sweep "$WORK/producer_fin_before_commit.json" --seeds "$SEEDS" --jobs 2 --json > "$WORK/sweep.json" || true
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(' %d%% |' % round(100*d['outcomes']['wrong_values']/d['runs']), end='')" "$WORK/sweep.json"
  done
  echo
done
