#!/bin/bash
# OpenVPN with certificate authentication: Debian's real openvpn 2.6 client
# through p2sgw over TCP 443 and UDP 1194 into the virtual network, the
# refusals a gateway owes its users, and certificate changes applied live.
set -u
BUILD=$(realpath "${1:-build}")
cd "$(dirname "$0")"
. lib/netns.sh
. lib/pki.sh
LAB_CASES="check-config tcp-address tcp-route tcp-dns tcp-ping tcp-iperf-up tcp-iperf-down udp-address
udp-ping udp-iperf-up udp-iperf-down refuse-other-root refuse-revoked refuse-expired
refuse-no-clientauth refuse-no-tls-auth good-session-survives sstp-hello-closed
revoke-live renegotiation connection-cap profile-xml graceful-shutdown embedded-default"
lab_require openvpn iperf3 openssl python3 ping xmllint
CTL=$BUILD/p2sctl
GW=$BUILD/p2sgw
D=$LAB_DIR

write_conf() { # write_conf FILE [extra JSON members at the root]
	cat >"$1" <<J
{
  "name": "lab-gw", "sku": "VpnGw1", "vpnGatewayGeneration": "Generation1",
  "vpnType": "RouteBased", "gatewayFqdn": "gw.p2s.test",
  "stateDirectory": "$D/state", "controlSocket": "$D/p2sgw.sock", "logLevel": "info",
  "tunInterface": "p2s0", ${2:-}
  "listen": {"address": "0.0.0.0", "tcpPort": 443, "udpPort": 1194},
  "serverCertificate": {"certFile": "$D/pki/server.crt", "keyFile": "$D/pki/server.key"},
  "openvpn": {"tlsAuthKeyFile": "$D/pki/ta.key", "renegotiateSeconds": 10},
  "virtualNetwork": {"addressSpace": ["10.1.0.0/16"], "dnsServers": ["10.1.0.4"]},
  "customRoutes": {"addressPrefixes": []},
  "vpnClientConfiguration": {
    "vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"]},
    "vpnClientProtocols": ["OpenVPN"],
    "vpnAuthenticationTypes": ["Certificate"],
    "vpnClientRootCertificates": [{"name": "P2SClientRoot",
      "publicCertData": "$(cert_b64 "$D/pki/root/root.crt")"}],
    "vpnClientRevokedCertificates": [{"name": "bob",
      "thumbprint": "$(thumbprint "$D/pki/clients/bob@contoso.com.crt")"}]
  }
}
J
}

check_config() {
	local bad=$D/bad.json out
	sed 's/"RouteBased"/"PolicyBased"/' "$D/gw.json" >"$bad"
	if ! out=$($GW --config "$D/gw.json" --check-config 2>&1); then
		fail check-config "valid config refused: $out"
	elif out=$($GW --config "$bad" --check-config 2>&1) || ! grep -q '^.*error: vpnType:' <<<"$out"; then
		fail check-config "expected exit 1 naming vpnType, got: $out"
	else
		pass check-config
	fi
}

# A profile from the package, with only the two placeholders filled.
profile_for() { # profile_for USER OUT
	local c=$D/pki/clients/$1@contoso.com
	python3 - "$D/pkg/OpenVPN/vpnconfig.ovpn" "$c.crt" "$c.key" >"$2" <<'P'
import sys
text = open(sys.argv[1]).read()
text = text.replace("$CLIENTCERTIFICATE", open(sys.argv[2]).read().strip())
text = text.replace("$PRIVATEKEY", open(sys.argv[3]).read().strip())
print(text)
P
}

# connect NAME PROFILE PROTO PORT [extra openvpn options]: starts a client
# (the UDP ones on the second client host).
connect() {
	local name=$1 prof=$2 proto=$3 port=$4 ns=$NS_CLI gw=192.0.2.1
	shift 4
	[ "$proto" = udp ] && ns=$NS_CLI2 gw=198.51.100.1
	spawn $ns "$D/$name.log" openvpn --config "$prof" --remote $gw "$port" \
		--proto "$proto" --dev "tun-$name" --sndbuf 4194304 --rcvbuf 4194304 \
		--connect-retry 1 --verb 3 "$@" >/dev/null
}

up() { wait_until "${2:-15}" log_has "$D/$1.log" "Initialization Sequence Completed"; }

ns_of() { [ "$1" = alice2 ] && echo $NS_CLI2 || echo $NS_CLI; }

client_addr() { # the pool address on the client's tun
	ip -n "$(ns_of "$1")" -4 -o addr show dev "tun-$1" 2>/dev/null | awk '{print $4}' | cut -d/ -f1
}

