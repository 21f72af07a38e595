#!/bin/bash
# OpenVPN over TCP 443 on the data-plane workers (dataPlane.workers: 2),
# with real openvpn 2.6 clients. A connection does its handshake on the
# main loop, then moves to the least-loaded worker, which reads it, decrypts
# its data and writes its socket; control packets go to the main loop.
# Positive: two TCP clients land on workers 0 and 1; iperf3 both ways with
# both workers busy and the main loop nearly idle; 200 fast pings each in
# order, every reply read by its session's owner (TUN queue steering); the
# per-worker TCP counters in /metrics; a UDP client beside them (TCP_NODELAY
# pushed to the TCP clients only);
# client-initiated renegotiation under traffic; `p2sctl session disconnect`
# of a moved session (the client sees RESTART and comes back); a killed
# client's session ends; reloads (one moving the UDP port) keep the TCP
# sessions passing traffic; $WTCP_MASS (default 150) p2s-loadgen TCP
# sessions moved to the workers and ended at once by revoking their shared
# certificate (reload): all gone, freed with a handful of data-plane
# pauses rather than one per connection, bob's real client pinging in
# order throughout; a stop with moved sessions is clean. Negative:
# a zero-length frame, and an oversized control frame, slipped into one
# moved connection (through a relay) close that connection only, the other
# session keeps all its pings; with workers 1 nothing moves; with the
# hand-off ring shrunk to 1 slot (a test setting) a renegotiation's
# control flight finds it full: the worker waits (counted), nothing is
# lost, the new keys come up and the pings stay in order.
#   tests/e2e/workers-tcp.sh [BUILD_DIR]
set -u
BUILD=$(realpath "${1:-build}")
cd "$(dirname "$0")" || exit 2
. lib/netns.sh
. lib/workers.sh
. lib/pki.sh
. lib/openvpn.sh
LAB_CASES="wtcp-moved wtcp-split wtcp-ping-order wtcp-steered wtcp-iperf-up wtcp-parallel-up wtcp-iperf-down
wtcp-parallel-down wtcp-main-idle wtcp-no-replay wtcp-metrics wtcp-udp-alongside wtcp-nodelay wtcp-bad-zero
wtcp-bad-oversized wtcp-reneg wtcp-disconnect wtcp-killed wtcp-reload-same wtcp-reload-port
wtcp-mass-moved wtcp-mass-ended wtcp-mass-pauses wtcp-mass-beside wtcp-stop wtcp-one-worker
wtcp-ring-full wtcp-unsteered"
CTL=$BUILD/p2sctl
GW=$BUILD/p2sgw
LG=$BUILD/bench/loadgen/p2s-loadgen
MASS=${WTCP_MASS:-150}
D=$LAB_DIR
PKI=$D/pki
lab_require openvpn iperf3 openssl python3 ping ss
if [ ! -x "$GW" ] || [ ! -x "$CTL" ]; then
	for c in $LAB_CASES; do skip "$c" "no $GW or $CTL: build first"; done
	exit 0
fi

