#!/usr/bin/env bash
# How fast each exploration strategy finds each bug of the catalogue (docs/exploration.md keeps the
# table, with this command). For every catalogue scenario whose expectations demand a failure
# (`ptosim check --json` says "expects_failures": true: an outcome other than pass must appear, or
# every seed must end in one), it sweeps the same seeds under random and pct with depth 1, 2 and 3
# and prints, per cell: the first failing seed, the seeds a user waits per failure (the inverse of
# the failure rate), the failure rate with its 95% Wilson interval, and seeds per second; then
# which strategy finds each bug fastest (the highest failure rate). New bug scenarios
# are picked up without editing this script.
#
# Usage: tools/explore/measure.sh [SEEDS] [JOBS] [path/to/ptosim]   (defaults: 1000, all cores)
# Wall-clock figures (seeds/s) depend on the machine's load: say what it was when you quote them.
# A failure is a run that did not pass (findings are static, reported on every seed). Needs python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
seeds="${1:-1000}"
jobs="${2:-$(nproc)}"
ptosim="${3:-build/ptosim}"
[[ -x "$ptosim" ]] || { echo "error: $ptosim not found; build first (tools/setup.sh demo)" >&2; exit 2; }
[[ "$seeds" =~ ^[1-9][0-9]*$ ]] || { echo "error: SEEDS must be a positive integer" >&2; exit 2; }

percent() { awk -v x="$1" 'BEGIN { printf "%.1f%%", 100 * x }'; }

bugs=()
for file in scenarios/catalog/*.json; do
  # check exits 7 for a program with races: its output still says what the file expects.
  report=$("$ptosim" check "$file" --json) || [[ $? -eq 7 ]] || { echo "error: check of $file failed" >&2; exit 1; }
  if grep -q '"expects_failures": true' <<<"$report"; then bugs+=("$file"); fi
done
((${#bugs[@]} > 0)) || { echo "error: no bug scenario in scenarios/catalog" >&2; exit 1; }

echo "ptosim exploration measurements: seeds 0..$((seeds - 1)) per cell, --jobs $jobs, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| scenario | strategy | first failing seed | seeds per failure (1/rate) | failing seeds | failure rate (95% Wilson) | seeds/s |"
echo "| --- | --- | ---: | ---: | ---: | --- | ---: |"
summary=()
for file in "${bugs[@]}"; do
  name=$(basename "$file" .json)
  best=""
  best_first=""
  best_rate=""
  for strategy in "random" "pct 1" "pct 2" "pct 3"; do
    set -- $strategy
    args=(--strategy "$1")
    label="$1"
    if [[ "$1" == "pct" ]]; then
      args+=(--depth "$2")
      label="pct d=$2"
    fi
    # Exit code 5 (expectations not met over this range) still measures; anything else is an error.
    out=$("$ptosim" sweep "$file" --seeds "0..$((seeds - 1))" --jobs "$jobs" "${args[@]}" --json 2>/dev/null) || [[ $? -eq 5 ]] ||
      { echo "error: sweep of $file with $label failed" >&2; exit 1; }
    # A failure here is a run that did not pass (an outcome other than pass, or a run that could
    # not complete). Findings are left out: they are properties of the program, reported on every
    # seed whatever the schedule, so they say nothing about how fast a strategy finds the bug.
    read -r runs failing first rate low high rate_per_s <<<"$(python3 -c '
import json, math, sys
d = json.load(sys.stdin)
runs = d["runs"]
failing = runs - d["outcomes"]["pass"]
firsts = [e["seed"] for e in d["failing_seeds"] if e["outcome"] != "pass"]
rate = failing / runs if runs else 0.0
z = 1.959963984540054
if runs:
    center = (rate + z * z / (2 * runs)) / (1 + z * z / runs)
    half = z * math.sqrt(rate * (1 - rate) / runs + z * z / (4 * runs * runs)) / (1 + z * z / runs)
    low, high = max(0.0, center - half), min(1.0, center + half)
else:
    low, high = 0.0, 1.0
if failing == 0: low = 0.0
if failing == runs: high = 1.0
print(runs, failing, firsts[0] if firsts else "null", rate, low, high, d["seeds_per_second"] or 0)
' <<<"$out")"
    first_text="none"
    [[ "$first" != "null" ]] && first_text="$first"
    # How many seeds a user waits for a failure on average: the failure rate's inverse.
    per_failure=$(awk -v r="$rate" 'BEGIN { if (r > 0) printf "%.1f", 1 / r; else print "-" }')
    printf '| %s | %s | %s | %s | %s/%s | %s (%s .. %s) | %.0f |\n' "$name" "$label" "$first_text" "$per_failure" \
      "$failing" "$runs" "$(percent "$rate")" "$(percent "$low")" "$(percent "$high")" "$rate_per_s"
    # Fastest: the highest failure rate (fewest seeds per failure, the expectation a user lives
    # with); a tie goes to the lower first failing seed (one sample, so only a tie-break).
    if [[ "$first" != "null" ]]; then
      if [[ -z "$best" ]] || [[ $(awk -v a="$rate" -v b="$best_rate" 'BEGIN { print (a > b) }') == 1 ]] ||
         [[ "$rate" == "$best_rate" && "$first" -lt "$best_first" ]]; then
        best="$label"
        best_first="$first"
        best_rate="$rate"
      fi
    fi
  done
  if [[ -n "$best" ]]; then
    summary+=("- $name: $best (failure rate $(percent "$best_rate"), one failure per $(awk -v r="$best_rate" 'BEGIN { printf "%.1f", 1 / r }') seeds, first failing seed $best_first)")
  else
    summary+=("- $name: no strategy failed within $seeds seeds")
  fi
done
echo
echo "Fastest strategy per bug (highest failure rate, then lowest first failing seed):"
printf '%s\n' "${summary[@]}"
