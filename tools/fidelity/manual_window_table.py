#!/usr/bin/env python3
"""How far a manual-scope paged-attention Case1 fills its ring-1 task window (docs/fidelity.md).

Runs `ptosim run --json` for seeds A..B at each configuration (scenario file, ring sizes, a factor
on the scheduler's per-task costs, detector generation) and prints one Markdown row per
configuration: outcomes with their runtime codes, ring 1's peak of tasks in flight, the
orchestrator's time blocked on ring 1's task window and dep pool, and the median elapsed time.
A `sweep` gives the same outcomes but not the per-run ring figures, hence one run per seed.

Usage: tools/fidelity/manual_window_table.py [build/ptosim] [A..B]
"""
import concurrent.futures
import json
import subprocess
import sys
from collections import Counter

BENCH = "scenarios/bench/"
ONE_SCOPE = BENCH + "paged_attention_case1_manual_one_scope.json"
PER_SEQUENCE = BENCH + "paged_attention_case1_manual_scope.json"
# The scheduler's per-task terms at their defaults (docs/scenario-format.md); idle iterations,
# the deferred-release cap and the dummy batch stay as they are.
SCHEDULER_NS = {"poll_per_running_core_ns": 100, "complete_ns": 300, "release_consumer_ns": 200,
                "dispatch_ns": 400, "deferred_release_ns": 100}
# (file, ring fields, scheduler cost factor, detectors); "legacy" is the 100,000-spin last_alive
# heuristic the runtime had when PR #1086 was written (PR #1132 replaced it).
CONFIGS = [
    (ONE_SCOPE, {"task_window": 16384}, 1, "current"),
    (ONE_SCOPE, {"task_window": 32768}, 1, "current"),
    (ONE_SCOPE, {"task_window": 32768, "dep_pool": 32768}, 1, "current"),
    (ONE_SCOPE, {"task_window": 131072, "dep_pool": 131072}, 1, "current"),
    (ONE_SCOPE, {"task_window": 131072, "dep_pool": 131072, "heap_bytes": 1 << 30}, 1, "current"),
] + [(PER_SEQUENCE, {"task_window": 16384}, f, "current") for f in (0.5, 1, 1.05, 1.1, 1.25, 1.5, 2, 3)] + [
    (PER_SEQUENCE, {"task_window": 32768}, f, "current") for f in (1, 1.1, 1.25, 2, 3)] + [
    (PER_SEQUENCE, {"task_window": 8192}, 1.25, "current"),
    (PER_SEQUENCE, {"task_window": 32768, "dep_pool": 32768}, 1.25, "current"),
    (PER_SEQUENCE, {"task_window": 32768, "dep_pool": 32768}, 2, "current"),
    (PER_SEQUENCE, {"task_window": 65536, "dep_pool": 65536}, 2, "current"),
] + [(PER_SEQUENCE, {"task_window": 16384}, f, "legacy") for f in (1.25, 1.5, 2, 3)] + [
    (PER_SEQUENCE, {"task_window": 32768}, f, "legacy") for f in (2, 3)] + [
    (PER_SEQUENCE, {"task_window": 32768, "dep_pool": 32768}, 3, "legacy"),
]


def overrides(ring, factor, detectors):
    sets = ["/runtime/ring=" + json.dumps(ring, separators=(",", ":"))]
    if factor != 1:
        costs = {key: round(ns * factor) for key, ns in SCHEDULER_NS.items()}
        sets.append("/runtime/scheduler_costs=" + json.dumps(costs, separators=(",", ":")))
    if detectors != "current":
        sets.append('/runtime/detectors={"kind":"%s"}' % detectors)
    return sets


def run(ptosim, path, sets, seed):
    cmd = [ptosim, "run", path, "--seed", str(seed), "--json"]
    for s in sets:
        cmd += ["--set", s]
    doc = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=False).stdout)
    ring = doc["timing"]["rings"][1]
    error = doc.get("runtime_error") or {}
    return {"outcome": doc["outcome"], "code": error.get("code"), "peak": ring["peak_tasks_in_flight"],
            "window_ns": ring["blocked_ns"]["task_window"], "dep_pool_ns": ring["blocked_ns"]["dep_pool"],
            "heap_ns": ring["blocked_ns"]["heap"], "sim_ns": doc["sim_time_ns"]}


def spread(values):
    values = sorted(values)
    low, mid, high = values[0], values[len(values) // 2], values[-1]
    return str(mid) if low == high else "%d (%d..%d)" % (mid, low, high)


def row(ptosim, seeds, config):
    path, ring, factor, detectors = config
    sets = overrides(ring, factor, detectors)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda s: run(ptosim, path, sets, s), seeds))
    outcomes = Counter(r["outcome"] + ("" if r["code"] is None else " (%d)" % r["code"]) for r in runs)
    ring_text = ", ".join("%s %d" % (k.replace("_bytes", "").replace("task_", ""), v) for k, v in ring.items())
    cells = [path.replace(BENCH, "").replace("paged_attention_case1_", "").replace(".json", ""), ring_text,
             "x%g" % factor + ("" if detectors == "current" else ", legacy"),
             ", ".join("%s %d" % kv for kv in sorted(outcomes.items())), spread([r["peak"] for r in runs]),
             spread([r["window_ns"] for r in runs]), spread([r["dep_pool_ns"] + r["heap_ns"] for r in runs]),
             "%.1f" % (sorted(r["sim_ns"] for r in runs)[len(runs) // 2] / 1000)]
    return "| " + " | ".join(cells) + " |"


def main():
    ptosim = sys.argv[1] if len(sys.argv) > 1 else "build/ptosim"
    first, last = (sys.argv[2] if len(sys.argv) > 2 else "0..19").split("..")
    seeds = range(int(first), int(last) + 1)
    print("| file | ring 1 | scheduler costs | outcomes | peak tasks in flight | ns blocked on the window "
          "| ns blocked on dep pool / heap | elapsed us (median) |")
    print("| --- | --- | --- | --- | ---: | ---: | ---: | ---: |")
    for config in CONFIGS:
        print(row(ptosim, seeds, config), flush=True)


if __name__ == "__main__":
    main()
