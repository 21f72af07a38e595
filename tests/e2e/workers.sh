#!/bin/bash
# dataPlane.workers: 2 with two real openvpn 2.6 UDP clients (one per client
# host). The UDP port is one SO_REUSEPORT group of two sockets whose steering
# program sends each session's data to the socket its peer-id names; the
# sessions land on different workers (p2sctl session list), pass iperf3 both
# ways at the same time and ping with every reply in order, and no datagram
# reaches a worker that does not own its session. Negative: a refused
# workers value names its JSON path; with the program skewed (a test
# setting) every data packet reaches the other worker and is still
# delivered, counted as crossing.
#   tests/e2e/workers.sh [BUILD_DIR]
set -u
BUILD=$(realpath "${1:-build}")
cd "$(dirname "$0")" || exit 2
. lib/netns.sh
. lib/pki.sh
. lib/openvpn.sh
LAB_CASES="workers-refused workers-sockets workers-split workers-ping-order workers-iperf-up
workers-iperf-down workers-owned workers-cross-delivered"
CTL=$BUILD/p2sctl
GW=$BUILD/p2sgw
D=$LAB_DIR
PKI=$D/pki
lab_require openvpn iperf3 openssl python3 ping ss
if [ ! -x "$GW" ] || [ ! -x "$CTL" ]; then
	for c in $LAB_CASES; do skip "$c" "no $GW or $CTL: build first"; done
	exit 0
fi

write_conf() { # write_conf FILE WORKERS
	cat >"$1" <<J
{"name": "workers", "sku": "VpnGw2", "vpnGatewayGeneration": "Generation2", "vpnType": "RouteBased",
 "gatewayFqdn": "gw.p2s.test", "stateDirectory": "$D/state", "controlSocket": "$D/p2sgw.sock",
 "logLevel": "info", "tunInterface": "p2s0",
 "listen": {"address": "0.0.0.0", "tcpPort": 443, "udpPort": 1194},
 "dataPlane": {"workers": $2},
 "serverCertificate": {"certFile": "$PKI/server.crt", "keyFile": "$PKI/server.key"},
 "openvpn": {"tlsAuthKeyFile": "$PKI/ta.key", "renegotiateSeconds": 0},
 "virtualNetwork": {"addressSpace": ["10.1.0.0/16"]},
 "vpnClientConfiguration": {"vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"]},
  "vpnClientProtocols": ["OpenVPN"], "vpnAuthenticationTypes": ["Certificate"],
  "vpnClientRootCertificates": [{"name": "r", "publicCertData": "$(cat "$PKI/root/root.b64")"}]}}
J
}

