#!/bin/bash
# Many OpenVPN sessions at once, as a correctness test (the timing version is
# bench/session-scale): p2s-loadgen brings up $SCALE_CLIENTS (default 200)
# UDP clients from one process (tls-auth, one shared client certificate,
# key-method 2, TLS-EKM keys, AES-256-GCM); all are admitted, `p2sctl
# session list` shows them, their ICMP echoes through the tunnel reach the
# vnet host and come back (half of the clients send one a second), keepalives are answered for the hold, the
# gateway's RSS per session is at most 64 KiB, and when the clients leave (exit
# notify) every session ends. Then churn, with two data-plane workers: 16
# clients leave as soon as they are admitted and come back, over UDP and over
# TCP (connections moved to the workers and let go), three rounds each; once
# a round's sessions are gone the gateway holds the descriptors it held after
# the first and its heap's allocated bytes (/metrics) are within 3 MiB:
# nothing leaks per session.
#   tests/e2e/scale.sh [BUILD_DIR]
set -u
BUILD=$(realpath "${1:-build}")
N=${SCALE_CLIENTS:-200}
HOLD=${SCALE_HOLD:-15}
cd "$(dirname "$0")" || exit 2
. lib/netns.sh
. lib/pki.sh
LAB_CASES="scale-admitted scale-listed scale-pings scale-keepalive scale-rss scale-disconnect
scale-churn-udp scale-churn-tcp"
CTL=$BUILD/p2sctl
GW=${P2S_GATEWAY:-$BUILD/p2sgw}
LG=$BUILD/bench/loadgen/p2s-loadgen
D=$LAB_DIR
PKI=$D/pki
lab_require openvpn openssl python3 ss
# A sanitizer build's memory is its allocator's (redzones, quarantine): the
# memory bounds are not the gateway's then; its leak check runs at exit.
SAN=0
ldd "$GW" 2>/dev/null | grep -q libasan && SAN=1
if [ ! -x "$GW" ] || [ ! -x "$CTL" ] || [ ! -x "$LG" ]; then
	for c in $LAB_CASES; do skip "$c" "no $GW, $CTL or $LG: build first"; done
	exit 0
fi

write_conf() { # write_conf [WORKERS]
	cat >"$D/gw.json" <<J
{"name": "scale", "dataPlane": {"workers": ${1:-1}}, "sku": "VpnGw5", "vpnGatewayGeneration": "Generation2", "vpnType": "RouteBased",
 "gatewayFqdn": "gw.p2s.test", "stateDirectory": "$D/state", "controlSocket": "$D/p2sgw.sock",
 "logLevel": "warn", "tunInterface": "p2s0",
 "listen": {"address": "0.0.0.0", "tcpPort": 443, "udpPort": 1194},
 "limits": {"unauthenticatedPerSource": 256},
 "serverCertificate": {"certFile": "$PKI/server.crt", "keyFile": "$PKI/server.key"},
 "openvpn": {"tlsAuthKeyFile": "$PKI/ta.key", "renegotiateSeconds": 0, "pingSeconds": 2},
 "virtualNetwork": {"addressSpace": ["10.1.0.0/16"]},
 "vpnClientConfiguration": {"vpnClientAddressPool": {"addressPrefixes": ["172.16.0.0/22"]},
  "vpnClientProtocols": ["OpenVPN"], "vpnAuthenticationTypes": ["Certificate"],
  "vpnClientRootCertificates": [{"name": "r", "publicCertData": "$(cat "$PKI/root/root.b64")"}]}}
J
}