# iperf_bytes NAME [-R]: bytes received in 3 s towards (or with -R from) the
# vnet host. The server takes one test at a time: a busy answer is retried.
iperf_bytes() {
	local n=$1 b=0 try
	shift
	for try in 1 2 3; do
		ip netns exec "$(ns_of "${n%-*}")" timeout 20 iperf3 -c 10.1.0.10 -t 3 -J "$@" \
			>"$D/iperf-$n.json" 2>&1
		b=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"]))' \
			"$D/iperf-$n.json" 2>/dev/null || echo 0)
		[ "$b" -gt 0 ] && break
		echo "iperf3 attempt $try: $(grep -o '"error":.*' "$D/iperf-$n.json")" >&2
		sleep 1
	done
	echo "$b"
}

positive() { # positive PREFIX NAME: address, route, ping, iperf3 both ways
	local p=$1 n=$2 a
	a=$(client_addr "$n")
	case "$a" in 172.16.201.*) pass "$p-address" ;; *) fail "$p-address" "expected 172.16.201.x on tun-$n, got '$a'" ;; esac
	if [ "$p" = tcp ]; then
		if ip -n "$(ns_of "$n")" route show 10.1.0.0/16 | grep -q "tun-$n"; then pass tcp-route
		else fail tcp-route "expected a route to 10.1.0.0/16 via tun-$n, got: $(ip -n $NS_CLI route | tr '\n' ';')"; fi
		if log_has "$D/$n.log" "PUSH_REPLY.*dhcp-option DNS 10.1.0.4"; then pass tcp-dns
		else fail tcp-dns "the push reply carries no 'dhcp-option DNS 10.1.0.4'"; fi
	fi
	if run "$(ns_of "$n")" ping -c 3 -W 2 10.1.0.10 >/dev/null; then pass "$p-ping"
	else fail "$p-ping" "no reply from 10.1.0.10 through tun-$n"; fi
	local upb downb
	upb=$(iperf_bytes "$n-up")
	downb=$(iperf_bytes "$n-down" -R)
	if [ "$upb" -gt 1000000 ]; then pass "$p-iperf-up"; else fail "$p-iperf-up" "expected > 1 MB to the vnet host, got $upb B"; fi
	if [ "$downb" -gt 1000000 ]; then pass "$p-iperf-down"; else fail "$p-iperf-down" "expected > 1 MB from the vnet host, got $downb B"; fi
}

refused() { # refused CASE CLIENTLOG GWPATTERN
	if log_has "$D/$2.log" "Initialization Sequence Completed"; then
		fail "$1" "the client completed its connection"
	elif ! log_has "$D/gw.log" "$3"; then
		fail "$1" "no gateway log line matching '$3'; log tail: $(tail -n 3 "$D/gw.log" | tr '\n' '|')"
	else
		pass "$1"
	fi
}

negatives() {
	local u
	for u in mallory bob carol dave; do
		profile_for "$u" "$D/$u.ovpn"
		connect "$u" "$D/$u.ovpn" tcp 443 --connect-retry-max 1 --hand-window 6
	done
	# alice's own certificate, but no tls-auth key.
	sed -e '/<tls-auth>/,/<\/tls-auth>/d' -e '/^key-direction/d' "$D/alice.ovpn" >"$D/nota.ovpn"
	connect nota "$D/nota.ovpn" udp 1194 --connect-retry-max 1 --hand-window 6
	sleep 7
	refused refuse-other-root mallory "refused client certificate .*mallory.*not issued by a trusted root"
	refused refuse-revoked bob "refused client certificate .*bob.*revoked"
	refused refuse-expired carol "refused client certificate .*carol.*expired"
	refused refuse-no-clientauth dave "refused client certificate .*dave.*clientAuth"
	refused refuse-no-tls-auth nota "tls-auth HMAC check failed"
}

sstp_hello() {
	echo | run $NS_CLI timeout 5 openssl s_client -connect 192.0.2.1:443 >/dev/null 2>&1
	if wait_until 3 log_has "$D/gw.log" "ClientHello from 192.0.2.2.*SSTP is not enabled" &&
		run $NS_CLI ping -c 1 -W 2 10.1.0.10 >/dev/null; then pass sstp-hello-closed
	else fail sstp-hello-closed "no log line for a TLS ClientHello on TCP 443"; fi
}

revoke_live() {
	run $NS_GW "$CTL" --config "$D/gw.json" revoked add --name alice2 \
		--cert "$D/pki/clients/alice2@contoso.com.crt" >/dev/null
	local t0=$(date +%s%N)
	if wait_until 1 log_has "$D/gw.log" "session closed: certificate revoked .*alice2"; then
		local ms=$((($(date +%s%N) - t0) / 1000000))
		if run $NS_CLI ping -c 2 -W 2 10.1.0.10 >/dev/null; then pass "revoke-live"
		else fail revoke-live "alice stopped passing traffic after alice2 was revoked"; fi
		echo "revoked session closed ${ms} ms after the edit"
	else
		fail revoke-live "alice2's session was not closed within 1 s of 'p2sctl revoked add'"
	fi
}

