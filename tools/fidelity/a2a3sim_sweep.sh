#!/usr/bin/env bash
# Measures when the legacy 100,000-spin heuristic misfires on the simulator board (a2a3sim):
# the deadlock_false rate of scenarios/catalog/false_deadlock_a2a3sim.json over a seed range,
# varying one property at a time (host CPUs, background threads, the kernels' host compute,
# the cost of one orchestrator spin). Prints Markdown tables (docs/fidelity.md holds a run).
#
#   tools/fidelity/a2a3sim_sweep.sh                 # every table, seeds 0..199, 2 jobs
#   SEEDS=0..49 TABLES="cpus" CPU_POINTS="16 24" tools/fidelity/a2a3sim_sweep.sh
#
# Needs jq and a built ptosim (PTOSIM, default build/ptosim). Long: not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/../.."
PTOSIM=${PTOSIM:-build/ptosim}
SEEDS=${SEEDS:-0..199}
JOBS=${JOBS:-2}
BASE=${BASE:-scenarios/catalog/false_deadlock_a2a3sim.json}
TABLES=${TABLES:-"cpus background compute spin"}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# One point: a label and a jq filter applied to the base scenario (its expectations dropped).
point() {
  local label=$1 filter=$2 file="$WORK/point.json" result
  jq "($filter) | del(.expect)" "$BASE" > "$file"
  result=$("$PTOSIM" sweep "$file" --seeds "$SEEDS" --jobs "$JOBS" --json 2>/dev/null || true)
  if [ -z "$result" ]; then
    echo "| $label | error: $("$PTOSIM" check "$file" 2>&1 | head -1) | | | |"
    return
  fi
  echo "$result" | jq -r --arg name "$label" '.outcomes as $o | ($o | add) as $n |
    "| \($name) | \($o.deadlock_false) / \($n) | \($o.pass) | \($o.deadlock_true) | \($n - $o.pass - $o.deadlock_false - $o.deadlock_true) |"'
}

header() {
  echo
  echo "$1 (seeds $SEEDS; everything else as in $(basename "$BASE"))"
  echo
  echo "| $2 | deadlock_false | pass | deadlock_true | other |"
  echo "| --- | ---: | ---: | ---: | ---: |"
}

threads=$(jq '.platform.clusters * 3 + .platform.scheduler_threads + 1' "$BASE")
background=$(jq '.platform.background_threads' "$BASE")

for table in $TABLES; do
  case $table in
    cpus)
      header "Host CPUs ($threads runtime threads + $background background threads)" "host_cpus"
      for cpus in ${CPU_POINTS:-2 4 8 12 16 20 24 28 32 $((threads + background))}; do
        point "$cpus" ".platform.host_cpus = $cpus"
      done
      ;;
    background)
      header "Background threads (computing without pause)" "background_threads"
      for bg in ${BACKGROUND_POINTS:-0 4 8 16}; do
        point "$bg" ".platform.background_threads = $bg"
      done
      ;;
    compute)
      header "Kernels' host compute, scaled (at 1x: qk and pv 0.6..3 ms, sf 60..300 us, up 30..150 us)" "host compute"
      for scale in ${COMPUTE_POINTS:-0.3 0.6 1 2}; do
        point "${scale}x" ".kernels |= map_values(.host_compute_ns |= map(. * $scale | floor | if . < 1 then 1 else . end))"
      done
      ;;
    spin)
      header "Cost of one orchestrator spin (pause + sched_yield; 100..400 ns in the file)" "spin_ns"
      for spin in ${SPIN_POINTS:-100 200 400 1000}; do
        point "$spin" ".platform.host_costs.spin_ns = $spin"
      done
      ;;
    *) echo "unknown table '$table'" >&2; exit 2 ;;
  esac
done
