#!/bin/bash
# SSTP with the real sstpc (Debian's sstp-client) and a real FreeRADIUS in
# its default configuration. pppd cannot run here (no kernel PPP), so
# lib/ppp_peer.py plays pppd's part on sstpc's PPP stream: TLS, HTTP, SSTP
# framing, the crypto binding (sstpc computes it from the keys the peer hands
# its plugin socket) and FreeRADIUS's MS-CHAPv2 check are all real.
set -u
BUILD=$(realpath "${1:-build}")
cd "$(dirname "${BASH_SOURCE[0]}")"
. lib/netns.sh
. lib/pki.sh
. lib/radius_mschap.sh
. lib/openvpn.sh
LAB_CASES="sstp-mschapv2 sstp-pool-address sstp-icmp sstp-tcp sstp-wrong-password
sstp-crypto-binding sstp-not-sstp-404 sstp-session-list sstp-disconnect sstp-with-openvpn
sstp-ipcp-dns sstp-dhcp-inform sstp-dhcp-inform-unicast sstp-dhcp-malformed-ignored
sstp-ipv6cp-rejected sstp-ipv6cp sstp-ipv6-ra sstp-ipv6-ping sstp-ipv6-refused-v4-up
sstp-tls-suites sstp-eaptls sstp-eaptls-revoked sstp-eap-radius sstp-eap-radius-reject sstp-cap-129th sstp-cap-openvpn-admits"
lab_require sstpc freeradius openssl python3 ping iperf3 sslscan openvpn
CTL=$BUILD/p2sctl
GW=$BUILD/p2sgw
D=$LAB_DIR
LIB=$(pwd)/lib

V6="" # set: the pool, virtual network and customRoutes get IPv6 prefixes
write_conf() { # write_conf AUTH_TYPES_JSON
	local pool6="" vnet6="" routes6=""
	if [ -n "$V6" ]; then
		pool6=', "fd00:201::/64"' vnet6=', "fd00:10:1::/64"' routes6=', "fd00:10:2::/48"'
	fi
	cat >"$D/gw.json" <<J
{
  "name": "lab-sstp", "gatewayFqdn": "gw.p2s.test",
  "stateDirectory": "$D/state", "controlSocket": "$D/p2sgw.sock",
  "serverCertificate": {"certFile": "$D/pki/server.crt", "keyFile": "$D/pki/server.key"},
  "openvpn": {"tlsAuthKeyFile": "$D/pki/ta.key"},
  "virtualNetwork": {"addressSpace": ["10.1.0.0/16"$vnet6], "dnsServers": ["10.1.0.53", "10.1.0.54"],
                     "dnsSuffixes": "contoso.internal,corp.contoso.com"},
  "customRoutes": {"addressPrefixes": ["192.168.50.0/24"$routes6]},
  "vpnClientConfiguration": {
    "vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"$pool6]},
    "vpnClientProtocols": ["OpenVPN", "SSTP"],
    "vpnAuthenticationTypes": $1,
    "vpnClientRootCertificates": [{"name": "lab", "publicCertData": "$(cat "$D/pki/root/root.b64")"}],
    "vpnClientRevokedCertificates": [{"name": "bob", "thumbprint": "$(cat "$D/pki/bob.thumbprint")"}],
    "radiusServers": [
      {"radiusServerAddress": "127.0.0.1:1812", "radiusServerScore": 30, "radiusServerSecret": "lab-secret"}
    ]
  }
}
J
}

start_gateway() { # start_gateway NAME AUTH_TYPES_JSON
	write_conf "$2"
	GWLOG=$D/gw-$1.log
	GW_PID=$(spawn $NS_GW "$GWLOG" "$GW" --config "$D/gw.json" --log-level debug)
	wait_listen $NS_GW tcp 443 10 "$GW_PID"
}