renegotiation() {
	if log_has "$D/gw.log" "alice.*data keys renegotiated|data keys renegotiated" &&
		run $NS_CLI ping -c 2 -W 2 10.1.0.10 >/dev/null; then pass renegotiation
	else fail renegotiation "no renegotiation logged within the lab, or traffic stopped after it"; fi
}

connection_cap() {
	write_conf "$D/gw.json" '"maxClientConnections": 1,'
	run $NS_GW "$CTL" --config "$D/gw.json" gateway reload >/dev/null
	profile_for alice "$D/late.ovpn" # a second instance of a valid user
	connect late "$D/late.ovpn" tcp 443 --connect-retry-max 1
	if wait_until 8 log_has "$D/late.log" "AUTH_FAILED" &&
		log_has "$D/gw.log" "refused: the gateway's IKEv2/OpenVPN connection limit is reached"; then
		pass connection-cap
	else
		fail connection-cap "expected AUTH_FAILED and a logged refusal at the cap of 1"
	fi
}

# What make run does: no configuration, the gateway's own PKI and a demo
# client profile, which the real client then uses as printed.
embedded_default() {
	local pid prof
	pid=$(spawn $NS_GW "$D/demo.log" "$GW" --state-dir "$D/demo")
	if ! wait_until 15 log_has "$D/demo.log" "demo client profile: "; then
		fail embedded-default "no demo profile announced: $(tail -n 3 "$D/demo.log" | tr '\n' '|')"
		return
	fi
	prof=$(sed -n 's/.*demo client profile: //p' "$D/demo.log")
	spawn $NS_CLI "$D/democli.log" openvpn --config "$prof" --remote 192.0.2.1 443 \
		--dev tun-demo --route-nopull --verb 3 >/dev/null
	if up democli && run $NS_CLI ping -c 2 -W 2 -I tun-demo 172.16.201.1 >/dev/null; then
		pass embedded-default
	else
		fail embedded-default "the demo client did not get a working tunnel"
	fi
	stop_pid "$pid"
}

main() {
	lab_up
	make_pki "$D/pki" "$CTL"
	write_conf "$D/gw.json"
	check_config
	spawn $NS_VNET "$D/iperf.log" iperf3 -s >/dev/null
	GW_PID=$(spawn $NS_GW "$D/gw.log" "$GW" --config "$D/gw.json")
	if ! wait_until 10 listening $NS_GW tcp 443 || ! wait_until 5 listening $NS_GW udp 1194; then
		fail tcp-address "the gateway did not listen: $(tail -n 5 "$D/gw.log")"
		exit 1
	fi
	"$CTL" --config "$D/gw.json" profile generate --output "$D/pkg.zip" >/dev/null
	mkdir -p "$D/pkg" && (cd "$D/pkg" && python3 -m zipfile -e ../pkg.zip .)
	profile_for alice "$D/alice.ovpn"
	if out=$(xmllint --noout "$D/pkg/AzureVPN/azurevpnconfig.xml" 2>&1); then pass profile-xml
	else fail profile-xml "xmllint rejects AzureVPN/azurevpnconfig.xml: $out"; fi
	"$CTL" --config "$D/gw.json" profile generate --output "$D/pkg2.zip" \
		--client-cert "$D/pki/clients/alice2@contoso.com.crt" \
		--client-key "$D/pki/clients/alice2@contoso.com.key" >/dev/null
	(cd "$D" && python3 -m zipfile -e pkg2.zip pkg2)
	connect alice "$D/alice.ovpn" tcp 443
	connect alice2 "$D/pkg2/OpenVPN/vpnconfig.ovpn" udp 1194
	wait_until 10 listening $NS_VNET tcp 5201
	if up alice; then positive tcp alice; else fail tcp-address "alice (TCP) did not come up: $(tail -n 5 "$D/alice.log" | tr '\n' '|')"; fi
	if up alice2; then positive udp alice2; else fail udp-address "alice2 (UDP) did not come up: $(tail -n 5 "$D/alice2.log" | tr '\n' '|')"; fi
	negatives
	if run $NS_CLI ping -c 2 -W 2 10.1.0.10 >/dev/null; then pass good-session-survives
	else fail good-session-survives "alice stopped passing traffic during the refusals"; fi
	sstp_hello
	revoke_live
	renegotiation
	connection_cap
	# Stopping the gateway tells connected clients to reconnect (RESTART).
	kill "$GW_PID"
	if wait_until 5 log_has "$D/alice.log" "server-pushed-connection-reset"; then pass graceful-shutdown
	else fail graceful-shutdown "alice was not told to reconnect when the gateway stopped"; fi
	wait_until 5 sh -c "! kill -0 $GW_PID"
	embedded_default
	echo "--- gateway log (tail)"
	tail -n 25 "$D/gw.log"
	exit $LAB_FAILED
}

main
