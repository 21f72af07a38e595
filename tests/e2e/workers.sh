#!/bin/bash
# dataPlane.workers: 2 with two real openvpn 2.6 UDP clients (one per client
# host). The UDP port is one SO_REUSEPORT group of two sockets whose steering
# program sends each session's data to the socket its peer-id names; each
# lane is served by a worker thread of the network process (its own loop and
# TUN queue), which runs with the same capabilities and seccomp filter as the
# rest. The sessions land on different workers (p2sctl session list), pass
# iperf3 both ways at the same time while both worker threads accumulate CPU
# time (the proof of parallelism), ping with every reply in order and no replay
# errors at the clients, and almost no packet crosses to a worker that does
# not own its session. A client that leaves (exit notification, seen by the
# worker and handed to the main loop) and comes back lands on the other
# lane; a TCP OpenVPN session passes traffic beside a UDP
# one; a reload keeps traffic flowing, and one that moves the UDP port
# rebuilds the group with the worker parked. Negative: a refused workers value names its JSON path; with the
# program skewed (a test setting) every data packet reaches the other
# worker and is still delivered, counted as crossing; a persistent TUN made
# single-queue beforehand is used with one queue (logged) and still carries
# both workers' sessions.
#   tests/e2e/workers.sh [BUILD_DIR]
set -u
BUILD=$(realpath "${1:-build}")
cd "$(dirname "$0")" || exit 2
. lib/netns.sh
. lib/workers.sh
. lib/pki.sh
. lib/openvpn.sh
LAB_CASES="workers-refused workers-sockets workers-threads workers-sandboxed workers-split
workers-ping-order workers-iperf-up workers-parallel-up workers-iperf-down workers-parallel-down
workers-no-replay workers-owned workers-reconnect workers-tcp-alongside workers-reload-same workers-reload-port
workers-cross-delivered workers-tun-single-queue workers-metrics-families workers-metrics-moved
workers-metrics-zero workers-metrics-crossing"
CTL=$BUILD/p2sctl
GW=$BUILD/p2sgw
D=$LAB_DIR
PKI=$D/pki
lab_require openvpn iperf3 openssl python3 ping ss
if [ ! -x "$GW" ] || [ ! -x "$CTL" ]; then
	for c in $LAB_CASES; do skip "$c" "no $GW or $CTL: build first"; done
	exit 0
fi

up() { wait_log "$D/$1.log" "Initialization Sequence Completed" 20; }
connect() { # connect NAME [openvpn options]: one UDP client, waited for
	local n=$1
	shift
	azure_profile "$D/$n.ovpn" "$PKI" "$n" udp
	rm -f "$D/$n.log"
	ovpn_client "$(ns_of "$n")" "$D" "$n" "$D/$n.ovpn" udp "$(gw_of "$n")" "${PORT:-1194}" "$@" >/dev/null
	up "$n"
}
disconnect() { stop_pid "$(cat "$D/$1.pid" 2>/dev/null)"; }
GWLOG=$D/gw.log # each start its own: a sanitizer report stays
start_gateway() { # start_gateway [env assignments]
	GW_PID=$(spawn $NS_GW "$GWLOG" env "$@" "$GW" --config "$D/gw.json")
	wait_listen $NS_GW udp 1194 15 "$GW_PID"
}
# ordered NAME COUNT [INTERVAL]: COUNT echoes through NAME's tunnel, every
# reply there, in sequence order, and none twice (ping says DUP!).
ordered() {
	run "$(ns_of "$1")" ping -c "$2" -i "${3:-0.05}" -W 2 10.1.0.10 >"$D/ping-$1.txt"
	python3 -c 'import re, sys
t = open(sys.argv[1]).read()
seqs = [int(m) for m in re.findall(r"icmp_seq=(\d+)", t)]
sys.exit(0 if seqs == list(range(1, int(sys.argv[2]) + 1)) and "DUP!" not in t else 1)' \
		"$D/ping-$1.txt" "$2"
}

lab_up
make_pki "$PKI" >/dev/null || exit 1

# A value outside 1..16 is refused before anything starts, naming its path.
write_conf "$D/bad.json" 0
if out=$("$GW" --config "$D/bad.json" --check-config 2>&1); then
	fail workers-refused "expected a non-zero exit for dataPlane.workers 0, got 0: $out"
