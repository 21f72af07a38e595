#!/bin/bash
# dataPlane.workers: 2 with SSTP: two real sstpc clients (Debian's
# sstp-client; lib/ppp_peer.py plays pppd, as in the sstp lab) and FreeRADIUS
# in its default configuration. Once a call is CONNECTED the gateway moves it
# to the least-loaded worker: the two land on workers 0 and 1 (p2sctl session
# list), 200 fast pings each come back in order, iperf3 both ways at once
# runs on the worker threads (each does a share, the main loop almost
# none), LCP echoes are answered on a moved call (PPP control handed to the
# main loop), an idle moved call stays up across several SSTP hello
# intervals (shortened by a test setting) because sstpc answers the
# ECHO_REQUESTs, /metrics counts each worker's streams and packets and no
# hand-off is dropped, a reload keeps the calls, `p2sctl session disconnect`
# of a moved call sends CALL_DISCONNECT (the client exits), and a client
# killed mid-stream ends its session and frees its address. Negative: a raw
# client (lib/sstp_raw.py) that reaches CONNECTED and then breaks the SSTP
# framing inside TLS is closed alone while the other call keeps passing
# traffic.
#   tests/e2e/sstp-workers.sh [BUILD_DIR]
set -u
BUILD=$(realpath "${1:-build}")
cd "$(dirname "$0")" || exit 2
. lib/netns.sh
. lib/workers.sh
. lib/pki.sh
. lib/radius_mschap.sh
. lib/openvpn.sh
LAB_CASES="sstpw-split sstpw-ping-order sstpw-iperf-up sstpw-iperf-down sstpw-workers-busy
sstpw-main-idle sstpw-lcp-echo sstpw-hello-idle sstpw-metrics sstpw-no-handoff-drops
sstpw-reload sstpw-garbage-closed sstpw-garbage-others-pass sstpw-disconnect
sstpw-killed-ends sstpw-killed-address-freed"
CTL=$BUILD/p2sctl
GW=$BUILD/p2sgw
D=$LAB_DIR
LIB=$(pwd)/lib
GWLOG=$D/gw.log
HELLO=2
lab_require sstpc freeradius openssl python3 ping iperf3
if [ ! -x "$GW" ] || [ ! -x "$CTL" ]; then
	for c in $LAB_CASES; do skip "$c" "no $GW or $CTL: build first"; done
	exit 0
fi

write_conf() {
	cat >"$D/gw.json" <<J
{"name": "sstp-workers", "gatewayFqdn": "gw.p2s.test", "stateDirectory": "$D/state",
 "controlSocket": "$D/p2sgw.sock", "tunInterface": "p2s0",
 "dataPlane": {"workers": 2},
 "serverCertificate": {"certFile": "$D/pki/server.crt", "keyFile": "$D/pki/server.key"},
 "virtualNetwork": {"addressSpace": ["10.1.0.0/16"]},
 "vpnClientConfiguration": {"vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"]},
  "vpnClientProtocols": ["SSTP"], "vpnAuthenticationTypes": ["Radius"],
  "radiusServers": [{"radiusServerAddress": "127.0.0.1:1812", "radiusServerScore": 30,
                     "radiusServerSecret": "lab-secret"}]}}
J
}

