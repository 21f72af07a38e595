#!/bin/bash
# IPv6 inside the tunnel: Debian's real openvpn 2.6 client over UDP and TCP
# gets an IPv4 and an IPv6 address from a dual-stack pool and pings the
# virtual network host over both families; packets a client sends with
# another client's or a made-up source address (IPv4 and IPv6) are dropped
# and counted on its session; clients are kept apart over IPv6 too; the
# Basic SKU refuses IPv6 in the configuration, naming the JSON path.
#   tests/e2e/ipv6.sh [BUILD_DIR]
set -u
BUILD=$(realpath "${1:-build}")
cd "$(dirname "$0")" || exit 2
. lib/netns.sh
. lib/pki.sh
. lib/openvpn.sh
LAB_CASES="check-config-dual-stack check-config-basic-ipv6 udp-address4 udp-address6 udp-route6
udp-ping4 udp-ping6 tcp-address4 tcp-address6 tcp-route6 tcp-ping4 tcp-ping6 clients-apart6
spoof4-other spoof4-made-up spoof6-other spoof6-made-up spoof-counted spoof-not-delivered reload-keeps6 reload-pool6-disconnects
reload-pool6-new-address reload-pool6-tun group-pool6"
CTL=$BUILD/p2sctl
GW=$BUILD/p2sgw
D=$LAB_DIR
PKI=$D/pki
POOL4=172.16.201
POOL6=fd00:201:: # the client IPv6 pool, fd00:201::/64
VNET6=fd00:10:1::10
ROUTES6='"fd00:10:2::/48"'
GROUP_POOL="" # policy groups and their connection configurations, when set

lab_require openvpn openssl python3 ping ss
if [ ! -x "$GW" ] || [ ! -x "$CTL" ]; then
	for c in $LAB_CASES; do skip "$c" "no $GW or $CTL: build first"; done
	exit 0
fi

write_conf() { # write_conf FILE SKU PROTOCOLS
	local groups="" conns=""
	if [ -n "$GROUP_POOL" ]; then
		groups='
  "virtualNetworkGatewayPolicyGroups": [
    {"name": "contoso", "priority": 10, "policyMembers": [{"name": "c",
      "attributeType": "CertificateGroupId", "attributeValue": "contoso.com"}]},
    {"name": "everyone", "isDefault": true, "priority": 100}],'
		conns="
    \"vngClientConnectionConfigurations\": [{\"name\": \"contosoPool\",
      \"vpnClientAddressPool\": {\"addressPrefixes\": [$GROUP_POOL]},
      \"virtualNetworkGatewayPolicyGroups\": [{\"id\": \"contoso\"}]}],"
	fi
	cat >"$1" <<J
{
  "name": "lab-gw6", "sku": "$2", "vpnGatewayGeneration": "Generation1",
  "vpnType": "RouteBased", "gatewayFqdn": "gw.p2s.test",
  "stateDirectory": "$D/state", "controlSocket": "$D/p2sgw.sock", "logLevel": "info",
  "tunInterface": "p2s0",
  "listen": {"address": "0.0.0.0", "tcpPort": 443, "udpPort": 1194},
  "serverCertificate": {"certFile": "$PKI/server.crt", "keyFile": "$PKI/server.key"},
  "openvpn": {"tlsAuthKeyFile": "$PKI/ta.key"},
  "virtualNetwork": {"addressSpace": ["10.1.0.0/16", "fd00:10:1::/64"]},
  "customRoutes": {"addressPrefixes": [$ROUTES6]},$groups
  "vpnClientConfiguration": {$conns
    "vpnClientAddressPool": {"addressPrefixes": ["$POOL4.0/24", "${POOL6}/64"]},
    "vpnClientProtocols": [$3],
    "vpnAuthenticationTypes": ["Certificate"],
    "vpnClientRootCertificates": [{"name": "P2SClientRoot",
      "publicCertData": "$(cat "$PKI/root/root.b64")"}]
  }
}
J
}