ups() { grep -c "Initialization Sequence Completed" "$D/$1.log" 2>/dev/null; }
# connect NAME tcp|udp [ADDR PORT] [openvpn options]: one client of NAME's
# host (alice2: alice's host, alice3: bob's), waited for; ADDR PORT replace
# the gateway's (a relay).
connect() {
	local n=$1 proto=$2 addr port
	shift 2
	addr=$(gw_of "$n")
	port=443
	[ "$proto" = udp ] && port=1194
	if [ $# -ge 2 ] && [ "${1#-}" = "$1" ]; then
		addr=$1
		port=$2
		shift 2
	fi
	azure_profile "$D/$n.ovpn" "$PKI" "$n" "$proto"
	rm -f "$D/$n.log"
	ovpn_client "$(ns_of "$n")" "$D" "$n" "$D/$n.ovpn" "$proto" "$addr" "$port" "$@" >/dev/null
	wait_log "$D/$n.log" "Initialization Sequence Completed" 30
}
ns_of() { case $1 in bob | alice3) echo $NS_CLI2 ;; *) echo $NS_CLI ;; esac; }
gw_of() { case $1 in bob | alice3) echo 198.51.100.1 ;; *) echo 192.0.2.1 ;; esac; }
disconnect() { stop_pid "$(cat "$D/$1.pid" 2>/dev/null)"; }
GWLOG=$D/gw.log
start_gateway() { # start_gateway [env assignments]
	GW_PID=$(spawn $NS_GW "$GWLOG" env "$@" "$GW" --config "$D/gw.json")
	wait_listen $NS_GW tcp 443 15 "$GW_PID"
}
# ordered NAME COUNT [INTERVAL]: COUNT echoes through NAME's tunnel (its
# tun-NAME), every reply there, in sequence order, none twice.
ordered() {
	run "$(ns_of "$1")" ping -I "tun-$1" -c "$2" -i "${3:-0.05}" -W 3 10.1.0.10 >"$D/ping-$1.txt"
	python3 -c 'import re, sys
t = open(sys.argv[1]).read()
seqs = [int(m) for m in re.findall(r"icmp_seq=(\d+)", t)]
sys.exit(0 if seqs == list(range(1, int(sys.argv[2]) + 1)) and "DUP!" not in t else 1)' \
		"$D/ping-$1.txt" "$2" && return 0
	cp "$D/ping-$1.txt" "$D/ping-$1-failed-$((++PING_FAILS)).txt" # kept with LAB_KEEP=1
	echo "ping $1 not in order: $(grep -E 'icmp_seq|DUP|From' "$D/ping-$1.txt" | grep -oE '^From [^ ]+|icmp_seq=[0-9]+|DUP!|time=[0-9.]+ ms|Unreachable|Redirect' | tr '\n' ' ' | head -c 3000)"
	return 1
}
PING_FAILS=0
replies() { grep -c icmp_seq "$D/ping-$1.txt" 2>/dev/null; }
# all NAME COUNT [INTERVAL]: every reply, none twice, order not asserted:
# for the sessions beside an event (another client's bad frame, a UDP
# client); wtcp-ping-order asserts the order. A sequence out of order is
# still printed.
all() {
	ordered "$@" && return 0
	python3 -c 'import re, sys
t = open(sys.argv[1]).read()
seqs = [int(m) for m in re.findall(r"bytes from .*icmp_seq=(\d+)", t)]
sys.exit(0 if sorted(seqs) == list(range(1, int(sys.argv[2]) + 1)) and "DUP!" not in t else 1)' \
		"$D/ping-$1.txt" "$2"
}
metric() { python3 lib/dp_metrics.py get "$D/metrics.txt" "$@"; }

lab_up
make_pki "$PKI" >/dev/null || exit 1
write_conf "$D/gw.json" 2
if ! start_gateway; then
	for c in $LAB_CASES; do fail "$c" "the gateway did not listen: $(log_tail "$GWLOG" 5)"; done
	exit 1
fi
NET=$(net_pid)

connect alice tcp && connect bob tcp
if wait_until 10 eval '[ "$(grep -c "TCP connection moved to data-plane worker" "$GWLOG")" -ge 2 ]'; then
	pass wtcp-moved
else
	fail wtcp-moved "expected both TCP connections moved to a worker after their push: $(grep -o 'TCP connection moved.*' "$GWLOG" | tr '\n' '|'); $(log_tail "$GWLOG" 3)"
fi
split_workers wtcp-split alice "$(field alice dataPlaneWorker)" bob "$(field bob dataPlaneWorker)"
both_ordered wtcp-ping-order alice bob 200 0.01

