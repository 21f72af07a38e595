#!/usr/bin/env python3
"""The workers benches' table: workers 1 and 2, both directions, from lines
"W DIR Mbit/s bytes cpu_s main_s worker0_s worker1_s QUOTA WINDOW_S main_used
w0_used w1_used cli_cores cli2_cores retransmits cli_drops gw_drops"
(bench/lib/workers.sh, measure).

  bench/lib/workers_report.py RESULTS
"""
import sys
rows = {}
split = {}
window = {}
retr = {}
drops = {}
for line in open(sys.argv[1]):
    f = line.split()
    w, d, mbit, b, cpu, m, k0, k1 = f[:8]
    rows[(w, d)] = (float(mbit), int(b), float(cpu))
    split[(w, d)] = (float(m), float(k0), float(k1))
    if len(f) >= 16:
        retr[(w, d)] = int(f[15])
    if len(f) >= 18:
        drops[(w, d)] = "%s / %s" % (f[16], f[17])
    if len(f) >= 15 and f[8] != "-":
        window[(w, d)] = (float(f[8]), float(f[9]), [float(x) for x in f[10:13]],
                          [float(x) for x in f[13:15]])
print("%-8s %-13s %9s %9s %7s %9s %7s %15s  %s" % ("workers", "direction", "Mbit/s", "MB",
      "CPU s", "CPU s/GB", "retr", "drops cli / gw", "CPU s: main loop / dp-worker0 / dp-worker1"))
names = {"up": "clients->vnet", "down": "vnet->clients"}
for d in ("up", "down"):
    for w in ("1", "2"):
        r = rows.get((w, d))
        if not r or not r[1]:
            print("%-8s %-13s %9s" % (w, names[d], "n/a")); continue
        print("%-8s %-13s %9.0f %9.0f %7.2f %9.2f %7s %15s  %.2f / %.2f / %.2f" % ((w, names[d],
              r[0], r[1] / 1e6, r[2], r[2] / (r[1] / 1e9), retr.get((w, d), "-"),
              drops.get((w, d), "-")) + split[(w, d)]))
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

# The CPU-bound mode: each thread capped at QUOTA of a CPU. A run is the
# gateway's to set only when its data threads used (nearly) all of their
# budget over the sampled window; a thread below 20% of it carries no data
# (the main loop with 2 UDP workers) and is left out of that verdict.
if window:
    print()
    q = next(iter(window.values()))[0]
    print("CPU-bound mode: each thread capped at %.2f of a CPU; used / budget over the middle of "
          "the run" % q)
    print("%-8s %-13s %7s %7s %7s  %-22s %s" % ("workers", "direction", "main", "w0", "w1",
          "client hosts (cores)", "gateway-bound"))
    bound = {}
    for d in ("up", "down"):
        for w in ("1", "2"):
            x = window.get((w, d))
            if not x:
                print("%-8s %-13s %7s" % (w, names[d], "n/a")); continue
            q, win, used, cores = x
            sat = [u / (q * win) for u in used]
            data = [v for i, v in enumerate(sat) if v >= 0.2 and (i == 0 or w == "2")]
            ok = bool(data) and min(data) >= 0.9
            bound[(w, d)] = ok
            print("%-8s %-13s %7s %7s %7s  %-22s %s" % (w, names[d],
                  *["%.0f%%" % (v * 100) if i == 0 or w == "2" else "-" for i, v in enumerate(sat)],
                  "%.2f + %.2f" % tuple(cores),
                  "yes" if ok else "NO: a data thread used < 90% of its budget"))
    for d in ("up", "down"):
        a, b = rows.get(("1", d)), rows.get(("2", d))
        ok = a and b and a[0]
        both = bound.get(("1", d)) and bound.get(("2", d))
        print("workers 2 / 1, %-13s throughput (CPU-bound) %s%s" % (names[d],
              "%.2f (%.0f -> %.0f Mbit/s)" % (b[0] / a[0], a[0], b[0]) if ok else "n/a",
              "" if both else "  [not both gateway-bound: not a scaling figure]"))