check_config() {
	local out
	if ! out=$("$GW" --config "$D/gw.json" --check-config 2>&1); then
		fail check-config-dual-stack "expected exit 0 for the dual-stack config, got: $out"
	else
		pass check-config-dual-stack
	fi
	# SSTP alone so that IPv6 is the only thing Basic refuses here.
	write_conf "$D/basic.json" Basic '"SSTP"'
	local path='vpnClientConfiguration.vpnClientAddressPool.addressPrefixes\[1\]'
	if out=$("$GW" --config "$D/basic.json" --check-config 2>&1); then
		fail check-config-basic-ipv6 "expected a non-zero exit for IPv6 on the Basic SKU, got 0: $out"
	elif ! grep -q "$path: the Basic SKU does not support IPv6" <<<"$out"; then
		fail check-config-basic-ipv6 "expected an error naming ${path//\\/}, got: $out"
	else
		pass check-config-basic-ipv6
	fi
}

start_gateway() {
	GW_PID=$(spawn $NS_GW "$D/gw.log" "$GW" --config "$D/gw.json")
	if ! wait_listen $NS_GW tcp 443 10 "$GW_PID" || ! wait_listen $NS_GW udp 1194 5 "$GW_PID"; then
		fail udp-address4 "expected the gateway to listen on TCP 443 and UDP 1194 within 10 s; log: $(log_tail "$D/gw.log" 5)"
		return 1
	fi
}

# alice over UDP from cli2, bob over TCP from cli: two routing tables.
ns_of() { case $1 in alice) echo $NS_CLI2 ;; *) echo $NS_CLI ;; esac; }

connect() { # connect NAME tcp|udp
	local name=$1 proto=$2 port=443 gw=192.0.2.1
	[ "$proto" = udp ] && port=1194 && gw=198.51.100.1
	azure_profile "$D/$name.ovpn" "$PKI" "$name" "$proto"
	ovpn_client "$(ns_of "$name")" "$D" "$name" "$D/$name.ovpn" "$proto" $gw $port >/dev/null
}

up() { wait_log "$D/$1.log" "Initialization Sequence Completed" 15; }

addr_of() { # addr_of NAME 4|6: the global address on the client's tun
	ip -n "$(ns_of "$1")" -"$2" -o addr show dev "tun-$1" scope global 2>/dev/null |
		awk 'NR == 1 {print $4}' | cut -d/ -f1
}

# dual_stack PREFIX NAME: both addresses, the IPv6 routes, pings both ways.
dual_stack() {
	local p=$1 n=$2 ns a4 a6 r6
	ns=$(ns_of "$n")
	a4=$(addr_of "$n" 4)
	a6=$(addr_of "$n" 6)
	case "$a4" in
	$POOL4.*) pass "$p-address4" ;;
	*) fail "$p-address4" "expected an address in $POOL4.0/24 on tun-$n, got '$a4'" ;;
	esac
	case "$a6" in
	${POOL6}[0-9a-f]*) pass "$p-address6" ;;
	*) fail "$p-address6" "expected an address in ${POOL6}/64 on tun-$n, got '$a6'; log: $(log_tail "$D/$n.log" 4)" ;;
	esac
	r6=$(ip -n "$ns" -6 route show dev "tun-$n" 2>/dev/null | tr '\n' ' ')
	if grep -q "fd00:10:1::/64" <<<"$r6" && grep -q "fd00:10:2::/48" <<<"$r6"; then
		pass "$p-route6"
	else
		fail "$p-route6" "expected routes to fd00:10:1::/64 and fd00:10:2::/48 via tun-$n, got: $r6"
	fi
	if run "$ns" ping -c 3 -W 2 10.1.0.10 >/dev/null; then pass "$p-ping4"
	else fail "$p-ping4" "expected replies from 10.1.0.10 through tun-$n, got none"; fi
	if run "$ns" ping -6 -c 3 -W 2 $VNET6 >/dev/null; then pass "$p-ping6"
	else fail "$p-ping6" "expected replies from $VNET6 through tun-$n, got none"; fi
}

# session_field NAME FIELD: from p2sctl's session list, the session whose
# IPv4 address is NAME's.
session_field() {
	local a4
	a4=$(addr_of "$1" 4)
	run $NS_GW "$CTL" --socket "$D/p2sgw.sock" --output json session list |
		python3 -c 'import json, sys
for s in json.load(sys.stdin):
    if s.get("privateIpAddress") == sys.argv[1]:
        print(s.get(sys.argv[2], "missing")); break
else:
    print("no-session")' "$a4" "$2"
}