# TUN queue steering: every reply to a session is read by its owner (no
# packet sealed by the other worker), from a flow's first one on.
xa=$(field alice crossWorkerPackets)
xb=$(field bob crossWorkerPackets)
if log_has "$GWLOG" "steered to its worker's queue" && [ "$xa" = 0 ] && [ "$xb" = 0 ]; then
	pass wtcp-steered
else
	fail wtcp-steered "expected the TUN steered and no reply read by a worker not owning its session: crossing alice '$xa', bob '$xb'; $(grep -m1 -E 'queue steering|steered' "$GWLOG")"
fi

spawn $NS_VNET "$D/iperf1.log" iperf3 -s -p 5201 >/dev/null
spawn $NS_VNET "$D/iperf2.log" iperf3 -s -p 5202 >/dev/null
wait_listen $NS_VNET tcp 5202 5
main_ok=1
mains=""
for dir in up down; do
	both_iperf $dir
	echo "iperf3 $dir at once over TCP: alice $ba B, bob $bb B in 3 s"
	echo "CPU during the transfer: worker 0 ${c0} s, worker 1 ${c1} s, main loop ${cm} s"
	if [ "${ba:-0}" -gt 1000000 ] && [ "${bb:-0}" -gt 1000000 ]; then
		pass wtcp-iperf-$dir
	else
		fail wtcp-iperf-$dir "expected > 1 MB each way for both TCP clients in 3 s, got alice ${ba:-0} B, bob ${bb:-0} B"
	fi
	if python3 -c 'import sys
m, w = float(sys.argv[1]), float(sys.argv[2])
sys.exit(0 if m + w >= 0.05 and min(m, w) >= 0.2 * (m + w) else 1)' "${c0:-0}" "${c1:-0}"; then
		pass wtcp-parallel-$dir
	else
		fail wtcp-parallel-$dir "expected each worker to use at least a fifth of the CPU the two took (0.05 s in all), got worker 0 ${c0:-?} s, worker 1 ${c1:-?} s (main ${cm:-?} s)"
	fi
	# The main loop only runs timers (keepalives) and flushes nothing of
	# the data: under a tenth of the workers' time.
	python3 -c 'import sys
m, a, b = (float(x) for x in sys.argv[1:4])
sys.exit(0 if m <= 0.1 * (a + b) + 0.02 else 1)' "${cm:-9}" "${c0:-0}" "${c1:-0}" || main_ok=0
	mains="$mains $dir:${cm}s/${c0}s+${c1}s"
done
if [ $main_ok = 1 ]; then
	pass wtcp-main-idle
else
	fail wtcp-main-idle "expected the main loop under a tenth of the workers' CPU during the transfers, got (main/workers)$mains"
fi
rep=$(cat "$D/alice.log" "$D/bob.log" | grep -ciE 'replay|bad packet ID')
if [ "$rep" = 0 ]; then
	pass wtcp-no-replay
else
	fail wtcp-no-replay "expected no replay errors in the clients' logs, got $rep"
fi

"$CTL" --socket "$D/p2sgw.sock" gateway metrics >"$D/metrics.txt"
t0=$(metric p2sgw_dataplane_lane_packets_total protocol=OpenVPN worker=0 kind=tcp_data)
t1=$(metric p2sgw_dataplane_lane_packets_total protocol=OpenVPN worker=1 kind=tcp_data)
h=$(metric p2sgw_dataplane_lane_packets_total protocol=OpenVPN kind=tcp_handoff)
hd=$(metric p2sgw_dataplane_handoff_drops_total)
# alice and bob: one TCP connection owned by each worker, each moved there.
own=$(metric p2sgw_dataplane_streams protocol=OpenVPN worker=0)/$(metric p2sgw_dataplane_streams protocol=OpenVPN worker=1)
mv0=$(metric p2sgw_dataplane_streams_moved_total protocol=OpenVPN worker=0)
mv1=$(metric p2sgw_dataplane_streams_moved_total protocol=OpenVPN worker=1)
echo "TCP data packets read on worker 0: $t0, worker 1: $t1; handed to the main loop: $h; hand-off drops $hd; streams owned $own, moved $mv0/$mv1"
if [ "${t0:-0}" -gt 1000 ] && [ "${t1:-0}" -gt 1000 ] && [ -n "$h" ] && [ "$hd" = 0 ] &&
	[ "$own" = 1/1 ] && [ "${mv0:-0}" -ge 1 ] && [ "${mv1:-0}" -ge 1 ]; then
	pass wtcp-metrics