# peer NAME [ppp_peer options]: sstpc + the PPP peer in the client namespace,
# on TUN tun-NAME, with the virtual network routed through it.
peer() {
	local name=$1
	shift
	PEER_PID[$name]=$(spawn $NS_CLI "$D/$name.log" python3 "$LIB/ppp_peer.py" \
		--server gw.p2s.test --ca "$D/pki/gwroot/root.crt" --ipparam "$LAB_ID-$name" \
		--tun "tun-$name" --dns --sstpc-log "$D/$name.sstpc.log" --timeout 120 "$@")
}
declare -A PEER_PID
stop_peer() { stop_pid "${PEER_PID[$1]}"; }
peer_addr() { sed -n 's/^PPP: IPCP up \([0-9.]*\) .*/\1/p' "$D/$1.log"; }
peer_tail() { echo "peer: $(log_tail "$D/$1.log" 4) sstpc: $(log_tail "$D/$1.sstpc.log" 3)"; }

case_mschapv2() {
	peer alice --user alice --password wonderland --route 10.1.0.0/16
	if wait_log "$D/alice.log" "^PPP: IPCP up" 20; then pass sstp-mschapv2
	else fail sstp-mschapv2 "expected IPCP up after MS-CHAPv2 through FreeRADIUS: $(peer_tail alice)"; return; fi
	local a
	a=$(peer_addr alice)
	case "$a" in
	172.16.201.*) pass sstp-pool-address ;;
	*) fail sstp-pool-address "expected an address from 172.16.201.0/24, got '$a'" ;;
	esac
	if run $NS_CLI ping -c 3 -W 2 -I tun-alice 10.1.0.10 >/dev/null; then pass sstp-icmp
	else fail sstp-icmp "no ping answer from the vnet host over SSTP: $(peer_tail alice)"; fi
	case_dhcp alice "$a"
	local b
	b=$(iperf_json $NS_CLI "$D/iperf-alice.json" -B "$a")
	if [ "${b:-0}" -gt 100000 ]; then pass sstp-tcp; echo "iperf3 over SSTP: $b bytes in 3 s"
	else fail sstp-tcp "iperf3 to the vnet host moved ${b:-0} bytes"; fi
	# The session list: protocol, authentication, the TLS suite that carries
	# it and the iperf3 bytes.
	local id j
	j=$("$CTL" --socket "$D/p2sgw.sock" --output json session list --protocol SSTP 2>/dev/null)
	id=$(python3 -c 'import json, sys
for s in json.loads(sys.stdin.read() or "[]"):
    if s["cipher"].startswith("ECDHE-RSA-AES") and s["authenticationType"] == "Radius" and s["ingressBytesTransferred"] > 100000:
        print(s["vpnConnectionId"]); break' <<<"$j")
	if [ -n "$id" ]; then pass sstp-session-list
	else fail sstp-session-list "expected an SSTP_<uuid> session (Radius, an ECDHE-RSA-AES cipher, iperf3's bytes) in p2sctl session list, got: $j"; fi
	if [ -n "$id" ] && "$CTL" --socket "$D/p2sgw.sock" session disconnect --id "$id" >/dev/null 2>&1 &&
		wait_log "$D/alice.log" "^PPP: link down" 10; then pass sstp-disconnect
	else fail sstp-disconnect "p2sctl session disconnect did not end the client's link: $(peer_tail alice)"; fi
	stop_peer alice
}

