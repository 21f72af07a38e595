# Shared by bench/workers and bench/ikev2-workers (sourced after
# tests/e2e/lib/netns.sh, with D the lab directory and SECS the run
# length): the network process's threads, one measurement of both clients'
# iperf3 at once, and the CPU-bound mode.
#
# CPU-bound mode (P2S_BENCH_QUOTA=on or a share of a CPU, e.g. 0.15): each
# thread of the network process gets a cgroup v1 `cpu` group of its own
# with a CFS quota of that share per 10 ms period (longer for shares under
# 0.1: the kernel's smallest quota is 1 ms), so the gateway's data
# threads, not the clients sharing this machine's cores, set the pace. It
# models "each data thread has a core of its own" by giving each an equal,
# small slice. Every measurement then also samples, over the middle of the
# run, each thread's CPU against its budget and the client hosts' CPU.

QUOTA_DEFAULT=0.08
QUOTA_ROOT=/sys/fs/cgroup/cpu
case ${P2S_BENCH_QUOTA:-} in
"" | 0 | off | no) QUOTA="" ;;
on | yes | 1) QUOTA=$QUOTA_DEFAULT ;;
*) QUOTA=$P2S_BENCH_QUOTA ;;
esac
if [ -n "$QUOTA" ] && ! awk -v q="$QUOTA" 'BEGIN {exit !(q + 0 > 0 && q + 0 <= 1)}'; then
	echo "P2S_BENCH_QUOTA: on, off or a share of a CPU in (0, 1]" >&2
	exit 2
fi
if [ -n "$QUOTA" ] && [ ! -w "$QUOTA_ROOT/cpu.cfs_quota_us" ]; then
	echo "CPU-bound mode: needs cgroup v1's cpu controller at $QUOTA_ROOT (and root)" >&2
	exit 0
fi
QUOTA_PERIOD_US=$(awk -v q="${QUOTA:-1}" 'BEGIN {p = 10000; if (q * p < 1000) p = int(1000 / q + 0.999); print p}')

# quota_banner: the mode in one line for the bench's header.
quota_banner() {
	[ -n "$QUOTA" ] || { echo "no CPU quota"; return; }
	echo "CPU-bound mode: each thread of the network process capped at $QUOTA of a CPU per ${QUOTA_PERIOD_US} us (CFS)"
}

# The network process: the key process's child under privilege separation.
net_of() {
	local c
	read -r c _ < <(cat /proc/"$1"/task/*/children 2>/dev/null)
	echo "${c:-$1}"
}

# thread_tids PID: "main w0 w1" thread ids of the process's main thread and
# of its dp-worker0 and dp-worker1 threads ("-" for one that is not there).
thread_tids() {
	local t k0=- k1=-
	for t in /proc/"$1"/task/*; do
		case $(cat "$t/comm" 2>/dev/null) in
		dp-worker0) k0=${t##*/} ;;
		dp-worker1) k1=${t##*/} ;;
		esac
	done
	echo "$1 $k0 $k1"
}

# thread_ticks PID: "main w0 w1" clock ticks (utime + stime) of the
# process's main thread and of its dp-worker0 and dp-worker1 threads.
thread_ticks() {
	local t m=0 k0=0 k1=0 v c
	for t in /proc/"$1"/task/*; do
		v=$(sed 's/.*) //' "$t/stat" 2>/dev/null | awk '{print $12 + $13}')
		c=$(cat "$t/comm" 2>/dev/null)
		if [ "${t##*/}" = "$1" ]; then m=$((m + ${v:-0}))
		elif [ "$c" = dp-worker0 ]; then k0=$((k0 + ${v:-0}))
		elif [ "$c" = dp-worker1 ]; then k1=$((k1 + ${v:-0})); fi
	done
	echo "$m $k0 $k1"
}

# ns_ticks NS: clock ticks used so far by the processes in namespace NS
# (the VPN client and its iperf3 on a client host).
ns_ticks() {
	local p
	for p in $(ip netns pids "$1" 2>/dev/null); do sed 's/.*) //' "/proc/$p/stat" 2>/dev/null; done |
		awk '{t += $12 + $13} END {print t + 0}'
}

# window_sample NET: "ns main_ns w0_ns w1_ns cli_ticks cli2_ticks": the
# time, the run time (schedstat, ns) of the network process's three
# threads and the client hosts' CPU.
window_sample() {
	local t out
	out=$(date +%s%N)
	for t in $(thread_tids "$1"); do
		if [ "$t" = - ]; then out="$out 0"; else
			out="$out $(awk '{print $1}' "/proc/$1/task/$t/schedstat" 2>/dev/null || echo 0)"
		fi
	done
	echo "$out $(ns_ticks $NS_CLI) $(ns_ticks $NS_CLI2)"
}

# quota_on NET: a cpu group per thread of NET (main, dp-worker0,
# dp-worker1), each QUOTA of a CPU per period; recorded in D/quota-groups
# ("DIR TID") for quota_off.
quota_on() {
	local tid name us g
	[ -n "$QUOTA" ] || return 0
	us=$(awk -v q="$QUOTA" -v p=$QUOTA_PERIOD_US 'BEGIN {printf "%d", q * p}')
	set -- $(thread_tids "$1")
	for name in main w0 w1; do
		tid=$1
		shift
		[ "$tid" = - ] && continue
		g=$QUOTA_ROOT/p2sbench-$LAB_ID-$name
		mkdir -p "$g" && echo $QUOTA_PERIOD_US >"$g/cpu.cfs_period_us" &&
			echo "$us" >"$g/cpu.cfs_quota_us" && echo "$g $tid" >>"$D/quota-groups" &&
			echo "$tid" >"$g/tasks" || echo "quota: could not cap $name ($tid) in $g" >&2
	done
}

