#!/usr/bin/env python3
"""Writes mutated copies of scenario files, for comparing how two builds of ptosim reject them.

Each mutant changes one to three places, mostly inside /program: a key removed or added, a list
entry dropped or repeated, a string edited a little, or a value replaced by one from a list of
likely troublemakers (expressions that divide by zero or name unknown variables, out-of-range
numbers, wrong types, bad names). Most mutants are invalid; what matters is that both builds
report the same first error (field, message, exit code) or accept the same files.

Usage: mutate_scenarios.py OUT_DIR COUNT_PER_FILE SEED FILE...  (SINGLE=1: one change per mutant)
"""
import copy
import json
import os
import random
import sys

VALUES = [
    "i*4", "i + 1", "j-i", "i/0", "i % 0", "(i > 1) && (1/0)", "i || x", "min(i, 2)", "max(i)", "cdiv(i, 2)",
    "cdiv(-1, 2)", "-i", "!i", "r", "r + 1", "N*4", "M", "16-i", "15-i", "b*H+1", "k*0", "NB-1", "w{i}_{j-2}",
    "a{i+1}", "b", -1, 0, 1, 2, 3, 64, 1099511627776, 9223372036854775807, 18446744073709551615, "x", "1/0",
    "k + 1", "k - 1", "b*H", "B", "", [], {}, None, True, 1.5, [1, 2, 3, 4, 5, 6], [1], [0, 0], ["k", 0], "auto",
    "manual", "aic", "f32", "up{k-1}", "up{b}", "{", "}", "min(", "cdiv(k, 0)", "k > 0", "k == 0", "1 && x",
    "0 && x", "wait", "wait_retain", "sij", "oi", "query", "alloc", "qk", {"task": "qk"}, {"task": "x"},
    {"input": "query"}, {"output": "t", "shape": [4]}, {"view": {"shape": [1, 1]}}, {"reshape": [2, 2]},
    {"slice": {"dim": 0, "start": 0, "end": 1}}, {"var": "i", "count": 2, "row": "i"}, "(1", "max(1,2,3)",
    "9223372036854775807 * 2", "up.-_1", "up$", "a" * 300, [[]], {"for": "z", "to": 3, "body": []},
    {"if": 1, "then": []}, {"scope": "auto", "body": []}, {"submit": "qk"}, {"dummy": "d"},
]
KEYS = ["unexpected_key", "name", "when", "kind", "view", "views", "rows", "slice", "reshape", "from", "step",
        "else", "deps", "args", "dtype", "manual_dep", "offset"]
EDITS = [lambda s: s + "+1", lambda s: s + "-1", lambda s: "(" + s, lambda s: s[:-1], lambda s: s + "{k}",
         lambda s: s.replace("k", "b"), lambda s: s + "*0", lambda s: s + "/0", lambda s: s + "x"]


def nodes(doc, path=()):
    yield path, doc
    children = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in children:
        yield from nodes(value, path + (key,))


def parent_of(doc, path):
    for key in path[:-1]:
        doc = doc[key]
    return doc


def mutate(doc, rng):
    every = list(nodes(doc))
    program = [n for n in every if n[0][:1] == ("program",)]
    path, node = rng.choice(program if program and rng.random() < 0.85 else every)
    how = rng.randrange(6)
    if how == 0 and isinstance(node, dict) and node:
        del node[rng.choice(list(node))]
    elif how == 1 and isinstance(node, dict):
        node[rng.choice(KEYS)] = copy.deepcopy(rng.choice(VALUES))
    elif how == 2 and isinstance(node, list) and node:
        i = rng.randrange(len(node))
        if rng.random() < 0.5:
            del node[i]
        else:
            node.insert(rng.randrange(len(node) + 1), copy.deepcopy(node[i]))
    elif how == 3 and isinstance(node, str) and node and path:
        parent_of(doc, path)[path[-1]] = rng.choice(EDITS)(node)
    elif path:
        parent_of(doc, path)[path[-1]] = copy.deepcopy(rng.choice(VALUES))


def main():
    out_dir, count, seed, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    rng = random.Random(seed)
    changes = [1] if os.environ.get("SINGLE") else [1, 1, 1, 2, 2, 3]
    os.makedirs(out_dir, exist_ok=True)
    for name in files:
        with open(name) as f:
            base = json.load(f)
        stem = os.path.basename(name)[:-len(".json")]
        for r in range(count):
            doc = copy.deepcopy(base)
            for _ in range(rng.choice(changes)):
                mutate(doc, rng)
            with open(os.path.join(out_dir, f"{stem}_{r:04d}.json"), "w") as f:
                json.dump(doc, f)


if __name__ == "__main__":
    main()