sessions() { "$CTL" --socket "$D/p2sgw.sock" --output json session list; }
n_sessions() { sessions | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
no_sessions() { [ "$(n_sessions)" = 0 ]; }
echoes_in() { ip netns exec $NS_VNET awk '/^Icmp:/ {n++; if (n == 2) print $10}' /proc/net/snmp; }
stat_field() { grep "^$1 " "$D/loadgen.log" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }

lab_up
make_pki "$PKI" >/dev/null || exit 1
write_conf
GW_PID=$(spawn $NS_GW "$D/gw.log" "$GW" --config "$D/gw.json")
if ! wait_listen $NS_GW udp 1194 10 "$GW_PID"; then
	for c in $LAB_CASES; do fail "$c" "the gateway did not listen: $(log_tail "$D/gw.log" 5)"; done
	exit 1
fi
sleep 1
RSS0=$(rss_kib "$GW_PID")
ECHO0=$(echoes_in)
C=$PKI/clients/alice3@contoso.com
LG_PID=$(spawn $NS_CLI "$D/loadgen.log" "$LG" --server 192.0.2.1:1194 --tls-auth "$PKI/ta.key" \
	--cert "$C.crt" --key "$C.key" --ca "$PKI/gwroot/root.crt" --clients "$N" \
	--concurrency 32 --hold "$HOLD" --ramp-limit 40 --icmp-target 10.1.0.10 --icmp-rate 1 \
	--icmp-clients $((N / 2)) --ping 2)

if wait_log "$D/loadgen.log" "^ALLUP" 45; then
	pass scale-admitted
	grep "^ALLUP" "$D/loadgen.log"
else
	fail scale-admitted "expected $N sessions up within 45 s: $(grep ^STAT "$D/loadgen.log" | tail -n 1); gw: $(log_tail "$D/gw.log" 3)"
fi

sleep 3
listed=$(n_sessions)
sessions >"$D/sessions.json"
ips=$(python3 -c 'import json,sys; print(len({s["privateIpAddress"] for s in json.load(open(sys.argv[1]))}))' "$D/sessions.json")
if [ "$listed" = "$N" ] && [ "$ips" = "$N" ]; then
	pass scale-listed
else
	fail scale-listed "expected $N sessions with distinct addresses in p2sctl session list, got $listed sessions, $ips addresses"
fi
RSS1=$(rss_kib "$GW_PID")
PER=$(((RSS1 - RSS0) * 1024 / (listed > 0 ? listed : 1)))
echo "scale: gateway RSS ${RSS0} KiB idle, ${RSS1} KiB with $listed sessions: $PER bytes per session"
# ~37 KB a session at 200 (arenas included; 30 KiB at 10,000, bench/session-scale):
# twice that means something per session stayed (a TLS object, a window).
if [ $SAN = 1 ]; then
	skip scale-rss "sanitizer build: RSS is the sanitizer allocator's"
elif [ "$listed" -gt 0 ] && [ "$PER" -le 65536 ]; then
	pass scale-rss
else
	fail scale-rss "expected <= 64 KiB of RSS per session, got $PER bytes with $listed sessions"
fi

wait_until $((HOLD + 30)) bash -c "! kill -0 $LG_PID"
grep "^SUMMARY" "$D/loadgen.log"
echoes=$(($(echoes_in) - ECHO0))
tx=$(stat_field SUMMARY icmp_tx)
rx=$(stat_field SUMMARY icmp_rx)
if [ -n "$tx" ] && [ "$tx" -ge "$N" ] && [ "$echoes" -ge "$((tx * 9 / 10))" ] && [ "$rx" -ge "$((tx * 9 / 10))" ]; then
	pass scale-pings
else
	fail scale-pings "expected the vnet host to see and answer >= 90% of the clients' echoes: sent ${tx:-?}, vnet saw $echoes, replies ${rx:-?}"
fi
lost=$(stat_field SUMMARY lost)
prx=$(stat_field SUMMARY pings_rx)
# The half without echo traffic is idle: the gateway's keepalives reach it.
if [ "${lost:-1}" = 0 ] && [ "${prx:-0}" -ge "$((N / 2 * HOLD / 4))" ]; then
	pass scale-keepalive
else
	fail scale-keepalive "expected every session kept alive for ${HOLD}s: lost ${lost:-?}, keepalives received ${prx:-?}"
fi
if wait_until 10 no_sessions; then
	pass scale-disconnect
else
	fail scale-disconnect "expected no session after the clients said goodbye, $(n_sessions) left"
fi
stop_pid "$GW_PID"

# churn_round udp|tcp: 16 clients churning for CHURN_SECS; then the
# sessions gone. Prints the admissions, the gateway's descriptors, heap
# allocated bytes and RSS.
CHURN_SECS=${SCALE_CHURN_SECS:-6}
fds() {
	local p n=0
	for p in $(proc_tree "$GW_PID"); do n=$((n + $(ls "/proc/$p/fd" 2>/dev/null | wc -l))); done
	echo $n
}
churn_round() {
	local srv=192.0.2.1:1194 tcp=
	[ "$1" = tcp ] && srv=192.0.2.1:443 tcp=--tcp
	run $NS_CLI "$LG" --server $srv $tcp --tls-auth "$PKI/ta.key" --cert "$C.crt" --key "$C.key" \
		--ca "$PKI/gwroot/root.crt" --clients 16 --concurrency 16 --churn --hold "$CHURN_SECS" \
		--interval 60 >"$D/churn.log" 2>&1
	# A UDP client whose push reply was still on its way when the generator
	# stopped never says goodbye: its session would wait for its keepalive
	# timeout. The administrator's disconnect ends those at once.
	"$CTL" --socket "$D/p2sgw.sock" session disconnect --user alice3@contoso.com >/dev/null 2>&1
	local left=0
	wait_until 5 no_sessions || left=$(n_sessions)
	sleep 0.5 # the reaper's bound (250 ms) for connections let go on the workers
	"$CTL" --socket "$D/p2sgw.sock" gateway metrics >"$D/metrics.txt"
	echo "$(grep "^SUMMARY " "$D/churn.log" | tr ' ' '\n' | sed -n 's/^admitted=//p') $(fds)" \
		"$(python3 lib/dp_metrics.py get "$D/metrics.txt" p2sgw_heap_bytes state=allocated)" \
		"$(rss_kib "$GW_PID") $left"
}
write_conf 2
GW_PID=$(spawn $NS_GW "$D/gw-churn.log" "$GW" --config "$D/gw.json")
wait_listen $NS_GW tcp 443 10 "$GW_PID"
for proto in udp tcp; do
	read -r a1 f1 h1 r1 l1 <<<"$(churn_round $proto)"
	read -r _ _ _ _ l2 <<<"$(churn_round $proto)"
	read -r a3 f3 h3 r3 l3 <<<"$(churn_round $proto)"
	moved=$(python3 lib/dp_metrics.py get "$D/metrics.txt" p2sgw_dataplane_streams_moved_total)
	owned=$(python3 lib/dp_metrics.py get "$D/metrics.txt" p2sgw_dataplane_streams)
	echo "churn $proto: admitted ${a1:-?} then ${a3:-?} per round; after rounds 1 and 3: descriptors $f1 -> $f3, heap allocated ${h1:-?} -> ${h3:-?} bytes, RSS $r1 -> $r3 KiB; sessions left $l1/$l2/$l3; TCP connections moved to the workers ${moved:-?} in all, owned there now ${owned:-?}"
	# The heap's allocated bytes, not RSS: RSS also grows with the
	# allocator's fragmentation (flat only after ~20,000 sessions), while
	# allocated moves within the threads' caches and short-lived tables
	# (measured: 1.2 MiB at most, up or down, between any two rounds). A
	# round is ~4,000 UDP or ~1,700 TCP sessions here, so a leak of 400 or
	# 900 bytes a session (far less than an SSL object or a session) passes
	# 3 MiB by round 3.
	# A sanitizer build's heap is not the gateway's allocator (its leak
	# check runs at exit instead).
	heap_ok=1
	if [ $SAN = 0 ] && ! { [ "${h1:-0}" -gt 0 ] && [ $((${h3:-0} - h1)) -le $((3 << 20)) ]; }; then
		heap_ok=0
	fi
	# Over TCP most connections moved to a worker before they ended: their
	# frees went through the reaper, which left none on the workers.
	moves_ok=1
	[ $proto = tcp ] && { [ "${moved:-0}" -lt "${a3:-0}" ] || [ "${owned:-1}" != 0 ]; } && moves_ok=0
	if [ "${a1:-0}" -ge 100 ] && [ "${a3:-0}" -ge 100 ] && [ "$f3" = "$f1" ] &&
		[ "$l1/$l2/$l3" = 0/0/0 ] && [ $heap_ok = 1 ] && [ $moves_ok = 1 ] && kill -0 "$GW_PID"; then
		pass scale-churn-$proto
	else
		fail scale-churn-$proto "expected >= 100 admissions a round (over TCP, more moved to the workers in all than admitted in a round, none owned there after), no session left after a round, the descriptors after round 3 as after round 1 and the heap's allocated bytes within 3 MiB: admitted ${a1:-?}/${a3:-?}, left $l1/$l2/$l3, moved ${moved:-?}, owned ${owned:-?}, descriptors $f1 -> $f3, heap ${h1:-?} -> ${h3:-?}; $(log_tail "$D/gw-churn.log" 3)"
	fi
done
exit $LAB_FAILED