elif ! grep -q 'dataPlane.workers' <<<"$out"; then
	fail workers-refused "expected an error naming dataPlane.workers, got: $out"
else
	pass workers-refused
fi

write_conf "$D/gw.json" 2
if ! start_gateway; then
	for c in $LAB_CASES; do [ "$c" = workers-refused ] || fail "$c" "the gateway did not listen: $(log_tail "$D/gw.log" 5)"; done
	exit 1
fi
n=$(run $NS_GW ss -Huln 'sport = :1194' | wc -l)
if [ "$n" = 2 ] && log_has "$D/gw.log" "UDP 0.0.0.0:1194 \(2 steered sockets\)"; then
	pass workers-sockets
else
	fail workers-sockets "expected two sockets on UDP 1194 and the log saying so, got $n: $(grep -o 'OpenVPN listening.*' "$D/gw.log")"
fi

NET=$(net_pid)
task_ticks "$NET" >"$D/tasks0"
if grep -q ' dp-worker0 ' "$D/tasks0" && grep -q ' dp-worker1 ' "$D/tasks0" &&
	[ "$(grep -c ' dp-worker' "$D/tasks0")" = 2 ]; then
	pass workers-threads
else
	fail workers-threads "expected threads dp-worker0 and dp-worker1 in the network process $NET, got: $(tr '\n' '|' <"$D/tasks0")"
fi
# Every thread as confined as the process: one CapEff (not root's), the
# seccomp filter on each.
caps=$(grep -h '^CapEff' /proc/"$NET"/task/*/status | sort -u)
secc=$(grep -h '^Seccomp:' /proc/"$NET"/task/*/status | sort -u)
if [ "$NET" != "$GW_PID" ] && [ "$(wc -l <<<"$caps")" = 1 ] && ! grep -q 'ffffffff' <<<"$caps" &&
	[ "$(echo $secc)" = "Seccomp: 2" ]; then
	pass workers-sandboxed
	echo "network process $NET: every thread $(echo $caps), $(echo $secc)"
else
	fail workers-sandboxed "expected every thread of the network process (pid $NET, key process $GW_PID) with one reduced CapEff and Seccomp 2, got: $(echo $caps) / $(echo $secc)"
fi

connect alice && connect bob --explicit-exit-notify 1
wb=$(field bob dataPlaneWorker) # bob's reconnect must land on the other one
split_workers workers-split alice "$(field alice dataPlaneWorker)" bob "$wb"
both_ordered workers-ping-order alice bob 200 0.01

# Both clients at once, each with its own iperf3 server.
spawn $NS_VNET "$D/iperf1.log" iperf3 -s -p 5201 >/dev/null
spawn $NS_VNET "$D/iperf2.log" iperf3 -s -p 5202 >/dev/null
wait_listen $NS_VNET tcp 5202 5
for dir in up down; do
	both_iperf $dir
	echo "iperf3 $dir at once: alice $ba B, bob $bb B in 3 s"
	if [ "${ba:-0}" -gt 1000000 ] && [ "${bb:-0}" -gt 1000000 ]; then
		pass workers-iperf-$dir
	else
		fail workers-iperf-$dir "expected > 1 MB each way for both clients in 3 s, got alice ${ba:-0} B, bob ${bb:-0} B"
	fi
	echo "CPU during the transfer: worker 0 ${c0} s, worker 1 ${c1} s, main loop ${cm} s"
	# Each worker carries one client's data: each does at least a fifth of
	# the work (the machine's load decides how much work that is).
	if python3 -c 'import sys
m, w = float(sys.argv[1]), float(sys.argv[2])
sys.exit(0 if m + w >= 0.05 and min(m, w) >= 0.2 * (m + w) else 1)' "${c0:-0}" "${c1:-0}"; then
		pass workers-parallel-$dir
	else
		fail workers-parallel-$dir "expected each worker thread to use at least a fifth of the CPU the two took (and 0.05 s in all), got worker 0 ${c0:-?} s, worker 1 ${c1:-?} s (main loop ${cm:-?} s)"
	fi
done
# A packet id the client saw twice or too late would be logged as a replay.
rep=$(cat "$D/alice.log" "$D/bob.log" | grep -ciE 'replay|bad packet ID')
if [ "$rep" = 0 ]; then
	pass workers-no-replay