# peer NAME USER PASSWORD [ppp_peer options]: sstpc + the PPP peer on TUN
# tun-NAME in NAME's namespace (alice: cli, carol: cli2).
declare -A PEER_PID
pns() { case $1 in carol) echo $NS_CLI2 ;; *) echo $NS_CLI ;; esac; }
peer() {
	local name=$1 user=$2 pw=$3
	shift 3
	PEER_PID[$name]=$(spawn "$(pns "$name")" "$D/$name.log" python3 "$LIB/ppp_peer.py" \
		--server gw.p2s.test --ca "$D/pki/gwroot/root.crt" --ipparam "$LAB_ID-$name" \
		--tun "tun-$name" --user "$user" --password "$pw" --route 10.1.0.0/16 \
		--sstpc-log "$D/$name.sstpc.log" --timeout 300 "$@")
}
peer_addr() { sed -n 's/^PPP: IPCP up \([0-9.]*\) .*/\1/p' "$D/$1.log"; }
peer_tail() { echo "$1: $(log_tail "$D/$1.log" 4) sstpc: $(log_tail "$D/$1.sstpc.log" 3)"; }
# sfield USER KEY: one field of USER's session ("" if none)
sfield() {
	sessions | python3 -c 'import json, sys
for s in json.load(sys.stdin):
    if s["vpnUserName"].split("@")[0] == sys.argv[1]:
        print(s[sys.argv[2]])' "$1" "$2" 2>/dev/null
}
metric() { "$CTL" --socket "$D/p2sgw.sock" gateway metrics 2>/dev/null | awk -v n="$1" '$1 == n {print $2}'; }
# ordered NAME COUNT: COUNT fast echoes through NAME's tunnel, every reply
# there and in sequence order.
ordered() {
	run "$(pns "$1")" ping -c "$2" -i 0.02 -W 2 -I "tun-$1" 10.1.0.10 >"$D/ping-$1.txt"
	python3 -c 'import re, sys
seqs = [int(m) for m in re.findall(r"icmp_seq=(\d+)", open(sys.argv[1]).read())]
sys.exit(0 if seqs == list(range(1, int(sys.argv[2]) + 1)) else 1)' "$D/ping-$1.txt" "$2"
}
gone() { ! kill -0 "$1" 2>/dev/null; }
pings() { run "$(pns "$1")" ping -c "${2:-2}" -W 2 -I "tun-$1" 10.1.0.10 >/dev/null; }
pool_used() {
	"$CTL" --socket "$D/p2sgw.sock" --output json gateway show 2>/dev/null |
		python3 -c 'import json, sys; print(sum(p["used"] for p in json.load(sys.stdin)["pools"]))'
}
diagnostics() {
	echo "--- gateway log $GWLOG (last 40 lines)"
	tail -n 40 "$GWLOG" 2>/dev/null
	local n
	for n in alice carol; do echo "--- $(peer_tail $n)"; done
}

# both_iperf_sstp up|down: both clients' iperf3 at once, the network
# process's threads sampled around it (c0, c1, cm: CPU seconds).
both_iperf_sstp() {
	local r="" pa
	[ "$1" = down ] && r=-R
	task_ticks "$NET" >"$D/tasks-$1-0"
	iperf_json $NS_CLI "$D/iperf-alice-$1.json" -p 5201 -B "$(peer_addr alice)" $r >"$D/bytes-alice-$1" &
	pa=$!
	iperf_json $NS_CLI2 "$D/iperf-carol-$1.json" -p 5202 -B "$(peer_addr carol)" $r >"$D/bytes-carol-$1"
	wait $pa
	task_ticks "$NET" >"$D/tasks-$1-1"
	read -r c0 c1 cm <<<"$(busy "$D/tasks-$1-0" "$D/tasks-$1-1" "$NET")"
	ba=$(cat "$D/bytes-alice-$1")
	bb=$(cat "$D/bytes-carol-$1")
}

lab_up
mkdir -p "/etc/netns/$NS_CLI" "/etc/netns/$NS_CLI2"
echo "192.0.2.1 gw.p2s.test" >"/etc/netns/$NS_CLI/hosts"
echo "198.51.100.1 gw.p2s.test" >"/etc/netns/$NS_CLI2/hosts"
trap 'lab_cleanup; rm -rf "/etc/netns/$NS_CLI" "/etc/netns/$NS_CLI2"' EXIT
make_pki "$D/pki" "$CTL" >/dev/null || exit 1
make_raddb_stock "$D/r1" lab-secret
spawn $NS_GW "$D/r1.log" freeradius -f -xx -l stdout -d "$D/r1" >/dev/null
spawn $NS_VNET "$D/iperf1.log" iperf3 -s -p 5201 >/dev/null
spawn $NS_VNET "$D/iperf2.log" iperf3 -s -p 5202 >/dev/null
wait_log "$D/r1.log" "Ready to process requests" 15 || echo "FreeRADIUS did not start: $(log_tail "$D/r1.log" 5)"
wait_listen $NS_VNET tcp 5202 5
write_conf
GW_PID=$(spawn $NS_GW "$GWLOG" env P2SGW_SSTP_HELLO_S=$HELLO "$GW" --config "$D/gw.json" --log-level debug)
if ! wait_listen $NS_GW tcp 443 15 "$GW_PID"; then
	for c in $LAB_CASES; do fail "$c" "the gateway did not listen on TCP 443: $(log_tail "$GWLOG" 5)"; done
	exit 1
fi
NET=$(net_pid)

# alice sends an LCP Echo-Request every second (PPP control on a moved call)
peer alice alice wonderland --lcp-echo 1
wait_log "$D/alice.log" "^PPP: IPCP up" 30
peer carol carol carol-pw
if ! wait_log "$D/carol.log" "^PPP: IPCP up" 30 || ! wait_until 10 test -n "$(sfield carol dataPlaneWorker)"; then
	for c in $LAB_CASES; do fail "$c" "expected both calls up within 30 s: $(peer_tail alice) $(peer_tail carol)"; done
	diagnostics
	exit 1