# DNS by IPCP (RFC 1877), then what Windows asks once IPCP is up: a
# DHCPINFORM through the tunnel (broadcast on the PPP adapter), answered by
# the gateway with the classless routes (121, 249: the virtual network and
# customRoutes), DNS (6) and the suffixes (15, 119). Packets that are not a
# well-formed DHCPINFORM from the client's own address get no answer and
# leave the session up.
case_dhcp() { # case_dhcp PEER ADDRESS
	local n=$1 a=$2 out gw routes
	gw=$(sed -n 's/^PPP: IPCP up .* gw \([0-9.]*\)$/\1/p' "$D/$n.log")
	if log_has "$D/$n.log" "^PPP: IPCP up $a dns 10.1.0.53,10.1.0.54 gw 172.16.201.1$"; then pass sstp-ipcp-dns
	else fail sstp-ipcp-dns "expected IPCP to hand DNS 10.1.0.53 and 10.1.0.54 (options 129, 131) and gateway 172.16.201.1: $(grep -a 'IPCP up' "$D/$n.log")"; fi
	routes="10.1.0.0/16 via $gw,192.168.50.0/24 via $gw"
	out=$(run $NS_CLI python3 "$LIB/dhcpinform.py" "$a" 255.255.255.255 --dev "tun-$n")
	echo "dhcpinform (broadcast): $out"
	if [ "$out" = "type=5 dns=10.1.0.53,10.1.0.54 routes121=$routes routes249=$routes domain=contoso.internal search=contoso.internal,corp.contoso.com" ]; then
		pass sstp-dhcp-inform
	else fail sstp-dhcp-inform "expected a DHCPACK with routes '$routes' in 121 and 249, DNS 10.1.0.53,10.1.0.54, domain contoso.internal and both suffixes in 119, got: $out"; fi
	out=$(run $NS_CLI python3 "$LIB/dhcpinform.py" "$a" 10.1.0.1)
	case $out in
	"type=5 dns=10.1.0.53,10.1.0.54 routes121=$routes "*) pass sstp-dhcp-inform-unicast ;;
	*) fail sstp-dhcp-inform-unicast "expected the same DHCPACK for a DHCPINFORM sent to 10.1.0.1, got: $out" ;;
	esac
	local k bad=""
	for k in badmagic truncated foreign; do
		out=$(run $NS_CLI python3 "$LIB/dhcpinform.py" "$a" 255.255.255.255 --dev "tun-$n" --kind $k)
		[ "$out" = "no answer" ] || bad="$bad $k: $out;"
	done
	if [ -z "$bad" ] && ! log_has "$D/$n.log" "^PPP: link down" &&
		run $NS_CLI ping -c 1 -W 2 -I "tun-$n" 10.1.0.10 >/dev/null; then pass sstp-dhcp-malformed-ignored
	else fail sstp-dhcp-malformed-ignored "expected no answer to a bad-magic, truncated or foreign DHCPINFORM and the session still up:$bad $(peer_tail "$n")"; fi
}

# IPv6 inside SSTP: IPV6CP (interface identifiers), then the client's
# Router Solicitation answered with the /64 of its lease and the IPv6
# routes; ping6 to the vnet host. A client that refuses IPV6CP keeps IPv4.
case_ipv6() {
	peer v6 --user alice --password wonderland --ipv6 --route 10.1.0.0/16 --route6 fd00:10:1::/64
	if wait_log "$D/v6.log" "^PPP: IPV6CP up [0-9a-f]{16} gw [0-9a-f]{16}$" 20; then pass sstp-ipv6cp
	else fail sstp-ipv6cp "expected IPV6CP to open with the gateway's identifier: $(peer_tail v6)"; fi
	if wait_log "$D/v6.log" "^PPP: IPv6 address fd00:201::" 15 &&
		log_has "$D/v6.log" "^PPP: RA prefix fd00:201::/64 routes fd00:10:1::/64,fd00:10:2::/48$"; then
		pass sstp-ipv6-ra
	else fail sstp-ipv6-ra "expected an RA with prefix fd00:201::/64 and routes fd00:10:1::/64, fd00:10:2::/48, and an address in it: $(grep -a 'RA\|IPv6' "$D/v6.log" | tr '\n' ' ') $(peer_tail v6)"; fi
	if run $NS_CLI ping -6 -c 3 -W 2 -I tun-v6 fd00:10:1::10 >/dev/null &&
		run $NS_CLI ping -c 1 -W 2 -I tun-v6 10.1.0.10 >/dev/null; then pass sstp-ipv6-ping
	else fail sstp-ipv6-ping "expected ping6 (and ping) replies from the vnet host through SSTP: $(peer_tail v6) $(grep -a 'spoof\|IPv6' "$GWLOG" | tail -n 3)"; fi
	stop_peer v6
	peer nov6 --user alice --password wonderland --route 10.1.0.0/16
	if wait_log "$D/nov6.log" "^PPP: IPCP up" 20 && sleep 4 &&
		run $NS_CLI ping -c 2 -W 2 -I tun-nov6 10.1.0.10 >/dev/null && ! log_has "$D/nov6.log" "^PPP: link down"; then
		pass sstp-ipv6-refused-v4-up
	else fail sstp-ipv6-refused-v4-up "expected a client that Protocol-Rejects IPV6CP to keep its IPv4 link: $(peer_tail nov6)"; fi
	stop_peer nov6
}