else
	fail workers-no-replay "expected no replay errors in the clients' logs, got $rep: $(grep -hiE 'replay|bad packet ID' "$D/alice.log" "$D/bob.log" | head -n 3)"
fi

# The steering program puts every datagram on its owner's lane; the TUN's
# queue selection sends a flow's replies to the queue that wrote it, so only
# a flow's first packets from the virtual network may cross: < 1%.
ca=$(field alice crossWorkerPackets)
cb=$(field bob crossWorkerPackets)
ia=$(field alice ingressPacketsTransferred)
ib=$(field bob ingressPacketsTransferred)
if [ "${ia:-0}" -gt 1000 ] && [ "${ib:-0}" -gt 1000 ] && [ -n "$ca" ] && [ -n "$cb" ] &&
	[ $((ca * 100)) -lt "$ia" ] && [ $((cb * 100)) -lt "$ib" ]; then
	pass workers-owned
	echo "crossing packets: alice $ca of $ia, bob $cb of $ib"
else
	fail workers-owned "expected under 1% of packets on a worker not owning their session: crossing alice '$ca' of '$ia', bob '$cb' of '$ib'"
fi

# The data plane's counters in /metrics (over the control socket) and
# gateway show, after iperf3 both ways: every line of the exposition well
# formed; each per-worker family with workers 0, 1 and the main loop; the
# coalescer joined segments, each lane read data; nothing was refused by
# the segmenter or dropped at the hand-off.
"$CTL" --socket "$D/p2sgw.sock" gateway metrics >"$D/metrics.txt"
"$CTL" --socket "$D/p2sgw.sock" --output json gateway show >"$D/gateway.json"
"$CTL" --socket "$D/p2sgw.sock" gateway show >"$D/gateway.txt"
M="python3 lib/dp_metrics.py"
form=$($M form "$D/metrics.txt")
fams_ok=1
for f in segmenter_drops coalesced acks_replaced tun_write_errors no_route_drops; do
	w=$($M workers "$D/metrics.txt" p2sgw_dataplane_${f}_total)
	[ "$w" = "0,1,main" ] || { fams_ok=0; echo "p2sgw_dataplane_${f}_total workers: '$w'"; }
done
lw=$($M workers "$D/metrics.txt" p2sgw_dataplane_lane_packets_total)
if grep -q '^form-ok' <<<"$form" && [ $fams_ok = 1 ] && [ "$lw" = "0,1" ] &&
	grep -q '^p2sgw_dataplane_moderator_rests_total{worker="1",reader="tun"} ' "$D/metrics.txt" &&
	grep -q '^p2sgw_dataplane_gso_fallbacks_total{protocol="OpenVPN",worker="1"} ' "$D/metrics.txt" &&
	grep -q '^p2sgw_dataplane_workers 2$' "$D/metrics.txt"; then
	pass workers-metrics-families
	echo "$form"
else
	fail workers-metrics-families "expected a well-formed exposition with every data-plane family labelled by worker 0, 1 (and main): $form; lanes '$lw'; $(grep -c '^p2sgw_dataplane' "$D/metrics.txt") data-plane lines"
fi
co=$($M get "$D/metrics.txt" p2sgw_dataplane_coalesced_total)
l0=$($M get "$D/metrics.txt" p2sgw_dataplane_lane_packets_total protocol=OpenVPN worker=0 kind=data)
l1=$($M get "$D/metrics.txt" p2sgw_dataplane_lane_packets_total protocol=OpenVPN worker=1 kind=data)
gw=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))["dataPlane"]
per = d["perWorker"]
ok = d["workers"] == 2 and len(per) == 2 and all(w["lanePacketsIn"] > 1000 for w in per) and \
    sorted(w["sessions"] for w in per) == [1, 1] and d["crossWorkerPackets"] >= 0
print(("gw-ok " if ok else "gw-bad ") + json.dumps(d))' "$D/gateway.json" 2>&1)
echo "coalesced $co; lane data packets: worker 0 $l0, worker 1 $l1; $gw"
if [ "${co:-0}" -gt 0 ] && [ "${l0:-0}" -gt 1000 ] && [ "${l1:-0}" -gt 1000 ] &&
	grep -q '^gw-ok' <<<"$gw" && grep -q '^data-plane workers   2 ' "$D/gateway.txt"; then
	pass workers-metrics-moved
