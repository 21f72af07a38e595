#!/usr/bin/env python3
"""Checks the data plane's part of /metrics (and of `gateway show`).

  dp_metrics.py form METRICS            every line of the exposition is of
      the text format's form (HELP/TYPE before a family's samples, samples
      `name{label="value",...} number`, no series twice); prints form-ok
  dp_metrics.py get METRICS NAME [LABEL=VALUE...]   the sum of the matching
      samples' values (0 when none match)
  dp_metrics.py workers METRICS NAME   the worker label values of NAME's
      samples, sorted, comma-separated
"""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(?:\{{({LABEL}(?:,{LABEL})*)?\}})? (\S+)$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def samples(path):
    for line in open(path, encoding="utf-8"):
        m = SAMPLE.match(line.rstrip("\n"))
        if m:
            labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
            yield m.group(1), labels, float(m.group(3))


def family_of(name, typed):
    for suffix in ("_bucket", "_sum", "_count", ""):
        base = name[: -len(suffix)] if suffix and name.endswith(suffix) else name
        if base in typed:
            return base
    return None


def form(path):
    typed, helped, seen, bad = {}, set(), set(), []
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if line.startswith("# HELP "):
            parts = line.split(" ", 3)
            if len(parts) < 4 or not re.fullmatch(NAME, parts[2]):
                bad.append(f"{n}: {line}")
            helped.add(parts[2] if len(parts) > 2 else "")
            continue
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[3] not in TYPES or parts[2] in typed:
                bad.append(f"{n}: {line}")
            else:
                typed[parts[2]] = parts[3]
            continue
        m = SAMPLE.match(line)
        if not m:
            bad.append(f"{n}: {line}")
            continue
        fam = family_of(m.group(1), typed)
        try:
            float(m.group(3))
        except ValueError:
            bad.append(f"{n}: value {m.group(3)}")
        if fam is None or fam not in helped:
            bad.append(f"{n}: no HELP/TYPE before {m.group(1)}")
        if fam and typed[fam] == "counter" and not fam.endswith("_total"):
            bad.append(f"{n}: counter {fam} without _total")
        key = (m.group(1), m.group(2))
        if key in seen:
            bad.append(f"{n}: series twice: {line}")
        seen.add(key)
    if bad:
        print("form-bad " + " | ".join(bad[:5]))
        return 1
    print(f"form-ok families={len(typed)} series={len(seen)}")
    return 0


def get(path, name, want):
    want = dict(w.split("=", 1) for w in want)
    total = sum(v for n, l, v in samples(path)
                if n == name and all(l.get(k) == x for k, x in want.items()))
    print(int(total))
    return 0


def workers(path, name):
    print(",".join(sorted({l.get("worker", "-") for n, l, _ in samples(path) if n == name})))
    return 0


if __name__ == "__main__":
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "form":
        sys.exit(form(path))
    if cmd == "get":
        sys.exit(get(path, sys.argv[3], sys.argv[4:]))
    if cmd == "workers":
        sys.exit(workers(path, sys.argv[3]))
    sys.exit(2)
