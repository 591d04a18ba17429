#!/usr/bin/python3
"""Compares a run's output directory with a regression golden (exact integers, floats to 1e-9
relative). On a difference it prints the fields that moved and how a golden is rewritten when the
change is intended (scripts/update-golden.sh, which asks for the golden's effect note).

usage: check.py GOLDEN.json OUT_DIR"""
import json
import subprocess
import sys


def moved(golden, actual, path=""):
    """The fields of `actual` that differ from `golden`, as paths like layers[3].energy_pj."""
    out = []
    if isinstance(golden, dict):
        if not isinstance(actual, dict) or set(golden) != set(actual):
            return [f"{path or '.'} (keys)"]
        for k in golden:
            out += moved(golden[k], actual[k], f"{path}.{k}" if path else k)
    elif isinstance(golden, list):
        if not isinstance(actual, list) or len(golden) != len(actual):
            return [f"{path} (length)"]
        for i, (x, y) in enumerate(zip(golden, actual)):
            out += moved(x, y, f"{path}[{i}]")
    elif isinstance(golden, float) or isinstance(actual, float):
        if actual is None or golden is None or abs(golden - actual) > 1e-9 * max(
                abs(golden), abs(actual), 1.0):
            out.append(path)
    elif golden != actual:
        out.append(path)
    return out


def value(doc, path):
    """The value at a path moved() wrote, for messages."""
    import re
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        doc = doc[int(part[1:-1])] if part.startswith("[") else doc[part]
    return doc


def main():
    golden = json.load(open(sys.argv[1]))
    here = sys.argv[0].rsplit("/", 1)[0]
    actual = json.loads(subprocess.check_output(["/usr/bin/python3", f"{here}/extract.py",
                                                 sys.argv[2]]))
    diffs = moved(golden, actual)
    if diffs:
        print(f"{sys.argv[1]}: {len(diffs)} figures differ from the regression golden:")
        for d in diffs[:20]:
            try:
                print(f"  {d}: golden {value(golden, d)} vs now {value(actual, d)}")
            except (KeyError, IndexError, TypeError, ValueError):
                print(f"  {d}")
        print("If the change is intended, say what moved and why in the golden's .effect file "
              "and regenerate with scripts/update-golden.sh (docs/testing.md).")
        sys.exit(1)
    print(f"{sys.argv[1]}: matches")


if __name__ == "__main__":
    main()
