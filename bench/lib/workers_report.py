#!/usr/bin/env python3
"""The workers benches' table: workers 1 and 2, both directions, from lines
"W DIR Mbit/s bytes cpu_s main_s worker0_s worker1_s".

  bench/lib/workers_report.py RESULTS
"""
import sys
rows = {}
split = {}
for line in open(sys.argv[1]):
    w, d, mbit, b, cpu, m, k0, k1 = line.split()
    rows[(w, d)] = (float(mbit), int(b), float(cpu))
    split[(w, d)] = (float(m), float(k0), float(k1))
print("%-8s %-13s %9s %9s %7s %9s  %s" % ("workers", "direction", "Mbit/s", "MB", "CPU s", "CPU s/GB",
      "CPU s: main loop / dp-worker0 / dp-worker1"))
names = {"up": "clients->vnet", "down": "vnet->clients"}
for d in ("up", "down"):
    for w in ("1", "2"):
        r = rows.get((w, d))
        if not r or not r[1]:
            print("%-8s %-13s %9s" % (w, names[d], "n/a")); continue
        print("%-8s %-13s %9.0f %9.0f %7.2f %9.2f  %.2f / %.2f / %.2f" % ((w, names[d], r[0],
              r[1] / 1e6, r[2], r[2] / (r[1] / 1e9)) + split[(w, d)]))
print()
for d in ("up", "down"):
    a, b = rows.get(("1", d)), rows.get(("2", d))
    ok = a and b and a[0] and a[1] and b[1]
    print("workers 2 / 1, %-13s throughput %s   CPU/GB %s" % (names[d],
          "%.2f" % (b[0] / a[0]) if ok else "n/a",
          "%.2f" % ((b[2] / b[1]) / (a[2] / a[1])) if ok and a[2] else "n/a"))
# The clients share this machine's cores, so measured throughput is theirs
# to set. What the gateway could carry is the bytes per CPU second of its
# busiest data-plane thread (the main loop with 1 worker, the busier worker
# with 2): that thread saturates first when a core is its own.
print()
for d in ("up", "down"):
    a, b = rows.get(("1", d)), rows.get(("2", d))
    sa, sb = split.get(("1", d)), split.get(("2", d))
    busy1 = sa and max(sa)
    busy2 = sb and max(sb)
    if not (a and b and busy1 and busy2):
        print("workers 2 / 1, %-13s capacity n/a" % names[d]); continue
    c1, c2 = a[1] / busy1, b[1] / busy2
    print("workers 2 / 1, %-13s capacity %.2f  (GB per busiest-thread CPU s: %.2f vs %.2f)" %
          (names[d], c2 / c1, c2 / 1e9, c1 / 1e9))