else
	fail wtcp-metrics "expected > 1000 TCP data packets read on each worker, no hand-off drops, one TCP stream owned by each worker and moved there: '$t0' '$t1', handoff '$h', drops '$hd', owned $own, moved '$mv0' '$mv1'"
fi

# A UDP client (alice3, bob's host) beside the two TCP ones: all three ping at once.
if connect alice3 udp; then
	all alice 100 0.02 &
	pa=$!
	all bob 100 0.02 &
	pb=$!
	all alice3 100 0.02
	re=$?
	wait $pa
	ra=$?
	wait $pb
	rb=$?
	if [ $ra = 0 ] && [ $rb = 0 ] && [ $re = 0 ]; then
		pass wtcp-udp-alongside
	else
		fail wtcp-udp-alongside "expected all 100 replies, none twice, on each of the TCP and UDP tunnels: alice $(replies alice) ($ra), bob $(replies bob) ($rb), alice3 $(replies alice3) ($re); $(grep -c DUP "$D"/ping-*.txt | tr '\n' ' '); $(grep -hiE 'replay|bad packet ID' "$D"/alice*.log "$D/bob.log" | head -n 2)"
	fi
else
	fail wtcp-udp-alongside "the UDP client did not connect: $(log_tail "$D/alice3.log" 3)"
fi
disconnect alice3

# TCP_NODELAY pushed to TCP clients only: without it a client's Nagle holds
# a small packet until the gateway's delayed ACK (pings of 40 ms).
if grep -q "OPTIONS IMPORT: --socket-flags option modified" "$D/alice.log" &&
	! grep -q "socket-flags" "$D/alice3.log"; then
	pass wtcp-nodelay
else
	fail wtcp-nodelay "expected the TCP client to take the pushed socket-flags TCP_NODELAY and the UDP client not to get it: $(grep -h -m1 'socket-flags' "$D/alice.log" "$D/alice3.log")"
fi

# Bad frames slipped into alice2's moved connection (a relay in front of
# her client, at a frame boundary): her connection closes (she reconnects
# through the relay), bob's pings meanwhile all come back.
spawn $NS_CLI "$D/relay.log" python3 lib/tcp_inject.py 1443 192.0.2.1 443 "$D/inject" >/dev/null
wait_listen $NS_CLI tcp 1443 5
if connect alice2 tcp 127.0.0.1 1443; then
	for kind in zero oversized; do
		why="protocol error on the TCP stream"
		[ $kind = oversized ] && why="oversized control packet on the TCP stream"
		before=$(ups alice2)
		all bob 150 0.02 &
		pb=$!
		sleep 0.5
		inj=zero
		[ $kind = oversized ] && inj=big
		echo $inj >"$D/inject"
		wait_log "$GWLOG" "$why" 10
		seen=$?
		wait $pb
		rb=$?
		wait_until 30 eval '[ "$(ups alice2)" -gt "$before" ]'
		back=$?
		# The reconnected client's first replies too, in order.
		if [ $seen = 0 ] && [ $rb = 0 ] && [ $back = 0 ] && ordered alice2 20 0.02; then
			pass wtcp-bad-$kind
		else
			fail wtcp-bad-$kind "expected alice2's connection closed ('$why' logged: $seen), all of bob's 150 pings back meanwhile ($(replies bob)), alice2 back and passing 20 pings ($back, $(replies alice2))"
		fi
	done
