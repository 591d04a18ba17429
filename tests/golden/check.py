#!/usr/bin/python3
"""Compares a run's output directory with a regression golden (exact integers, floats to 1e-9
relative). On a difference it prints the first ones and how to regenerate the goldens when the
change is intended. usage: check.py GOLDEN.json OUT_DIR"""
import json
import subprocess
import sys

golden = json.load(open(sys.argv[1]))
here = sys.argv[0].rsplit("/", 1)[0]
actual = json.loads(subprocess.check_output(["/usr/bin/python3", f"{here}/extract.py", sys.argv[2]]))
diffs = []


def walk(g, a, path):
    if isinstance(g, dict):
        if not isinstance(a, dict) or set(g) != set(a):
            diffs.append(f"{path}: keys {sorted(g) if isinstance(g, dict) else g} vs {sorted(a) if isinstance(a, dict) else a}")
            return
        for k in g:
            walk(g[k], a[k], f"{path}.{k}")
    elif isinstance(g, list):
        if not isinstance(a, list) or len(g) != len(a):
            diffs.append(f"{path}: length {len(g)} vs {len(a) if isinstance(a, list) else a}")
            return
        for i, (x, y) in enumerate(zip(g, a)):
            walk(x, y, f"{path}[{i}]")
    elif isinstance(g, float) or isinstance(a, float):
        if a is None or g is None or abs(g - a) > 1e-9 * max(abs(g), abs(a), 1.0):
            diffs.append(f"{path}: golden {g} vs now {a}")
    elif g != a:
        diffs.append(f"{path}: golden {g} vs now {a}")


walk(golden, actual, "")
if diffs:
    print(f"{sys.argv[1]}: {len(diffs)} figures differ from the regression golden:")
    for d in diffs[:20]:
        print("  " + d)
    print("If the change is intended, regenerate with scripts/update-golden.sh and say why in the commit.")
    sys.exit(1)
print(f"{sys.argv[1]}: matches")