fi
wait_until 5 grep -q "moved to data-plane worker 1" "$GWLOG"
wa=$(sfield alice dataPlaneWorker)
wc=$(sfield carol dataPlaneWorker)
if [ "$wa" = 0 ] && [ "$wc" = 1 ] && [ "$(grep -c 'call moved to data-plane worker' "$GWLOG")" = 2 ]; then
	pass sstpw-split
	echo "alice on worker $wa, carol on worker $wc"
else
	fail sstpw-split "expected alice on worker 0 and carol on worker 1, both moved, got '$wa' and '$wc': $(grep -a 'moved to' "$GWLOG") $(sessions)"
fi

both_ordered sstpw-ping-order alice carol 200

declare -A CPU
for dir in up down; do
	both_iperf_sstp $dir
	echo "iperf3 $dir: alice $ba bytes, carol $bb bytes; CPU s: worker0 $c0 worker1 $c1 main $cm"
	CPU[$dir]="$c0 $c1 $cm"
	if [ "${ba:-0}" -gt 100000 ] && [ "${bb:-0}" -gt 100000 ]; then pass sstpw-iperf-$dir
	else fail sstpw-iperf-$dir "expected both clients' iperf3 to move > 100 kB, got alice ${ba:-0} and carol ${bb:-0}"; fi