# No IPv6 pool: the gateway Protocol-Rejects IPV6CP; IPv4 carries on.
case_no_ipv6() {
	peer nopool --user alice --password wonderland --ipv6 --route 10.1.0.0/16
	if wait_log "$D/nopool.log" "^PPP: IPV6CP protocol-rejected" 20 && ! log_has "$D/nopool.log" "IPV6CP up" &&
		wait_log "$D/nopool.log" "^PPP: IPCP up" 10 &&
		run $NS_CLI ping -c 2 -W 2 -I tun-nopool 10.1.0.10 >/dev/null; then pass sstp-ipv6cp-rejected
	else fail sstp-ipv6cp-rejected "expected LCP Protocol-Reject of IPV6CP without an IPv6 pool, and IPv4 working: $(peer_tail nopool)"; fi
	stop_peer nopool
}

case_wrong_password() {
	peer wrong --user alice --password not-her-password
	if wait_log "$D/wrong.log" "^PPP: auth failed: E=691" 20 && ! log_has "$D/wrong.log" "IPCP up"; then
		pass sstp-wrong-password
	else fail sstp-wrong-password "expected a CHAP Failure E=691: $(peer_tail wrong)"; fi
	stop_peer wrong
}

case_binding() {
	peer bind --user carol --password carol-pw --wrong-keys
	if wait_log "$GWLOG" "crypto binding failed: compound MAC mismatch" 20 &&
		wait_log "$D/bind.sstpc.log" "abort|Abort|ABORT|terminat" 10; then
		pass sstp-crypto-binding
	else fail sstp-crypto-binding "expected CALL_ABORT after a wrong compound MAC: $(peer_tail bind)"; fi
	stop_peer bind
}

# EAP relayed to FreeRADIUS: the stock eap module's default method (MD5)
# answers; it derives no keys, so the binding runs on a zero HLAK.
case_eap_radius() {
	peer eapmd5 --auth eapmd5 --user carol --password carol-pw --route 10.1.0.0/16
	if wait_log "$D/eapmd5.log" "^PPP: IPCP up" 20 &&
		run $NS_CLI ping -c 2 -W 2 -I tun-eapmd5 10.1.0.10 >/dev/null; then pass sstp-eap-radius
	else fail sstp-eap-radius "expected EAP relayed to FreeRADIUS to admit carol: $(peer_tail eapmd5)"; fi
	stop_peer eapmd5
	peer eapbad --auth eapmd5 --user carol --password wrong-pw
	if wait_log "$D/eapbad.log" "^PPP: auth failed: EAP-Failure" 20 && ! log_has "$D/eapbad.log" "IPCP up"; then
		pass sstp-eap-radius-reject
	else fail sstp-eap-radius-reject "expected an EAP-Failure for a wrong EAP-MD5 password: $(peer_tail eapbad)"; fi
	stop_peer eapbad
}

