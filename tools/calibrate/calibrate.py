#!/usr/bin/env python3
"""Fits named cost parameters of ptosim scenarios to device figures.

usage: calibrate.py TABLE.json [--ptosim build/ptosim] [--out DIR] [--check RESULT.json] [--jobs N]

TABLE.json lists the free parameters (name, JSON pointer, start value, bounds), the seeds, and the
device figures (scenario file, --set overrides, measured elapsed and orchestrator microseconds,
where each figure comes from). The tool runs `ptosim run --json` of every figure's scenario over
the seeds with the parameters applied through --set, takes the median sim_time_ns and
timing.orchestrator_ns, and minimises the sum of squared relative errors with a damped
Gauss-Newton (Levenberg-Marquardt) iteration on integer parameters: fixed start, fixed step
rules, fixed iteration budget, so the same table and binary give the same fit.

Writes DIR/fit.json (parameters, their standard errors, per-figure errors) and DIR/overlay.set
(one `--set POINTER=VALUE` per line, for `ptosim run FILE $(cat overlay.set)`).
--check RESULT.json evaluates the committed fit once and exits 1 unless it reproduces its
per-figure medians exactly and every error is within the table's tolerance.

Python standard library only.
"""
import argparse
import concurrent.futures
import json
import math
import os
import subprocess
import sys


def parse_seeds(text):
    first, last = text.split("..")
    return list(range(int(first), int(last) + 1))


def run_one(ptosim, scenario, sets, seed):
    cmd = [ptosim, "run", scenario, "--seed", str(seed), "--json"]
    for item in sets:
        cmd += ["--set", item]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"calibrate: {' '.join(cmd)} exited {out.returncode}: {out.stderr.strip()[:400]}")
    report = json.loads(out.stdout)
    return report["sim_time_ns"], report["timing"]["orchestrator_ns"]


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


class Model:
    def __init__(self, table, ptosim, jobs, root):
        self.table = table
        self.ptosim = ptosim
        self.jobs = jobs
        self.root = root
        self.seeds = parse_seeds(table["seeds"])
        self.figures = [f for f in table["figures"] if f.get("scenario")]
        self.cache = {}

    def sets(self, values):
        return [f"{p['pointer']}={v}" for p, v in zip(self.table["parameters"], values)]

    def medians(self, values):
        """Per figure: (median elapsed ns, median orchestrator ns)."""
        key = tuple(values)
        if key in self.cache:
            return self.cache[key]
        jobs = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=self.jobs) as pool:
            for fig in self.figures:
                sets = self.sets(values) + fig.get("overrides", [])
                path = os.path.join(self.root, fig["scenario"])
                jobs.append([pool.submit(run_one, self.ptosim, path, sets, s) for s in self.seeds])
            result = []
            for futures in jobs:
                runs = [f.result() for f in futures]
                result.append((median([r[0] for r in runs]), median([r[1] for r in runs])))
        self.cache[key] = result
        return result

    def residuals(self, values):
        res = []
        for fig, (elapsed, orch) in zip(self.figures, self.medians(values)):
            res.append(elapsed / (fig["elapsed_us"] * 1000.0) - 1.0)
            if fig.get("orchestrator_us") is not None:
                res.append(orch / (fig["orchestrator_us"] * 1000.0) - 1.0)
        return res


def solve(matrix, vector):
    """Gaussian elimination with partial pivoting; None when singular."""
    n = len(vector)
    m = [row[:] + [v] for row, v in zip(matrix, vector)]
    for i in range(n):
        pivot = max(range(i, n), key=lambda r: abs(m[r][i]))
        if abs(m[pivot][i]) < 1e-300:
            return None
        m[i], m[pivot] = m[pivot], m[i]
        for r in range(n):
            if r != i:
                f = m[r][i] / m[i][i]
                m[r] = [a - f * b for a, b in zip(m[r], m[i])]
    return [m[i][n] / m[i][i] for i in range(n)]


def inverse(matrix):
    n = len(matrix)
    cols = [solve(matrix, [1.0 if r == c else 0.0 for r in range(n)]) for c in range(n)]
    if any(c is None for c in cols):
        return None
    return [[cols[c][r] for c in range(n)] for r in range(n)]


def clamp(params, values):
    return [int(min(p.get("max", 10**12), max(p.get("min", 0), round(v)))) for p, v in zip(params, values)]


def jacobian(model, values, params):
    base = model.residuals(values)
    columns, steps = [], []
    for i, p in enumerate(params):
        step = max(1, int(abs(values[i]) * 0.05))
        moved = values[:]
        moved[i] += step
        res = model.residuals(clamp(params, moved))
        columns.append([(a - b) / step for a, b in zip(res, base)])
        steps.append(step)
    return base, [[columns[j][i] for j in range(len(params))] for i in range(len(base))]