sessions() { "$CTL" --socket "$D/p2sgw.sock" --output json session list; }
# field USER KEY: one field of USER's session ("" if none)
field() {
	sessions | python3 -c 'import json, sys
for s in json.load(sys.stdin):
    if s["vpnUserName"].startswith(sys.argv[1] + "@"):
        print(s[sys.argv[2]])' "$1" "$2" 2>/dev/null
}
ns_of() { case $1 in bob) echo $NS_CLI2 ;; *) echo $NS_CLI ;; esac; }
gw_of() { case $1 in bob) echo 198.51.100.1 ;; *) echo 192.0.2.1 ;; esac; }
up() { wait_log "$D/$1.log" "Initialization Sequence Completed" 20; }
connect() { # connect NAME: one UDP client, waited for
	azure_profile "$D/$1.ovpn" "$PKI" "$1" udp
	rm -f "$D/$1.log"
	ovpn_client "$(ns_of "$1")" "$D" "$1" "$D/$1.ovpn" udp "$(gw_of "$1")" 1194 >/dev/null
	up "$1"
}
disconnect() { stop_pid "$(cat "$D/$1.pid" 2>/dev/null)"; }
start_gateway() { # start_gateway [env assignments]
	GW_PID=$(spawn $NS_GW "$D/gw.log" env "$@" "$GW" --config "$D/gw.json")
	wait_listen $NS_GW udp 1194 15 "$GW_PID"
}
# ordered NAME COUNT: COUNT echoes through NAME's tunnel, every reply there
# and in sequence order.
ordered() {
	run "$(ns_of "$1")" ping -c "$2" -i 0.05 -W 2 10.1.0.10 >"$D/ping-$1.txt"
	python3 -c 'import re, sys
seqs = [int(m) for m in re.findall(r"icmp_seq=(\d+)", open(sys.argv[1]).read())]
sys.exit(0 if seqs == list(range(1, int(sys.argv[2]) + 1)) else 1)' "$D/ping-$1.txt" "$2"
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

connect alice && connect bob
wa=$(field alice dataPlaneWorker)
wb=$(field bob dataPlaneWorker)
if [ -n "$wa" ] && [ -n "$wb" ] && [ "$wa" != "$wb" ]; then
	pass workers-split
	echo "alice on worker $wa, bob on worker $wb"
else
	fail workers-split "expected the two sessions on different workers, got alice '$wa', bob '$wb': $(sessions)"
fi

ordered alice 40 &
pa=$!
ordered bob 40
rb=$?
wait $pa
ra=$?
if [ $ra = 0 ] && [ $rb = 0 ]; then
	pass workers-ping-order
else
	fail workers-ping-order "expected 40 replies in order on both tunnels: alice $(grep -c icmp_seq "$D/ping-alice.txt"), bob $(grep -c icmp_seq "$D/ping-bob.txt")"
fi

# Both clients at once, each with its own iperf3 server.
spawn $NS_VNET "$D/iperf1.log" iperf3 -s -p 5201 >/dev/null
spawn $NS_VNET "$D/iperf2.log" iperf3 -s -p 5202 >/dev/null
wait_listen $NS_VNET tcp 5202 5
for dir in up down; do
	r=""
	[ $dir = down ] && r=-R
	iperf_json $NS_CLI "$D/iperf-alice-$dir.json" -p 5201 $r >"$D/bytes-alice-$dir" &
	pa=$!
	iperf_json $NS_CLI2 "$D/iperf-bob-$dir.json" -p 5202 $r >"$D/bytes-bob-$dir"
	wait $pa
	ba=$(cat "$D/bytes-alice-$dir")
	bb=$(cat "$D/bytes-bob-$dir")
	echo "iperf3 $dir at once: alice $ba B, bob $bb B in 3 s"
	if [ "${ba:-0}" -gt 1000000 ] && [ "${bb:-0}" -gt 1000000 ]; then
		pass workers-iperf-$dir
	else
		fail workers-iperf-$dir "expected > 1 MB each way for both clients in 3 s, got alice ${ba:-0} B, bob ${bb:-0} B"
	fi
done

ca=$(field alice crossWorkerPackets)
cb=$(field bob crossWorkerPackets)
ia=$(field alice ingressPacketsTransferred)
if [ "$ca" = 0 ] && [ "$cb" = 0 ] && [ "${ia:-0}" -gt 1000 ]; then
	pass workers-owned
else
	fail workers-owned "expected every data packet on its session's worker: crossing alice '$ca', bob '$cb' (alice's packets in: '$ia')"
fi

# Skewed steering: every data packet reaches the worker that does not own
# its session; it is still delivered, in order, and counted.
disconnect alice
disconnect bob
stop_pid "$GW_PID"
if ! start_gateway P2SGW_STEER_SKEW=1; then
	fail workers-cross-delivered "the gateway did not listen again: $(log_tail "$D/gw.log" 5)"
	exit 1
fi
connect alice && connect bob
if ordered alice 20 && ordered bob 20 && [ "$(field alice crossWorkerPackets)" -ge 20 ] &&
	[ "$(field bob crossWorkerPackets)" -ge 20 ]; then
	pass workers-cross-delivered
else
	fail workers-cross-delivered "expected 20 replies in order on both tunnels with >= 20 crossing packets each: alice $(grep -c icmp_seq "$D/ping-alice.txt") replies, $(field alice crossWorkerPackets) crossing; bob $(grep -c icmp_seq "$D/ping-bob.txt"), $(field bob crossWorkerPackets)"
fi
exit $LAB_FAILED