else
	for kind in zero oversized; do fail wtcp-bad-$kind "alice2 did not connect through the relay: $(log_tail "$D/alice2.log" 3)"; done
fi
disconnect alice2

# Client-initiated renegotiation every 4 s under traffic: bob's pings
# (10 s) all come back in order across at least two new keys.
disconnect bob
n0=$(grep -c "data keys renegotiated" "$GWLOG")
if connect bob tcp --reneg-sec 4 && ordered bob 200 0.05 &&
	[ $(($(grep -c "data keys renegotiated" "$GWLOG") - n0)) -ge 2 ]; then
	pass wtcp-reneg
	echo "renegotiations: $(($(grep -c "data keys renegotiated" "$GWLOG") - n0)) during bob's 200 pings"
else
	fail wtcp-reneg "expected 200 replies in order across >= 2 renegotiations: $(replies bob) replies, $(($(grep -c "data keys renegotiated" "$GWLOG") - n0)) renegotiations"
fi
disconnect bob
connect bob tcp

# The administrator disconnects alice's moved session: her client is told
# RESTART, reconnects and passes traffic on a moved connection again.
aid=$(field alice vpnConnectionId)
before=$(ups alice)
moved0=$(grep -c "TCP connection moved" "$GWLOG")
run $NS_GW "$CTL" --socket "$D/p2sgw.sock" session disconnect --id "$aid" >/dev/null
if wait_log "$D/alice.log" "server-pushed-connection-reset|RESTART" 10 &&
	wait_until 30 eval '[ "$(ups alice)" -gt "$before" ]' && ordered alice 50 0.02 &&
	[ "$(grep -c "TCP connection moved" "$GWLOG")" -gt "$moved0" ] &&
	[ "$(field alice vpnConnectionId)" != "$aid" ]; then
	pass wtcp-disconnect
else
	fail wtcp-disconnect "expected alice told RESTART, back with a new moved session and 50 pings in order: $(grep -m1 -oE 'server-pushed-connection-reset|RESTART.*' "$D/alice.log"), ups $before -> $(ups alice), replies $(replies alice)"
fi

# alice's client killed outright: the worker sees the end of the stream,
# the main loop ends her session; bob's pings go on.
apid=$(cat "$D/alice.pid")
kill -9 "$apid"
gone() { [ -z "$(field alice dataPlaneWorker)" ]; }
if wait_until 15 gone && log_has "$GWLOG" "client closed the TCP connection" && ordered bob 50 0.02; then
	pass wtcp-killed
else
	fail wtcp-killed "expected alice's session gone within 15 s (client closed the TCP connection) and bob's pings in order: $(field alice dataPlaneWorker); $(log_tail "$GWLOG" 3)"
fi

# Reloads with workers: unchanged, then one that moves the UDP port (the
# workers are parked for the lanes): bob's moved TCP session passes pings
# across both.
kill -HUP "$GW_PID"
if wait_log "$GWLOG" "reload: configuration applied" 10 && ordered bob 50 0.02; then
	pass wtcp-reload-same
else
	fail wtcp-reload-same "expected bob's 50 pings in order after a reload: $(replies bob)"
fi
write_conf "$D/gw.json" 2 1195
n0=$(grep -c "reload: configuration applied" "$GWLOG")
kill -HUP "$GW_PID"
if wait_until 10 eval '[ "$(grep -c "reload: configuration applied" "$GWLOG")" -gt "$n0" ]' &&
	wait_listen $NS_GW udp 1195 10 && ordered bob 50 0.02; then
	pass wtcp-reload-port
else
	fail wtcp-reload-port "expected the UDP port moved and bob's TCP pings in order across it: $(replies bob); $(log_tail "$GWLOG" 3)"
fi