def fit(model, iterations):
    params = model.table["parameters"]
    values = clamp(params, [p["start"] for p in params])
    lam = 1e-3
    for _ in range(iterations):
        base, jac = jacobian(model, values, params)
        cost = sum(r * r for r in base)
        jtj = [[sum(row[a] * row[b] for row in jac) for b in range(len(params))] for a in range(len(params))]
        jtr = [sum(row[a] * r for row, r in zip(jac, base)) for a in range(len(params))]
        improved = False
        for _ in range(6):
            damped = [[jtj[a][b] * (1 + lam if a == b else 1) for b in range(len(params))] for a in range(len(params))]
            delta = solve(damped, [-g for g in jtr])
            if delta is None:
                lam *= 10
                continue
            trial = clamp(params, [v + d for v, d in zip(values, delta)])
            trial_cost = sum(r * r for r in model.residuals(trial))
            if trial_cost < cost and trial != values:
                values, lam, improved = trial, max(lam / 10, 1e-6), True
                break
            lam *= 10
        sys.stderr.write(f"calibrate: iteration cost {cost:.6g} -> values {values}\n")
        if not improved:
            break
    return values


def report(model, values):
    params = model.table["parameters"]
    base, jac = jacobian(model, values, params)
    m, p = len(base), len(params)
    ssr = sum(r * r for r in base)
    jtj = [[sum(row[a] * row[b] for row in jac) for b in range(p)] for a in range(p)]
    cov = inverse(jtj)
    scale = ssr / (m - p) if m > p else float("nan")
    fitted = []
    for i, prm in enumerate(params):
        sigma = math.sqrt(cov[i][i] * scale) if cov is not None and cov[i][i] >= 0 and m > p else None
        fitted.append({"name": prm["name"], "pointer": prm["pointer"], "value": values[i],
                       "std_error": None if sigma is None else round(sigma, 3)})
    figures = []
    for fig, (elapsed, orch) in zip(model.figures, model.medians(values)):
        row = {"scenario": fig["scenario"], "overrides": fig.get("overrides", []),
               "elapsed_us": fig["elapsed_us"], "sim_elapsed_us": elapsed / 1000.0,
               "elapsed_error_pct": round(100 * (elapsed / (fig["elapsed_us"] * 1000.0) - 1), 3)}
        if fig.get("orchestrator_us") is not None:
            row.update({"orchestrator_us": fig["orchestrator_us"], "sim_orchestrator_us": orch / 1000.0,
                        "orchestrator_error_pct": round(100 * (orch / (fig["orchestrator_us"] * 1000.0) - 1), 3)})
        figures.append(row)
    return {"seeds": model.table["seeds"], "parameters": fitted, "figures": figures,
            "rms_relative_error_pct": round(100 * math.sqrt(ssr / m), 3)}


def print_report(result, out):
    out.write("parameter                 value      std error\n")
    for p in result["parameters"]:
        sigma = "n/a" if p["std_error"] is None else f"{p['std_error']:.1f}"
        out.write(f"  {p['name']:22s} {p['value']:>8d}   +/- {sigma}\n")
    out.write("figure                                             elapsed us (sim, err%)        orchestrator us (sim, err%)\n")
    for f in result["figures"]:
        name = os.path.basename(f["scenario"]) + ("" if not f["overrides"] else " " + " ".join(f["overrides"]))
        line = f"  {name:48s} {f['elapsed_us']:>9.1f} ({f['sim_elapsed_us']:.1f}, {f['elapsed_error_pct']:+.2f}%)"
        if "orchestrator_us" in f:
            line += f"   {f['orchestrator_us']:>9.1f} ({f['sim_orchestrator_us']:.1f}, {f['orchestrator_error_pct']:+.2f}%)"
        out.write(line + "\n")
    out.write(f"rms relative error {result['rms_relative_error_pct']:.3f}% over seeds {result['seeds']} (medians)\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("table")
    ap.add_argument("--ptosim", default="build/ptosim")
    ap.add_argument("--out", default=None, help="directory for fit.json and overlay.set (default: the table's)")
    ap.add_argument("--check", default=None, help="a committed fit.json to reproduce")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=8)
    args = ap.parse_args()
    with open(args.table) as f:
        table = json.load(f)
    root = os.path.dirname(os.path.abspath(args.table))
    root = os.path.join(root, table.get("root", "."))
    model = Model(table, os.path.abspath(args.ptosim), args.jobs, root)
    if args.check:
        with open(args.check) as f:
            committed = json.load(f)
        values = [p["value"] for p in committed["parameters"]]
        figures = []
        for fig, (elapsed, orch) in zip(model.figures, model.medians(values)):
            figures.append((elapsed / 1000.0, orch / 1000.0))
        ok = True
        tol = table.get("tolerance_pct", 3.0)
        for want, (elapsed, orch) in zip(committed["figures"], figures):
            if abs(want["sim_elapsed_us"] - elapsed) > 1e-9 or abs(want.get("sim_orchestrator_us", orch) - orch) > 1e-9:
                print(f"calibrate: {want['scenario']}: medians {elapsed}/{orch} us differ from the committed fit")
                ok = False
            errors = [want["elapsed_error_pct"]] + ([want["orchestrator_error_pct"]] if "orchestrator_error_pct" in want else [])
            if any(abs(e) > tol for e in errors):
                print(f"calibrate: {want['scenario']}: error {errors} beyond {tol}%")
                ok = False
        print("calibrate: committed fit reproduced" if ok else "calibrate: committed fit NOT reproduced")
        return 0 if ok else 1
    values = fit(model, args.iterations)
    result = report(model, values)
    out_dir = args.out or os.path.dirname(os.path.abspath(args.table))
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "fit.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "overlay.set"), "w") as f:
        for p in result["parameters"]:
            f.write(f"--set {p['pointer']}={p['value']}\n")
    print_report(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
