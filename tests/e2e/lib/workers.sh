# Shared by the workers labs (sourced after lib/netns.sh): the OpenVPN
# workers labs' configuration (D, PKI), sessions by user (CTL, D), alice's
# and bob's namespaces and gateway addresses, the per-thread CPU of the
# gateway's network process (GW_PID: the started gateway), and the two
# sessions' split and ordered pings (each lab's own `ordered`).
# write_conf FILE WORKERS [UDP_PORT]: OpenVPN only, certificates, the given
# number of data-plane workers.
write_conf() {
	cat >"$1" <<J
{"name": "workers", "sku": "VpnGw2", "vpnGatewayGeneration": "Generation2", "vpnType": "RouteBased",
 "gatewayFqdn": "gw.p2s.test", "stateDirectory": "$D/state", "controlSocket": "$D/p2sgw.sock",
 "logLevel": "info", "tunInterface": "p2s0",
 "listen": {"address": "0.0.0.0", "tcpPort": 443, "udpPort": ${3:-1194}},
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
# split_workers CASE A WA B WB: A's session on worker WA, B's on WB, two different
# ones (the least-loaded pick with two workers).
split_workers() {
	if [ -n "$3" ] && [ -n "$5" ] && [ "$3" != "$5" ]; then
		pass "$1"
		echo "$2 on worker $3, $4 on worker $5"
	else
		fail "$1" "expected $2's and $4's sessions on different workers, got '$3' and '$5': $(sessions)"
	fi
}
# both_ordered CASE A B [COUNT [INTERVAL]]: COUNT (200) echoes through A's
# and B's tunnels at once, each in order and none twice (the lab's
# `ordered NAME COUNT [INTERVAL]`, which leaves $D/ping-NAME.txt).
both_ordered() {
	local n=${4:-200} pa ra rb
	ordered "$2" "$n" ${5:+"$5"} &
	pa=$!
	ordered "$3" "$n" ${5:+"$5"}
	rb=$?
	wait $pa
	ra=$?
	if [ $ra = 0 ] && [ $rb = 0 ]; then
		pass "$1"
	else
		fail "$1" "expected $n replies in order, none twice, on both tunnels: $2 $(grep -c icmp_seq "$D/ping-$2.txt") ($(grep -c DUP "$D/ping-$2.txt") dup), $3 $(grep -c icmp_seq "$D/ping-$3.txt") ($(grep -c DUP "$D/ping-$3.txt") dup)"
	fi
}
gw_of() { case $1 in bob) echo 198.51.100.1 ;; *) echo 192.0.2.1 ;; esac; }
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

# both_iperf up|down: alice's and bob's iperf3 at once (ports 5201 and
# 5202; down: -R), the network process NET's threads sampled around it.
# Sets ba and bb (bytes each) and c0, c1, cm (CPU seconds of dp-worker0,
# dp-worker1 and the main loop).
both_iperf() {
	local r="" pa
	[ "$1" = down ] && r=-R
	task_ticks "$NET" >"$D/tasks-$1-0"
	iperf_json $NS_CLI "$D/iperf-alice-$1.json" -p 5201 $r >"$D/bytes-alice-$1" &
	pa=$!
	iperf_json $NS_CLI2 "$D/iperf-bob-$1.json" -p 5202 $r >"$D/bytes-bob-$1"
	wait $pa
	task_ticks "$NET" >"$D/tasks-$1-1"
	read -r c0 c1 cm <<<"$(busy "$D/tasks-$1-0" "$D/tasks-$1-1" "$NET")"
	ba=$(cat "$D/bytes-alice-$1")
	bb=$(cat "$D/bytes-bob-$1")
}
