#!/usr/bin/env bash
# ptosim against the bare SimGrid program of Case1's shape (docs/performance.md, "The bare SimGrid
# program"): how much ptosim costs above the SimGrid calls its model cannot avoid.
#
# Runs `ptosim run scenarios/bench/paged_attention_case1_auto.json --seed 1` and
# `ptosim_bare_case1 --seed 1` interleaved (ptosim, bare, ptosim, bare, ...; PAIRS pairs, default
# 5) under /usr/bin/time, then each once under callgrind and once under the blocking-call counter,
# and prints for each program:
#   wall, user+sys CPU and max RSS: median of the runs (min..max);
#   the CPU ratio ptosim / bare of each pair: median (min..max);
#   instructions (valgrind --tool=callgrind, one run each; repeatable to within 0.1%);
#   SimGrid calls that suspend an actor, per task, by function and by function and actor
#   (libptosim_blocking_calls.so; tasks: 65,792 for ptosim, the count the bare program prints);
#   simulated time.
# Usage: tools/bench/bare_vs_ptosim.sh [--json] [--no-callgrind] [build-dir]
#   PAIRS=N  number of interleaved pairs (default 5)
# Needs only bash, /usr/bin/time, valgrind and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

json=0
callgrind=1
build=build
for argument in "$@"; do
  case "$argument" in
    --json) json=1 ;;
    --no-callgrind) callgrind=0 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "error: unknown option $argument" >&2; exit 2 ;;
    *) build="$argument" ;;
  esac
done
pairs="${PAIRS:-5}"
[[ "$pairs" =~ ^[1-9][0-9]*$ ]] || { echo "error: PAIRS must be a positive integer" >&2; exit 2; }

scenario=scenarios/bench/paged_attention_case1_auto.json
ptosim="$build/ptosim"
bare="$build/ptosim_bare_case1"
shim="$build/libptosim_blocking_calls.so"
for file in "$ptosim" "$bare" "$shim" /usr/bin/time; do
  [[ -e "$file" ]] || { echo "error: $file not found; build first (cmake --build $build -j2)" >&2; exit 2; }
done
if ((callgrind)) && ! command -v valgrind > /dev/null; then
  echo "error: valgrind not found (or pass --no-callgrind)" >&2
  exit 2
fi
shim="$(cd "$(dirname "$shim")" && pwd)/$(basename "$shim")"
ptosim_command=("$ptosim" run "$scenario" --seed 1)
bare_command=("$bare" --seed 1)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

# One timed run: appends "<program> <pair> <wall s> <user s> <sys s> <max RSS KiB>" to runs.txt.
timed_run() {
  local program="$1" pair="$2"
  shift 2
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" > "$work/$program.out" 2> "$work/$program.err" || {
    echo "error: $program failed:" >&2
    cat "$work/$program.err" >&2
    exit 1
  }
  echo "$program $pair $(tail -1 "$work/time")" >> "$work/runs.txt"
}

for ((pair = 1; pair <= pairs; pair++)); do
  timed_run ptosim "$pair" "${ptosim_command[@]}"
  timed_run bare "$pair" "${bare_command[@]}"
done
grep -q '^outcome pass' "$work/ptosim.out" || { echo "error: ptosim's run did not pass" >&2; exit 1; }

# Simulated time and task counts, from the last timed run of each.
sed -n 's/^sim_time_ns \([0-9]*\).*/ptosim sim_time_ns \1/p' "$work/ptosim.out" > "$work/facts.txt"
sed -n 's/^sim_time_ns \([0-9]*\).*/bare sim_time_ns \1/p' "$work/bare.out" >> "$work/facts.txt"
echo "ptosim tasks 65792" >> "$work/facts.txt"
sed -n 's/^tasks \([0-9]*\).*/bare tasks \1/p' "$work/bare.out" >> "$work/facts.txt"

# Blocking SimGrid calls, through the counter (one run each).
for program in ptosim bare; do
  command_var="${program}_command[@]"
  PTOSIM_BLOCKING_CALLS_BY_ACTOR=1 PTOSIM_BLOCKING_CALLS_OUT="$work/$program.blocking" LD_PRELOAD="$shim" \
    "${!command_var}" > /dev/null
done

# Instructions under callgrind (one run each).
if ((callgrind)); then
  for program in ptosim bare; do
    command_var="${program}_command[@]"
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "${!command_var}" > /dev/null 2> "$work/$program.callgrind"
    refs="$(sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' "$work/$program.callgrind" | tr -d ,)"
    [[ -n "$refs" ]] || { echo "error: no instruction count from callgrind for $program" >&2; exit 1; }
    echo "$program instructions $refs" >> "$work/facts.txt"
  done
fi
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$work" "$json" "$pairs" "$load_before" "$load_after" "$(nproc)" "${ptosim_command[*]}" "${bare_command[*]}" <<'PYTHON'
import json, statistics, sys

work, as_json, pairs, load_before, load_after, cores, ptosim_command, bare_command = sys.argv[1:]
programs = ("ptosim", "bare")