# Clients never reach each other: alice's pings to bob's IPv6 address go
# nowhere (and are not spoofing: the source is alice's own).
clients_apart6() {
	local b6
	b6=$(addr_of bob 6)
	if [ -z "$b6" ]; then
		fail clients-apart6 "bob has no IPv6 address to aim at"
	elif run $NS_CLI2 ping -6 -c 2 -W 1 "$b6" >/dev/null; then
		fail clients-apart6 "expected no replies from bob ($b6) to alice, got some"
	else
		pass clients-apart6
	fi
}

# spoof CASE FAMILY SOURCE DEST: alice sends 3 pings through her tun with
# SOURCE (added to her tun so the kernel lets ping use it); none may come
# back.
spoof() {
	local c=$1 fam=$2 src=$3 dst=$4 len=32
	[ "$fam" = 6 ] && len=128
	run $NS_CLI2 ip -"$fam" addr add "$src/$len" dev tun-alice $([ "$fam" = 6 ] && echo nodad)
	if run $NS_CLI2 ping -"$fam" -I "$src" -c 3 -W 1 "$dst" >/dev/null; then
		fail "$c" "expected no replies to pings from $src (not alice's address), got some"
	else
		pass "$c"
	fi
	run $NS_CLI2 ip -"$fam" addr del "$src/$len" dev tun-alice
}

spoofing() {
	local b4 b6 before bob_before after bob_after total
	b4=$(addr_of bob 4)
	b6=$(addr_of bob 6)
	before=$(session_field alice spoofedPackets)
	bob_before=$(session_field bob egressPacketsTransferred)
	spoof spoof4-other 4 "$b4" 10.1.0.10
	spoof spoof4-made-up 4 192.168.77.7 10.1.0.10
	spoof spoof6-other 6 "$b6" $VNET6
	spoof spoof6-made-up 6 fd00:dead::7 $VNET6
	after=$(session_field alice spoofedPackets)
	bob_after=$(session_field bob egressPacketsTransferred)
	total=$(run $NS_GW "$CTL" --socket "$D/p2sgw.sock" --output json gateway show |
		python3 -c 'import json, sys; print(json.load(sys.stdin).get("spoofedPackets", "missing"))')
	if [ "$before" = 0 ] && [ "$after" = 12 ] && [ "$total" = 12 ]; then
		pass spoof-counted
	else
		fail spoof-counted "expected alice's spoofedPackets 0 -> 12 (3 pings x 4 sources) and the gateway's 12, got $before -> $after, gateway $total"
	fi
	# Had any reached the vnet, its replies to bob's addresses would have
	# gone down bob's tunnel.
	if [ "$bob_before" = "$bob_after" ] && [ -n "$bob_after" ]; then
		pass spoof-not-delivered
	else
		fail spoof-not-delivered "expected bob's egress packets to stay at $bob_before, got $bob_after"
	fi
}

reload() { run $NS_GW "$CTL" --socket "$D/p2sgw.sock" gateway reload >/dev/null; }