case_404() {
	local got
	got=$(ip netns exec $NS_CLI timeout 10 openssl s_client -connect 192.0.2.1:443 -quiet \
		-servername gw.p2s.test <<<$'GET / HTTP/1.1\r\nHost: gw.p2s.test\r\n\r\n' 2>/dev/null | head -n 1)
	case "$got" in
	"HTTP/1.1 404"*) pass sstp-not-sstp-404 ;;
	*) fail sstp-not-sstp-404 "expected HTTP/1.1 404 for a GET, got '$got'" ;;
	esac
}

case_suites() {
	run $NS_CLI sslscan --no-colour --no-fallback --no-renegotiation --no-compression \
		--no-heartbleed --no-groups 192.0.2.1:443 >"$D/sslscan.txt" 2>&1
	local got want
	got=$(awk '/^(Preferred|Accepted)/ {print $2, $5}' "$D/sslscan.txt" | sort | tr '\n' ',')
	want="TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256,TLSv1.2 ECDHE-RSA-AES128-SHA256,TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384,TLSv1.2 ECDHE-RSA-AES256-SHA384,"
	if [ "$got" = "$want" ]; then pass sstp-tls-suites
	else fail sstp-tls-suites "expected exactly the four ECDHE-RSA TLS 1.2 suites, got '$got'"; fi
}

case_with_openvpn() {
	azure_profile "$D/ovpn.ovpn" "$D/pki" alice tcp
	ovpn_client $NS_CLI2 "$D" ov "$D/ovpn.ovpn" tcp 198.51.100.1 443 --route-nopull \
		--auth-user-pass <(printf 'carol\ncarol-pw\n') >/dev/null
	peer both --user alice --password wonderland
	local ok=1
	wait_log "$D/ov.log" "Initialization Sequence Completed" 20 || ok=0
	wait_log "$D/both.log" "^PPP: IPCP up" 20 || ok=0
	if [ $ok = 1 ] && run $NS_CLI2 ping -c 2 -W 2 -I tun-ov 10.1.0.10 >/dev/null &&
		run $NS_CLI ping -c 2 -W 2 -I tun-both 10.1.0.10 >/dev/null; then pass sstp-with-openvpn
	else fail sstp-with-openvpn "expected OpenVPN-over-TCP and SSTP on 443 both passing pings: ov $(log_tail "$D/ov.log" 2) $(peer_tail both)"; fi
	stop_pid "$(cat "$D/ov.pid" 2>/dev/null)"
	stop_peer both
}

case_eaptls() {
	local c=$D/pki/clients
	peer tlsalice --auth eaptls --user alice@contoso.com --cert "$c/alice@contoso.com.crt" \
		--key "$c/alice@contoso.com.key" --route 10.1.0.0/16
	if wait_log "$D/tlsalice.log" "^PPP: IPCP up" 20 &&
		run $NS_CLI ping -c 2 -W 2 -I tun-tlsalice 10.1.0.10 >/dev/null; then pass sstp-eaptls
	else fail sstp-eaptls "expected alice's certificate to pass EAP-TLS, the crypto binding and pings: $(peer_tail tlsalice)"; fi
	stop_peer tlsalice
	peer tlsbob --auth eaptls --user bob@contoso.com --cert "$c/bob@contoso.com.crt" \
		--key "$c/bob@contoso.com.key"
	if wait_log "$D/tlsbob.log" "^PPP: auth failed" 20 && ! log_has "$D/tlsbob.log" "IPCP up" &&
		log_has "$GWLOG" "revoked"; then pass sstp-eaptls-revoked
	else fail sstp-eaptls-revoked "expected bob's revoked certificate to be refused: $(peer_tail tlsbob)"; fi
	stop_peer tlsbob
}

