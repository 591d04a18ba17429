#!/usr/bin/python3
"""The gate scripts/update-golden.sh passes a new golden through: a golden may only be rewritten
when the same change updates its effect note (tests/golden/NAME.effect, against the committed
one) and the note names every field that moved. A regenerated golden can then never absorb a
change nobody looked at: the note is where a reviewer reads what moved and why.

The note: a comment block, then
  moved: PATTERN [PATTERN ...]      (field paths, `*` standing for anything: layers[*].energy_pj)
  why: one or more lines of why
usage: gate.py NAME NEW.json   (run from the repository root; exit 0: may be written)
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check import moved  # noqa: E402


def covers(pattern, path):
    """A field path matched by a note's pattern: literal but for `*`, which stands for anything."""
    return re.fullmatch(".*".join(re.escape(p) for p in pattern.split("*")), path) is not None


def note_fields(text):
    """The `moved:` patterns and whether a `why:` line is given."""
    patterns, why = [], False
    for line in text.splitlines():
        if line.startswith("moved:"):
            patterns += line[len("moved:"):].split()
        elif line.startswith("why:") and line[len("why:"):].strip():
            why = True
    return patterns, why


def main():
    name, new_path = sys.argv[1], sys.argv[2]
    golden_path = f"tests/golden/{name}.json"
    note_path = f"tests/golden/{name}.effect"
    new = json.load(open(new_path))
    if not os.path.exists(golden_path):
        print(f"{golden_path}: new golden")
        return 0
    fields = moved(json.load(open(golden_path)), new)
    if not fields:
        return 0
    print(f"{golden_path}: {len(fields)} fields moved: {' '.join(fields[:12])}"
          f"{' ...' if len(fields) > 12 else ''}")
    note = open(note_path).read() if os.path.exists(note_path) else ""
    committed = subprocess.run(["git", "show", f"HEAD:{note_path}"], capture_output=True,
                               text=True).stdout
    patterns, why = note_fields(note)
    problems = []
    if not note:
        problems.append(f"{note_path} does not exist")
    elif note == committed:
        problems.append(f"{note_path} is unchanged since the last commit: describe this change")
    if note and not why:
        problems.append(f"{note_path} has no `why:` line")
    missing = [f for f in fields if not any(covers(p, f) for p in patterns)]
    if missing:
        problems.append(f"{note_path}'s `moved:` patterns do not cover {' '.join(missing[:8])}"
                        f"{' ...' if len(missing) > 8 else ''}")
    if problems:
        print(f"update-golden: refusing to rewrite {golden_path}:")
        for p in problems:
            print(f"  - {p}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