else
	fail workers-metrics-moved "expected coalesced > 0, > 1000 data packets on each OpenVPN lane, gateway show's dataPlane with 2 workers each carrying one session: coalesced '$co', lanes '$l0' '$l1'; $gw; $(grep 'data-plane' "$D/gateway.txt")"
fi
sd=$($M get "$D/metrics.txt" p2sgw_dataplane_segmenter_drops_total)
hd=$($M get "$D/metrics.txt" p2sgw_dataplane_handoff_drops_total)
if [ "$sd" = 0 ] && [ "$hd" = 0 ] && grep -q '^p2sgw_dataplane_handoff_drops_total 0$' "$D/metrics.txt"; then
	pass workers-metrics-zero
else
	fail workers-metrics-zero "expected no segmenter drops and no hand-off drops, got $sd and $hd"
fi

# bob leaves: his exit notification reaches the worker owning his lane,
# which hands it to the main loop; he comes back on the next peer-id, the
# other lane, and his new session passes traffic in order.
disconnect bob
gone() { [ -z "$(field bob dataPlaneWorker)" ]; }
if wait_until 10 gone && log_has "$D/gw.log" "client sent exit notification"; then
	connect bob
	wb2=$(field bob dataPlaneWorker)
	if [ -n "$wb2" ] && [ "$wb2" != "$wb" ] && ordered bob 50 0.01; then
		pass workers-reconnect
		echo "bob back on worker $wb2 (was $wb)"
	else
		fail workers-reconnect "expected bob back on the other worker (was '$wb', now '$wb2') with 50 replies in order: $(grep -c icmp_seq "$D/ping-bob.txt")"
	fi
else
	fail workers-reconnect "expected bob's session to end on his exit notification within 10 s: $(sessions | head -c 300)"
fi

# A TCP session (moved to a worker after its handshake: workers-tcp.sh)
# passes traffic beside bob's UDP one.
disconnect alice
azure_profile "$D/alice2.ovpn" "$PKI" alice2 tcp
ovpn_client $NS_CLI "$D" alice2 "$D/alice2.ovpn" tcp 192.0.2.1 443 >/dev/null
if up alice2; then
	# Pings first (bulk TCP would queue them behind it), then bulk
	# download, each beside bob's pings. A deadline, not a per-reply
	# wait: on a loaded machine a late reply is not a lost one.
	run $NS_CLI ping -c 100 -i 0.01 -w 20 10.1.0.10 >"$D/ping-alice2.txt" &
	pa=$!
	ordered bob 100 0.01
	rb=$?
	wait $pa
	iperf_json $NS_CLI "$D/iperf-alice2.json" -p 5201 -R -P 4 >"$D/bytes-alice2" &
	pi=$!
	ordered bob 100 0.01 || rb=1
	wait $pi
	n2=$(grep -c icmp_seq "$D/ping-alice2.txt")
	b2=$(cat "$D/bytes-alice2")
	if [ "$n2" = 100 ] && [ "${b2:-0}" -gt 1000000 ] && [ $rb = 0 ]; then
		pass workers-tcp-alongside
		echo "TCP session: 100 replies, $b2 B down in 3 s beside bob's UDP session"
	else
		fail workers-tcp-alongside "expected 100 replies and > 1 MB down on the TCP session and bob's 100 replies in order: TCP $n2 replies, ${b2:-0} B; bob $(grep -c icmp_seq "$D/ping-bob.txt")"
	fi
else
	fail workers-tcp-alongside "the TCP client did not connect: $(log_tail "$D/alice2.log" 3)"
fi
stop_pid "$(cat "$D/alice2.pid" 2>/dev/null)"

# A reload that changes nothing of the data plane keeps every socket and
# session: bob's pings pass on both sides of it.
ordered bob 20 0.01
kill -HUP "$GW_PID"
if wait_log "$GWLOG" "reload: configuration applied" 10 && ordered bob 50 0.01; then
	pass workers-reload-same
else
	fail workers-reload-same "expected bob's 50 pings in order after a reload: $(grep -c icmp_seq "$D/ping-bob.txt"); $(log_tail "$GWLOG" 3)"
fi

