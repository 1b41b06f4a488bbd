#!/usr/bin/env python3
"""Sum doctest results over meson's test logs and print the closing line "N passed, N failed".

Each meson test is one doctest executable; its "[doctest] test cases: T | P passed | F failed" line gives
the counts. An executable that crashed or printed no summary counts as one failed test. Exit 1 on failure.
"""
import json
import re
import sys

SUMMARY = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")

passed = failed = 0
for arg in sys.argv[1:]:
    label, _, path = arg.partition("=")
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        print(f"{label}: cannot read {path}: {e}")
        failed += 1
        continue
    for line in lines:
        t = json.loads(line)
        out = t.get("stdout", "") or ""
        m = SUMMARY.findall(out)
        p = sum(int(x[1]) for x in m)
        f = sum(int(x[2]) for x in m)
        rc = t.get("returncode", 1)
        if rc != 0 and f == 0:
            f = 1
        status = "ok" if f == 0 else "FAILED"
        print(f"{label}: {t['name']}: {p} passed, {f} failed ({status})")
        if f:
            tail = "\n".join(out.splitlines()[-40:])
            print("    " + tail.replace("\n", "\n    "))
        passed += p
        failed += f
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