# Reload with the same pools keeps every session; a new IPv6 pool
# disconnects those whose IPv6 address left it (with the reason), and they
# come back with an address from the new one; the TUN follows.
reloads() {
	ROUTES6='"fd00:10:2::/48", "fd00:10:3::/48"'
	write_conf "$D/gw.json" VpnGw1 '"OpenVPN"'
	reload # the reply comes after the sessions were rechecked
	if log_has "$D/gw.log" "outside the new pool"; then
		fail reload-keeps6 "expected no session disconnected by a reload that keeps the pools, got: $(grep 'outside the new pool' "$D/gw.log" | head -2)"
	elif ! run $NS_CLI2 ping -6 -c 2 -W 2 $VNET6 >/dev/null; then
		fail reload-keeps6 "expected alice's IPv6 pings to keep working across the reload, got none"
	else
		pass reload-keeps6
	fi
	POOL6=fd00:202::
	write_conf "$D/gw.json" VpnGw1 '"OpenVPN"'
	reload
	if wait_log "$D/gw.log" "IPv6 address fd00:201::[0-9a-f]+ is outside the new pool" 5; then
		pass reload-pool6-disconnects
	else
		fail reload-pool6-disconnects "expected sessions disconnected with 'its IPv6 address fd00:201::… is outside the new pool', got: $(log_tail "$D/gw.log" 4)"
	fi
	if wait_until 20 sh -c "ip -n $NS_CLI2 -6 -o addr show dev tun-alice scope global | grep -q 'fd00:202::'" &&
		run $NS_CLI2 ping -6 -c 2 -W 2 $VNET6 >/dev/null; then
		pass reload-pool6-new-address
	else
		fail reload-pool6-new-address "expected alice back with an address in fd00:202::/64 that pings $VNET6 within 20 s, got '$(addr_of alice 6)'; log: $(log_tail "$D/alice.log" 4)"
	fi
	local tun6
	tun6=$(ip -n $NS_GW -6 -o addr show dev p2s0 scope global | awk '{print $4}' | tr '\n' ' ')
	if grep -q "fd00:202::1/64" <<<"$tun6" && ! grep -q "fd00:201::1/64" <<<"$tun6"; then
		pass reload-pool6-tun
	else
		fail reload-pool6-tun "expected p2s0 to carry fd00:202::1/64 and no longer fd00:201::1/64, got: $tun6"
	fi
}

in_group_pool() { # in_group_pool NAME: both addresses from the contoso pool
	case "$(addr_of "$1" 4) $(addr_of "$1" 6)" in 172.16.210.*" fd00:210::"*) return 0 ;; esac
	return 1
}

# A group's pool with an IPv6 prefix: after the reload that adds it, a
# contoso user (everyone here) who reconnects gets an address of each family
# from it (sessions keep the group they were admitted with).
group_pool6() {
	GROUP_POOL='"172.16.210.0/24", "fd00:210::/64"'
	write_conf "$D/gw.json" VpnGw1 '"OpenVPN"'
	reload
	echo "+ kill -USR1 alice's openvpn (reconnect)" >&2
	kill -USR1 "$(cat "$D/alice.pid")"
	local a4 a6
	wait_until 20 in_group_pool alice
	a4=$(addr_of alice 4)
	a6=$(addr_of alice 6)
	case "$a4 $a6" in
	172.16.210.*" fd00:210::"*)
		if run $NS_CLI2 ping -6 -c 2 -W 2 $VNET6 >/dev/null; then pass group-pool6
		else fail group-pool6 "expected alice's IPv6 pings from $a6 (group pool) to reach $VNET6, got none"; fi ;;
	*) fail group-pool6 "expected alice back in the contoso pool (172.16.210.0/24, fd00:210::/64) within 20 s, got '$a4' and '$a6'; gw: $(log_tail "$D/gw.log" 3)" ;;
	esac
}

diagnostics() {
	echo "--- gateway log (last 30 lines)"
	tail -n 30 "$D/gw.log"
	for f in "$D"/{alice,bob}.log; do
		[ -f "$f" ] || continue
		echo "--- client $(basename "$f") (last 12 lines)"
		tail -n 12 "$f"
	done
}

main() {
	lab_up
	make_pki "$PKI" >/dev/null || { fail udp-address4 "expected a test PKI, got errors"; exit 1; }
	write_conf "$D/gw.json" VpnGw1 '"OpenVPN"'
	check_config
	start_gateway || { diagnostics; exit 1; }
	connect alice udp
	connect bob tcp
	if up alice; then dual_stack udp alice
	else fail udp-address4 "expected alice (UDP) to connect within 15 s, got: $(log_tail "$D/alice.log" 5)"; fi
	if up bob; then dual_stack tcp bob
	else fail tcp-address4 "expected bob (TCP) to connect within 15 s, got: $(log_tail "$D/bob.log" 5)"; fi
	clients_apart6
	spoofing
	reloads
	group_pool6
	[ "$LAB_FAILED" -eq 0 ] || diagnostics
	exit "$LAB_FAILED"
}

main
