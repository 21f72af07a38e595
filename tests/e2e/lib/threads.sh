# Per-thread CPU of the gateway's network process, for the workers labs
# (sourced after lib/netns.sh; GW_PID is the started gateway's PID).
# The network process: the key process's child under privilege separation.
net_pid() {
	local c
	read -r c _ < <(cat /proc/"$GW_PID"/task/*/children 2>/dev/null)
	echo "${c:-$GW_PID}"
}
# task_ticks PID: "TID COMM TICKS" per thread, TICKS = utime + stime.
task_ticks() {
	local t
	for t in /proc/"$1"/task/*; do
		echo "${t##*/} $(cat "$t/comm") $(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')"
	done
}
# busy BEFORE AFTER PID: "worker0-seconds worker1-seconds main-loop-seconds"
# between two samples of task_ticks (the main thread's TID is the PID).
busy() {
	python3 -c 'import sys, os
hz = os.sysconf("SC_CLK_TCK")
def load(f):
    out = {}
    for l in open(f):
        w = l.split()
        if len(w) >= 3:
            out[w[0]] = (" ".join(w[1:-1]), int(w[-1]))
    return out
a, b, pid = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
def used(name):
    return sum(v[1] - a.get(t, ("", 0))[1] for t, v in b.items() if v[0] == name) / hz
main = (b[pid][1] - a.get(pid, ("", 0))[1]) / hz
print("%.2f %.2f %.2f" % (used("dp-worker0"), used("dp-worker1"), main))' "$1" "$2" "$3"
}