# The SKU's SSTP cap (128 for every SKU): 128 calls admitted, the 129th
# refused at its MS-CHAPv2 verdict with E=691 and the reason logged, while
# OpenVPN (its own cap) still admits. The calls stay held meanwhile (the
# flood client keeps them open until its stdin closes).
case_cap() {
	mkfifo "$D/flood.in"
	FLOOD_PID=$(spawn $NS_CLI "$D/flood.log" sh -c "python3 '$LIB/sstp_flood.py' --addr 192.0.2.1 \
		--ca '$D/pki/gwroot/root.crt' --user flood%03d --password flood-pw -n 129 <'$D/flood.in'")
	exec 7>"$D/flood.in"
	wait_log "$D/flood.log" "^held" 60
	local ok refused
	"$CTL" --socket "$D/p2sgw.sock" --output json gateway show >"$D/cap-show.json" 2>&1
	ok=$(grep -c '^[0-9]* ok$' "$D/flood.log")
	refused=$(grep '^129 refused E=691' "$D/flood.log")
	if [ "$ok" = 128 ] && [ -n "$refused" ] && log_has "$GWLOG" "SSTP connection limit is reached"; then
		pass sstp-cap-129th
	else fail sstp-cap-129th "expected 128 admitted and the 129th refused (E=691, cap logged); got $ok admitted, last: $(log_tail "$D/flood.log" 2) $(grep -a 'refusing unauthenticated' "$GWLOG" | tail -n 1) $(grep -o '"unauthenticated": *[0-9]*' "$D/cap-show.json")"; fi
	ovpn_client $NS_CLI2 "$D" capov "$D/ovpn.ovpn" tcp 198.51.100.1 443 --route-nopull \
		--auth-user-pass <(printf 'carol\ncarol-pw\n') >/dev/null
	if wait_log "$D/capov.log" "Initialization Sequence Completed" 20; then pass sstp-cap-openvpn-admits
	else fail sstp-cap-openvpn-admits "OpenVPN was refused while SSTP was at its cap: $(log_tail "$D/capov.log" 3)"; fi
	stop_pid "$(cat "$D/capov.pid" 2>/dev/null)"
	exec 7>&-
	stop_pid "$FLOOD_PID"
}

main() {
	lab_up
	mkdir -p "/etc/netns/$NS_CLI" "/etc/netns/$NS_CLI2"
	echo "192.0.2.1 gw.p2s.test" >"/etc/netns/$NS_CLI/hosts"
	echo "198.51.100.1 gw.p2s.test" >"/etc/netns/$NS_CLI2/hosts"
	trap 'lab_cleanup; rm -rf "/etc/netns/$NS_CLI" "/etc/netns/$NS_CLI2"' EXIT
	make_pki "$D/pki" "$CTL" >/dev/null
	make_raddb_stock "$D/r1" lab-secret
	R1_PID=$(spawn $NS_GW "$D/r1.log" freeradius -f -xx -l stdout -d "$D/r1")
	spawn $NS_VNET "$D/iperf.log" iperf3 -s >/dev/null
	wait_log "$D/r1.log" "Ready to process requests" 15 || echo "FreeRADIUS did not start: $(log_tail "$D/r1.log" 5)"
	if start_gateway radius '["Radius"]'; then
		case_mschapv2
		case_wrong_password
		case_no_ipv6
		case_binding
		case_eap_radius
		case_404
		case_suites
		case_with_openvpn
		case_cap
	else
		for c in sstp-mschapv2 sstp-wrong-password sstp-crypto-binding; do fail $c "gateway did not start: $(log_tail "$GWLOG" 5)"; done
	fi
	stop_pid "$GW_PID"
	V6=1
	if start_gateway v6 '["Radius"]'; then
		case_ipv6
	else
		fail sstp-ipv6cp "gateway did not start: $(log_tail "$GWLOG" 5)"
	fi
	stop_pid "$GW_PID"
	V6=""
	if start_gateway cert '["Certificate"]'; then
		case_eaptls
	else
		fail sstp-eaptls "gateway did not start: $(log_tail "$GWLOG" 5)"
	fi
	stop_pid "$GW_PID"
	echo "--- gateway log (tail)"
	tail -n 40 "$GWLOG"
	exit $LAB_FAILED
}

[ -n "${SSTP_LAB_SOURCE:-}" ] || main