# Many moved sessions ended at once: p2s-loadgen brings up MASS TCP
# sessions with alice3's certificate (they move to the workers; the UDP
# alice3 of before may still be listed too), then a
# reload revokes it. The sessions end in that reload's pass and their
# connections are freed by the reaper, one data-plane pause per pass; the
# pauses before this batching were one per connection (>= MASS). Bound:
# at most 10 (the passes the main loop needs to end them, a few). bob's
# real client pings in order during and after.
mass_sessions() { sessions | python3 -c 'import json, sys
print(sum(s["vpnUserName"].startswith("alice3@") for s in json.load(sys.stdin)))'; }
pauses() {
	"$CTL" --socket "$D/p2sgw.sock" gateway metrics >"$D/metrics.txt"
	metric p2sgw_dataplane_pauses_total
}
mass() {
	local m0 p0 p1 pb rb C=$PKI/clients/alice3@contoso.com
	m0=$(grep -c "TCP connection moved" "$GWLOG")
	LG_PID=$(spawn $NS_CLI "$D/loadgen.log" "$LG" --tcp --server 192.0.2.1:443 \
		--tls-auth "$PKI/ta.key" --cert "$C.crt" --key "$C.key" --ca "$PKI/gwroot/root.crt" \
		--clients "$MASS" --concurrency 16 --hold 600 --ramp-limit 150 --ping 5)
	if wait_log "$D/loadgen.log" "^ALLUP" 160 &&
		wait_until 20 eval '[ "$(mass_sessions)" -ge "$MASS" ]' &&
		wait_until 20 eval '[ $(($(grep -c "TCP connection moved" "$GWLOG") - m0)) -ge "$MASS" ]'; then
		pass wtcp-mass-moved
		grep "^ALLUP" "$D/loadgen.log"
	else
		fail wtcp-mass-moved "expected $MASS loadgen TCP sessions up and moved: $(grep -E '^(STAT|ALLUP)' "$D/loadgen.log" | tail -n 1); listed $(mass_sessions), moved $(($(grep -c "TCP connection moved" "$GWLOG") - m0)); $(log_tail "$D/loadgen.log" 2)"
		for c in wtcp-mass-ended wtcp-mass-pauses wtcp-mass-beside; do fail "$c" "the sessions did not come up"; done
		return
	fi
	p0=$(pauses)
	s0=$(metric p2sgw_dataplane_streams protocol=OpenVPN)
	ordered bob 100 0.05 &
	pb=$!
	sleep 1
	python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
c["vpnClientConfiguration"]["vpnClientRevokedCertificates"] = [{"name": "lg", "thumbprint": sys.argv[2]}]
json.dump(c, open(sys.argv[1], "w"))' "$D/gw.json" "$(thumbprint "$C.crt")"
	kill -HUP "$GW_PID"
	wait_until 30 eval '[ "$(mass_sessions)" = 0 ]'
	local ended=$?
	wait $pb
	rb=$?
	p1=$(pauses)
	s1=$(metric p2sgw_dataplane_streams protocol=OpenVPN)
	echo "$MASS moved TCP sessions ended by one revocation: data-plane pauses $p0 -> $p1, TCP streams on the workers $s0 -> $s1"
	if [ $ended = 0 ] && [ "$((${s0:-0} - ${s1:-0}))" = "$MASS" ]; then
		pass wtcp-mass-ended
	else
		fail wtcp-mass-ended "expected every loadgen session gone from session list within 30 s of the revocation and $MASS fewer TCP streams on the workers: $(mass_sessions) left, streams $s0 -> $s1; $(log_tail "$GWLOG" 3)"
	fi
	if [ -n "$p0" ] && [ -n "$p1" ] && [ $((p1 - p0)) -ge 1 ] && [ $((p1 - p0)) -le 10 ]; then
		pass wtcp-mass-pauses
	else
		fail wtcp-mass-pauses "expected 1 to 10 data-plane pauses to free $MASS moved connections, got '$p0' -> '$p1'"
	fi
	if [ $rb = 0 ] && ordered bob 50 0.02; then
		pass wtcp-mass-beside
	else
		fail wtcp-mass-beside "expected bob's 100 pings in order across the mass end and 50 after: $(replies bob) replies"
	fi
}
if [ -x "$LG" ]; then
	mass
else
	for c in wtcp-mass-moved wtcp-mass-ended wtcp-mass-pauses wtcp-mass-beside; do skip "$c" "no $LG: build first"; done
fi
stop_pid "${LG_PID:-}"

# A stop with a moved session: the gateway exits within the bounds.
stop_pid "$GW_PID"
if ! kill -0 "$GW_PID" 2>/dev/null && log_has "$GWLOG" "TCP connection moved"; then
	pass wtcp-stop
else
	fail wtcp-stop "expected the gateway gone after its stop: $(log_tail "$GWLOG" 3)"
fi
disconnect bob

# workers 1: nothing moves; a TCP client passes traffic on the main loop.
write_conf "$D/gw.json" 1
GWLOG=$D/gw-1.log
if start_gateway && connect alice tcp && ordered alice 50 0.02 && ! log_has "$GWLOG" "moved to data-plane worker"; then
	pass wtcp-one-worker
else
	fail wtcp-one-worker "expected a TCP client passing 50 pings in order with no move: $(replies alice); $(grep -c 'moved to data-plane' "$GWLOG")"
fi
disconnect alice
stop_pid "$GW_PID"

write_conf "$D/gw.json" 2
GWLOG=$D/gw-ring.log
# A relay holding the client's frames 30 ms puts a renegotiation's flight
# in one read, whatever Nagle or TCP_NODELAY did to it on the way.
spawn $NS_CLI "$D/relay-hold.log" python3 lib/tcp_inject.py 1444 192.0.2.1 443 "$D/inject-hold" 30 >/dev/null
wait_listen $NS_CLI tcp 1444 5
if start_gateway P2SGW_DPLANE_RING=1 && connect alice2 tcp 127.0.0.1 1444 --reneg-sec 2 && ordered alice2 150 0.05; then
	"$CTL" --socket "$D/p2sgw.sock" gateway metrics >"$D/metrics.txt"
	wt=$(metric p2sgw_dataplane_lane_packets_total protocol=OpenVPN kind=tcp_ring_waits)
	rn=$(grep -c "data keys renegotiated" "$GWLOG")
	echo "ring of 1 slot: $wt waits for room, $rn renegotiations, 150 pings in order"
	if [ "${wt:-0}" -gt 0 ] && [ "$rn" -ge 2 ] && log_has "$GWLOG" "ring of 1 slot "; then
		pass wtcp-ring-full
	else
		fail wtcp-ring-full "expected waits for room in the 1-slot ring (got '$wt') and >= 2 renegotiations (got $rn)"
	fi
else
	fail wtcp-ring-full "expected alice2's 150 pings in order across renegotiations with a 1-slot ring: $(replies alice2); $(log_tail "$GWLOG" 3)"
fi
disconnect alice2
stop_pid "$GW_PID"

# Without TUN steering (test setting; as without CAP_BPF) the gateway says
# so once and sessions still pass traffic: the kernel picks the queues.
GWLOG=$D/gw-unsteered.log
if start_gateway P2SGW_TUN_STEER=off && connect alice tcp && connect bob tcp &&
	all alice 50 0.02 && all bob 50 0.02 &&
	[ "$(grep -c "no queue steering" "$GWLOG")" = 1 ] && ! log_has "$GWLOG" "steered to its worker"; then
	pass wtcp-unsteered
else
	fail wtcp-unsteered "expected one 'no queue steering' warning and 50 replies each: $(replies alice)/$(replies bob); $(grep -m1 -E 'queue steering|steered' "$GWLOG")"
fi
disconnect alice
disconnect bob
stop_pid "$GW_PID"
exit $LAB_FAILED