# quota_off: the threads back to the root group, the groups removed
# (bounded: a group empties as soon as its last thread has moved or ended).
quota_off() {
	local g tid t
	[ -s "$D/quota-groups" ] || return 0
	while read -r g tid; do
		for t in $(cat "$g/tasks" 2>/dev/null); do
			[ "$t" = "$tid" ] && echo "$t" >"$QUOTA_ROOT/tasks" 2>/dev/null
		done
		for _ in $(seq 20); do rmdir "$g" 2>/dev/null || [ ! -d "$g" ] && break; sleep 0.1; done
		[ -d "$g" ] && echo "quota: could not remove $g" >&2
	done <"$D/quota-groups"
	: >"$D/quota-groups"
}

# link_drops NS...: packets the namespaces' links dropped so far (rx and tx:
# a client's TUN drops what its VPN client does not read in time, the
# gateway's TUN what the gateway does not).
link_drops() {
	local ns
	for ns in "$@"; do ip -n "$ns" -s -j link 2>/dev/null; echo; done | python3 -c 'import sys, json
n = 0
for l in sys.stdin:
    for d in json.loads(l) if l.strip() else []:
        s = d.get("stats64", {})
        n += s.get("rx", {}).get("dropped", 0) + s.get("tx", {}).get("dropped", 0)
print(n)'
}

# iperf_pair DIR: both clients' iperf3 at once to D/a.json and D/b.json,
# the network process sampled 1 s after the start and 1 s before the end
# (the window leaves out connection set-up and tear-down) into D/window.
iperf_pair() {
	local flag="" pa pb
	[ "$1" = down ] && flag=-R
	ip netns exec $NS_CLI timeout $((SECS + 20)) iperf3 -c 10.1.0.10 -p 5201 -t "$SECS" -J $flag \
		>"$D/a.json" 2>/dev/null &
	pa=$!
	ip netns exec $NS_CLI2 timeout $((SECS + 20)) iperf3 -c 10.1.0.10 -p 5202 -t "$SECS" -J $flag \
		>"$D/b.json" 2>/dev/null &
	pb=$!
	sleep 1
	window_sample "$NET" >"$D/window"
	sleep $((SECS - 2))
	window_sample "$NET" >>"$D/window"
	wait $pa $pb
}

# measure GW_PID W DIR: both clients at once; appends
# "W DIR Mbit/s bytes cpu_s main_s worker0_s worker1_s QUOTA WINDOW_S
# main_used w0_used w1_used cli_cores cli2_cores retransmits cli_drops gw_drops"
# (QUOTA "-" when off; WINDOW_S to cli2_cores over the sampled window, the
# used ones in CPU seconds; retransmits: both TCP senders', through the
# tunnel; drops: the client hosts' and the gateway host's links', link_drops).
measure() {
	local gw=$1 w=$2 dir=$3 c0 c1 t0 t1 k0 g0
	NET=$(net_of "$gw")
	t0=$(thread_ticks "$NET")
	c0=$(cpu_seconds "$gw")
	k0=$(link_drops $NS_CLI $NS_CLI2)
	g0=$(link_drops $NS_GW)
	iperf_pair "$dir"
	k0=$(($(link_drops $NS_CLI $NS_CLI2) - k0))
	g0=$(($(link_drops $NS_GW) - g0))
	c1=$(cpu_seconds "$gw")
	t1=$(thread_ticks "$NET")
	python3 -c 'import sys, os, json
bits = byt = retr = 0
for f in sys.argv[1:3]:
    try:
        e = json.load(open(f)).get("end", {})
    except ValueError:
        e = {}
    r = e.get("sum_received", {})
    bits += r.get("bits_per_second", 0); byt += r.get("bytes", 0)
    retr += e.get("sum_sent", {}).get("retransmits", 0)
hz = os.sysconf("SC_CLK_TCK")
a, b = [int(x) for x in sys.argv[7].split()], [int(x) for x in sys.argv[8].split()]
w = [[int(x) for x in l.split()] for l in open(sys.argv[10])]
win = (w[1][0] - w[0][0]) / 1e9
used = [(w[1][i] - w[0][i]) / 1e9 for i in (1, 2, 3)]
cores = [(w[1][i] - w[0][i]) / hz / win for i in (4, 5)]
print("%s %s %.0f %d %.2f %.2f %.2f %.2f %s %.2f %.3f %.3f %.3f %.2f %.2f %d %s" % (sys.argv[5], sys.argv[6],
      bits / 1e6, byt, float(sys.argv[4]) - float(sys.argv[3]), (b[0] - a[0]) / hz,
      (b[1] - a[1]) / hz, (b[2] - a[2]) / hz, sys.argv[9], win, *used, *cores, retr, sys.argv[11]))' \
		"$D/a.json" "$D/b.json" "${c0:-0}" "${c1:-0}" "$w" "$dir" "$t0" "$t1" "${QUOTA:--}" \
		"$D/window" "$k0 $g0" >>"$D/results"
}
