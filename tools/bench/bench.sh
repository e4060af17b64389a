#!/usr/bin/env bash
# Prints ptosim's throughput figures (docs/performance.md keeps them, with this command):
#   1. simulated tasks per wall-second, 50,000-task chain-and-fan-out program
#   2. simulated tasks per wall-second, paged-attention Case1 (65,792 tasks) in AUTO mode
#   3. seeds per second of `ptosim sweep` on the flagship scenario with --jobs 2
# Each figure is the median of REPEAT runs (default 3). `ptosim check` (parse and expand the
# scenario, build the task graph, run the race detector) is reported separately; "run minus
# check" is the simulation plus the data oracle.
# With INSTRUCTIONS=1 it also counts instructions under callgrind (valgrind), which are repeatable
# on a noisy machine where wall times are not (about a minute per workload).
# Usage: tools/bench/bench.sh [path/to/ptosim]
set -euo pipefail
cd "$(dirname "$0")/../.."
ptosim="${1:-build/ptosim}"
repeat="${REPEAT:-3}"
[[ -x "$ptosim" ]] || { echo "error: $ptosim not found; build first (tools/setup.sh demo)" >&2; exit 2; }

now_ns() { date +%s%N; }
# median wall time in ms of a command, run $repeat times
median_ms() {
  local times=()
  for ((i = 0; i < repeat; i++)); do
    local start end
    start=$(now_ns)
    "$@" > /dev/null
    end=$(now_ns)
    times+=($(((end - start) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((repeat + 1) / 2))p"
}

tasks_of() { "$ptosim" check "$1" --json | sed -n 's/^  "tasks": \([0-9]*\).*/\1/p' | head -1; }
# A throughput figure means something only for a run that simulated the whole program.
require_pass() {
  local outcome
  outcome=$("$ptosim" run "$1" --seed 1 --json | sed -n 's/.*"outcome": "\([a-z_]*\)".*/\1/p')
  [[ "$outcome" == "pass" ]] || { echo "error: $1 ended in '$outcome', not pass: no figure" >&2; exit 1; }
}

echo "ptosim benchmark: $(nproc) cores, $(uname -m), median of $repeat runs"
printf '%-34s %9s %9s %9s %14s\n' "workload" "tasks" "check_ms" "run_ms" "tasks/wall-s"
for scenario in scenarios/bench/chain_fanout_50k.json scenarios/bench/paged_attention_case1_auto.json; do
  require_pass "$scenario"
  tasks=$(tasks_of "$scenario")
  load=$(median_ms "$ptosim" check "$scenario")
  run=$(median_ms "$ptosim" run "$scenario" --seed 1)
  sim=$((run - load > 0 ? run - load : 1))
  printf '%-34s %9d %9d %9d %14d   (run minus check: %d tasks/s)\n' "$(basename "$scenario" .json)" "$tasks" "$load" "$run" \
    $((tasks * 1000 / run)) $((tasks * 1000 / sim))
done

seeds=200
"$ptosim" sweep scenarios/catalog/paged_attention_flagship.json --seeds 0..$((seeds - 1)) --jobs 2 > /dev/null ||
  { echo "error: the flagship sweep did not meet its expectations: no figure" >&2; exit 1; }
sweep=$(median_ms "$ptosim" sweep scenarios/catalog/paged_attention_flagship.json --seeds 0..$((seeds - 1)) --jobs 2)
printf 'sweep paged_attention_flagship, %d seeds, --jobs 2: %d ms, %d seeds/s\n' "$seeds" "$sweep" $((seeds * 1000 / sweep))

if [[ "${INSTRUCTIONS:-0}" == "1" ]]; then
  command -v valgrind >/dev/null || { echo "INSTRUCTIONS=1 needs valgrind" >&2; exit 2; }
  count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
      sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
  }
  printf '%-34s %16s %16s\n' "workload (instructions)" "check" "run"
  for scenario in scenarios/bench/chain_fanout_50k.json scenarios/bench/paged_attention_case1_auto.json; do
    printf '%-34s %16s %16s\n' "$(basename "$scenario" .json)" "$(count "$ptosim" check "$scenario")" \
      "$(count "$ptosim" run "$scenario" --seed 1)"
  done
fi