# A reload that moves the UDP port rebuilds the group while the worker runs
# (it is parked meanwhile): two sockets on the new port, and a client
# connecting there passes traffic on both lanes' sessions.
disconnect bob
write_conf "$D/gw.json" 2 1195
kill -HUP "$GW_PID"
if wait_listen $NS_GW udp 1195 10 && [ "$(run $NS_GW ss -Huln 'sport = :1195' | wc -l)" = 2 ] &&
	PORT=1195 connect alice && PORT=1195 connect bob && ordered alice 50 0.01 && ordered bob 50 0.01 &&
	[ "$(field alice dataPlaneWorker)" != "$(field bob dataPlaneWorker)" ]; then
	pass workers-reload-port
else
	fail workers-reload-port "expected two sockets on UDP 1195 after the reload and both clients passing 50 pings in order there on different workers: $(run $NS_GW ss -Huln 'sport = :1195' | wc -l) sockets, alice $(grep -c icmp_seq "$D/ping-alice.txt"), bob $(grep -c icmp_seq "$D/ping-bob.txt"); $(log_tail "$GWLOG" 3)"
fi
disconnect alice
disconnect bob
write_conf "$D/gw.json" 2

# Skewed steering: every data packet reaches the worker that does not own
# its session; it is still delivered, in order, and counted.
disconnect alice
disconnect bob
stop_pid "$GW_PID"
GWLOG=$D/gw-skew.log
if ! start_gateway P2SGW_STEER_SKEW=1; then
	fail workers-cross-delivered "the gateway did not listen again: $(log_tail "$GWLOG" 5)"
	exit 1
fi
connect alice && connect bob
if ordered alice 20 && ordered bob 20 && [ "$(field alice crossWorkerPackets)" -ge 20 ] &&
	[ "$(field bob crossWorkerPackets)" -ge 20 ]; then
	pass workers-cross-delivered
else
	fail workers-cross-delivered "expected 20 replies in order on both tunnels with >= 20 crossing packets each: alice $(grep -c icmp_seq "$D/ping-alice.txt") replies, $(field alice crossWorkerPackets) crossing; bob $(grep -c icmp_seq "$D/ping-bob.txt"), $(field bob crossWorkerPackets)"
fi

# The same crossings in /metrics: per lane, and in the gateway's total.
"$CTL" --socket "$D/p2sgw.sock" gateway metrics >"$D/metrics-skew.txt"
cr=$(python3 lib/dp_metrics.py get "$D/metrics-skew.txt" p2sgw_dataplane_lane_packets_total protocol=OpenVPN kind=crossing)
c0=$(python3 lib/dp_metrics.py get "$D/metrics-skew.txt" p2sgw_dataplane_lane_packets_total protocol=OpenVPN worker=0 kind=crossing)
c1=$(python3 lib/dp_metrics.py get "$D/metrics-skew.txt" p2sgw_dataplane_lane_packets_total protocol=OpenVPN worker=1 kind=crossing)
ct=$(python3 lib/dp_metrics.py get "$D/metrics-skew.txt" p2sgw_dataplane_cross_worker_packets_total)
echo "crossing lane packets: worker 0 $c0, worker 1 $c1; cross-worker total $ct"
if [ "${c0:-0}" -ge 20 ] && [ "${c1:-0}" -ge 20 ] && [ "${ct:-0}" -ge "${cr:-1}" ]; then
	pass workers-metrics-crossing
else
	fail workers-metrics-crossing "expected >= 20 crossing packets on each lane and a cross-worker total at least their sum: lanes '$c0' '$c1', total '$ct'"
fi

# A persistent single-queue device of the configured name, made by an
# administrator before the start: it cannot take more queues, so worker 0
# reads its one queue and worker 1 only its socket; bob's replies cross.
disconnect alice
disconnect bob
stop_pid "$GW_PID"
run $NS_GW ip tuntap add dev p2s0 mode tun
GWLOG=$D/gw-1q.log
if start_gateway && connect alice && connect bob && ordered alice 20 && ordered bob 20 &&
	log_has "$GWLOG" "p2s0 cannot be multi-queue" && [ "$(field bob crossWorkerPackets)" -ge 20 ]; then
	pass workers-tun-single-queue
else
	fail workers-tun-single-queue "expected the one-queue fallback logged and 20 replies in order on both tunnels (bob's crossing): alice $(grep -c icmp_seq "$D/ping-alice.txt"), bob $(grep -c icmp_seq "$D/ping-bob.txt") replies, bob crossing '$(field bob crossWorkerPackets)'; $(grep -m1 -o 'p2s0 cannot.*' "$GWLOG")"
fi
exit $LAB_FAILED