runs = {p: [] for p in programs}
with open(f"{work}/runs.txt") as f:
    for line in f:
        program, pair, wall, user, system, rss = line.split()
        runs[program].append({"pair": int(pair), "wall_s": float(wall), "cpu_s": round(float(user) + float(system), 2),
                              "max_rss_kib": int(rss)})
facts = {p: {} for p in programs}
with open(f"{work}/facts.txt") as f:
    for line in f:
        program, key, value = line.split()
        facts[program][key] = int(value)

def blocking(program):
    calls, by_actor, total = {}, {}, 0
    with open(f"{work}/{program}.blocking") as f:
        for line in f:
            count, name = line.rstrip("\n").split(" ", 1)
            if name == "total":
                total = int(count)
            elif " @ " in name:
                by_actor[name] = int(count)
            else:
                calls[name] = int(count)
    return calls, by_actor, total

def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}

result = {"pairs": int(pairs), "cores": int(cores), "load_average_before": load_before,
          "load_average_after": load_after, "commands": {"ptosim": ptosim_command, "bare": bare_command}}
for p in programs:
    calls, by_actor, total = blocking(p)
    tasks = facts[p]["tasks"]
    result[p] = {
        "wall_s": summary([r["wall_s"] for r in runs[p]]),
        "cpu_s": summary([r["cpu_s"] for r in runs[p]]),
        "max_rss_kib": summary([r["max_rss_kib"] for r in runs[p]]),
        "cpu_s_runs": [r["cpu_s"] for r in runs[p]],
        "instructions": facts[p].get("instructions"),
        "sim_time_ns": facts[p]["sim_time_ns"],
        "tasks": tasks,
        "blocking_calls": total,
        "blocking_calls_per_task": round(total / tasks, 4),
        "blocking_calls_by_function": calls,
        "blocking_calls_by_function_and_actor": by_actor,
    }
ratios = [round(a["cpu_s"] / b["cpu_s"], 3) for a, b in zip(runs["ptosim"], runs["bare"]) if b["cpu_s"] > 0]
result["cpu_ratio_ptosim_over_bare"] = summary(ratios) if ratios else None
if result["ptosim"]["instructions"] and result["bare"]["instructions"]:
    result["instruction_ratio_ptosim_over_bare"] = round(result["ptosim"]["instructions"] / result["bare"]["instructions"], 4)

if as_json == "1":
    print(json.dumps(result, indent=2))
    sys.exit(0)

def spread(s, fmt):
    return f"{fmt(s['median'])} ({fmt(s['min'])}..{fmt(s['max'])})"

seconds = lambda v: f"{v:.2f}"
mib = lambda v: f"{v / 1024:.0f}"
p, b = result["ptosim"], result["bare"]
print(f"ptosim vs the bare SimGrid program, Case1 seed 1: {pairs} interleaved pairs, {cores} cores, "
      f"load average {load_before} before, {load_after} after")
print(f"  ptosim: {ptosim_command}")
print(f"  bare:   {bare_command}")
rows = [
    ("", "ptosim", "bare program"),
    ("wall s, median (min..max)", spread(p["wall_s"], seconds), spread(b["wall_s"], seconds)),
    ("user+sys CPU s, median (min..max)", spread(p["cpu_s"], seconds), spread(b["cpu_s"], seconds)),
    ("max RSS MiB, median (min..max)", spread(p["max_rss_kib"], mib), spread(b["max_rss_kib"], mib)),
    ("instructions (callgrind)", f"{p['instructions']:,}" if p["instructions"] else "-",
     f"{b['instructions']:,}" if b["instructions"] else "-"),
    ("simulated ns", f"{p['sim_time_ns']:,}", f"{b['sim_time_ns']:,}"),
    ("tasks", f"{p['tasks']:,}", f"{b['tasks']:,}"),
    ("blocking SimGrid calls per task", f"{p['blocking_calls_per_task']:.3f} ({p['blocking_calls']:,})",
     f"{b['blocking_calls_per_task']:.3f} ({b['blocking_calls']:,})"),
]
for key, indent in (("blocking_calls_by_function", "  "), ("blocking_calls_by_function_and_actor", "    ")):
    if indent == "    ":
        rows.append(("  by actor ('#': any number)", "", ""))
    names = list(dict.fromkeys(list(p[key]) + list(b[key])))  # the counter's order
    if indent == "    ":
        names.sort(key=lambda n: n.split(" @ ")[1])  # grouped by actor, stable
    for name in names:
        row = [f"{indent}{name}"]
        for r in (p, b):
            count = r[key].get(name, 0)
            row.append(f"{count / r['tasks']:.3f} ({count:,})" if count else "-")
        rows.append(tuple(row))
width = max(len(r[0]) for r in rows)
for label, a, c in rows:
    print(f"  {label:<{width}}  {a:<28}  {c}".rstrip())
if result["cpu_ratio_ptosim_over_bare"]:
    print(f"  CPU ratio ptosim / bare, per pair: median {spread(result['cpu_ratio_ptosim_over_bare'], lambda v: f'{v:.2f}')}")
if "instruction_ratio_ptosim_over_bare" in result:
    print(f"  instruction ratio ptosim / bare: {result['instruction_ratio_ptosim_over_bare']:.2f}")
PYTHON