done
# Each worker carries its call's TLS and forwarding; the main loop only
# timers. Shares, not absolute seconds: how much the two python PPP peers
# move in 3 s depends on what else the 2 cores run.
busy_ok() { python3 -c 'import sys
c0, c1, cm = map(float, sys.argv[1:4])
t = c0 + c1
sys.exit(0 if t >= 0.04 and c0 >= 0.2 * t and c1 >= 0.2 * t else 1)' $1; }
idle_ok() { python3 -c 'import sys
c0, c1, cm = map(float, sys.argv[1:4])
sys.exit(0 if cm <= 0.1 * (c0 + c1) + 0.05 else 1)' $1; }
if busy_ok "${CPU[up]}" && busy_ok "${CPU[down]}"; then pass sstpw-workers-busy
else fail sstpw-workers-busy "expected each worker at least a fifth of the workers' CPU (together >= 0.04 s) in both directions (w0 w1 main): up ${CPU[up]}, down ${CPU[down]}"; fi
if idle_ok "${CPU[up]}" && idle_ok "${CPU[down]}"; then pass sstpw-main-idle
else fail sstpw-main-idle "expected the main loop under a tenth of the workers' CPU (w0 w1 main): up ${CPU[up]}, down ${CPU[down]}"; fi

n=$(grep -c "^PPP: LCP echo reply" "$D/alice.log")
if [ "$n" -ge 3 ] && pings alice 1; then pass sstpw-lcp-echo; echo "alice: $n LCP echo replies"
else fail sstpw-lcp-echo "expected LCP Echo-Replies to alice's requests on the moved call, got $n: $(peer_tail alice)"; fi

# carol idle for four hello intervals: the gateway's ECHO_REQUESTs are
# answered by sstpc, the call stays.
e0=$(grep -c "ECHO_RESPONSE" "$GWLOG")
sleep $((4 * HELLO + 1))
e1=$(grep -c "ECHO_RESPONSE" "$GWLOG")
if [ "$e1" -gt "$e0" ] && [ -n "$(sfield carol vpnConnectionId)" ] && pings carol 2 &&
	! log_has "$GWLOG" "no answer to SSTP echo"; then pass sstpw-hello-idle
else fail sstpw-hello-idle "expected SSTP echoes answered ($e0 -> $e1 ECHO_RESPONSE) and carol's idle call still up: $(peer_tail carol) $(grep -a 'echo' "$GWLOG" | tail -n 3)"; fi

"$CTL" --socket "$D/p2sgw.sock" gateway metrics >"$D/metrics.txt" 2>&1
form=$(python3 lib/dp_metrics.py form "$D/metrics.txt")
if grep -q '^form-ok' <<<"$form" && python3 - "$D/metrics.txt" <<'P'; then pass sstpw-metrics
import re, sys
t = open(sys.argv[1]).read()
def v(name, **lab):
    want = ",".join('%s="%s"' % kv for kv in lab.items())
    m = re.search(r"^%s\{%s\} (\d+)$" % (re.escape(name), re.escape(want)), t, re.M)
    return int(m.group(1)) if m else -1
ok = all(v("p2sgw_dataplane_streams", protocol="SSTP", worker=str(w)) == 1 and
         v("p2sgw_dataplane_lane_packets_total", protocol="SSTP", worker=str(w), kind="data") > 1000 and
         v("p2sgw_dataplane_lane_packets_total", protocol="SSTP", worker=str(w), kind="handed") > 0 and
         v("p2sgw_dataplane_streams_moved_total", protocol="SSTP", worker=str(w)) == 1
         for w in (0, 1))
sys.exit(0 if ok else 1)
P
else fail sstpw-metrics "expected a well-formed exposition ($form) and per-worker SSTP streams 1, data > 1000, handed > 0, streams_moved 1: $(grep -a 'SSTP' "$D/metrics.txt" | tr '\n' ' ')"; fi
d=$(metric p2sgw_dataplane_handoff_drops_total)
if [ "$d" = 0 ]; then pass sstpw-no-handoff-drops
else fail sstpw-no-handoff-drops "expected no hand-off dropped, got '$d'"; fi

"$CTL" --socket "$D/p2sgw.sock" gateway reload >"$D/reload.txt" 2>&1
if [ -n "$(sfield alice vpnConnectionId)" ] && [ -n "$(sfield carol vpnConnectionId)" ] &&
	ordered alice 50 && ordered carol 50; then pass sstpw-reload
else fail sstpw-reload "expected both calls to pass 50 pings in order after a reload: $(cat "$D/reload.txt") $(peer_tail alice) $(peer_tail carol)"; fi

# Negative: a raw client (flood001, on worker 0 beside alice) reaches
# CONNECTED, then sends a broken SSTP header inside TLS; alice pings
# through it all.
run $NS_CLI python3 "$LIB/sstp_raw.py" --addr 192.0.2.1 --ca "$D/pki/gwroot/root.crt" \
	--user flood001 --password flood-pw --hold 3 >"$D/raw.log" 2>&1 &
rp=$!
run $NS_CLI ping -c 150 -i 0.05 -W 2 -I tun-alice 10.1.0.10 >"$D/ping-raw.txt" 2>&1
wait $rp
echo "raw client: $(tr '\n' ' ' <"$D/raw.log")"
if grep -q "^connected 172.16.201" "$D/raw.log" && grep -q "^garbage sent" "$D/raw.log" &&
	grep -q "^got CALL_DISCONNECT" "$D/raw.log" && grep -q "^eof" "$D/raw.log" &&
	[ "$(grep -c 'call moved to data-plane worker' "$GWLOG")" = 3 ] && log_has "$GWLOG" "bad SSTP header" &&
	wait_until 5 test -z "$(sfield flood001 vpnConnectionId)"; then pass sstpw-garbage-closed
else fail sstpw-garbage-closed "expected the raw call moved, then closed for its bad header: $(tr '\n' ' ' <"$D/raw.log") $(grep -a 'flood001\|bad SSTP' "$GWLOG" | tail -n 3)"; fi
lost=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$D/ping-raw.txt")
if [ "${lost:-100}" = 0 ] && pings carol 2; then pass sstpw-garbage-others-pass
else fail sstpw-garbage-others-pass "expected alice's 150 pings across the raw call's end without loss (got ${lost:-?}%) and carol still up"; fi

id=$(sfield alice vpnConnectionId)
if [ -n "$id" ] && "$CTL" --socket "$D/p2sgw.sock" session disconnect --id "$id" >/dev/null 2>&1 &&
	wait_log "$D/alice.log" "^PPP: link down" 10 && wait_until 10 gone "${PEER_PID[alice]}" &&
	wait_until 10 test -z "$(sfield alice vpnConnectionId)"; then pass sstpw-disconnect
else fail sstpw-disconnect "expected p2sctl session disconnect to end alice's moved call (LCP Terminate, CALL_DISCONNECT, the client exits): $(peer_tail alice)"; fi

used0=$(pool_used)
sp=$(pgrep -P "${PEER_PID[carol]}" -x sstpc)
[ -n "$sp" ] && kill -9 "$sp"
if [ -n "$sp" ] && wait_until 15 test -z "$(sfield carol vpnConnectionId)"; then pass sstpw-killed-ends
else fail sstpw-killed-ends "expected carol's session to end once her sstpc (pid '${sp:-none}') was killed: $(sessions)"; fi
used1=$(pool_used)
if [ -n "$used0" ] && [ "$used1" = $((used0 - 1)) ]; then pass sstpw-killed-address-freed
else fail sstpw-killed-address-freed "expected the pool to free carol's address: used $used0 before, $used1 after"; fi

stop_pid "$GW_PID"
[ "$LAB_FAILED" = 0 ] || diagnostics
exit $LAB_FAILED
