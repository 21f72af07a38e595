#!/bin/bash
# Access rules per policy group, enforced by the gateway on every packet:
# alice (group eng, certificate domain contoso.com) may ping and reach TCP
# 5201 on the vnet host; eve (group sales, fabrikam.com) may ping and reach
# TCP 8080; each is refused the other's port. A reload that changes eng's
# rules applies to alice's running session within a second; the refusals
# are counted per session and per rule. Real openvpn clients.
set -u
BUILD=$(realpath "${1:-build}")
cd "$(dirname "$0")"
. lib/netns.sh
. lib/pki.sh
. lib/openvpn.sh
. lib/strongswan.sh
LAB_CASES="rules-eng-allowed rules-eng-refused rules-sales-allowed rules-sales-refused
rules-counted rules-reload-live rules-ikev2-allowed rules-ikev2-refused"
lab_require openvpn openssl python3 ping
CTL=$BUILD/p2sctl
GW=$BUILD/p2sgw
D=$LAB_DIR
PKI=$D/pki

# write_conf ENG_PORTS: eng's allowed TCP ports.
write_conf() {
	cat >"$D/gw.json.new" <<J
{
  "name": "lab-rules", "gatewayFqdn": "gw.p2s.test",
  "stateDirectory": "$D/state", "controlSocket": "$D/p2sgw.sock",
  "serverCertificate": {"certFile": "$PKI/server.crt", "keyFile": "$PKI/server.key"},
  "openvpn": {"tlsAuthKeyFile": "$PKI/ta.key"},
  "virtualNetwork": {"addressSpace": ["10.1.0.0/16"]},
  "virtualNetworkGatewayPolicyGroups": [
    {"name": "eng", "priority": 10,
     "policyMembers": [{"name": "c", "attributeType": "CertificateGroupId", "attributeValue": "contoso.com"}],
     "accessRules": [
       {"name": "ping", "protocols": ["ICMP"]},
       {"name": "eng-tcp", "destinationPrefixes": ["10.1.0.10/32"], "protocols": ["TCP"], "destinationPorts": "$1"}]},
    {"name": "sales", "priority": 20,
     "policyMembers": [{"name": "f", "attributeType": "CertificateGroupId", "attributeValue": "fabrikam.com"}],
     "accessRules": [
       {"name": "no-5201", "action": "Deny", "protocols": ["TCP"], "destinationPorts": "5201"},
       {"name": "ping", "protocols": ["ICMP"]},
       {"name": "sales-web", "destinationPrefixes": ["10.1.0.0/24"], "protocols": ["TCP"], "destinationPorts": "8080"}]},
    {"name": "everyone", "isDefault": true, "priority": 100}
  ],
  "vpnClientConfiguration": {
    "vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"]},
    "vpnClientProtocols": ["OpenVPN", "IkeV2"],
    "vpnAuthenticationTypes": ["Certificate"],
    "vpnClientRootCertificates": [{"name": "r", "publicCertData": "$(cat "$PKI/root/root.b64")"}]
  }
}
J
	mv "$D/gw.json.new" "$D/gw.json"
}

up() { wait_log "$D/$1.log" "Initialization Sequence Completed" "${2:-15}"; }
# tcp_ok NS PORT: a TCP connection to the vnet host opens within 3 s.
tcp_ok() { ip netns exec "$1" timeout 3 bash -c "echo > /dev/tcp/10.1.0.10/$2" 2>/dev/null; }
ping_ok() { ip netns exec "$1" ping -c 1 -W 2 10.1.0.10 >/dev/null; }
denied_of() {
	"$CTL" --socket "$D/p2sgw.sock" --output json session list |
		python3 -c 'import json,sys; print(sum(s.get("deniedPackets", 0) for s in json.load(sys.stdin) if s["vpnUserName"].startswith(sys.argv[1])))' "$1"
}

listeners() {
	local port
	for port in 5201 8080; do
		spawn $NS_VNET "$D/listen-$port.log" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(64)
while True:
    c, _ = s.accept(); c.close()' "$port" >/dev/null
	done
	wait_listen $NS_VNET tcp 5201 && wait_listen $NS_VNET tcp 8080
}

check_group() { # check_group NAME NS ALLOWED REFUSED
	if ping_ok "$2" && tcp_ok "$2" "$3"; then pass "rules-$1-allowed"
	else fail "rules-$1-allowed" "expected ping and TCP $3 to the vnet host to pass for $1"; fi
	if ! tcp_ok "$2" "$4"; then pass "rules-$1-refused"
	else fail "rules-$1-refused" "expected TCP $4 refused for $1"; fi
}

# The same rules for an IKEv2 client: eve again, now with strongSwan.
ikev2_rules() {
	if ! swan_installed; then
		skip rules-ikev2-allowed "strongSwan with kernel-libipsec is not installed"
		skip rules-ikev2-refused "strongSwan with kernel-libipsec is not installed"
		return
	fi
	stop_pid "$(cat "$D/eve.pid")"
	swan_new ike
	swan_client_files ike "$PKI"
	cp "$PKI/clients/eve@fabrikam.com.crt" "$(swan_dir ike)/swanctl/x509/client.crt"
	cp "$PKI/clients/eve@fabrikam.com.key" "$(swan_dir ike)/swanctl/private/client.key"
	swan_client_conf ike 198.51.100.1 pubkey eve@fabrikam.com
	swan_start $NS_CLI2 ike >/dev/null && swan_load ike && swan_initiate ike p2s 20
	if ! swan_wait_child ike p2s 20; then
		fail rules-ikev2-allowed "no CHILD_SA for eve: $(tail -n 5 "$(swan_log ike)" | tr '\n' '|')"
		return
	fi
	check_group ikev2 $NS_CLI2 8080 5201
	local n=$(denied_of eve)
	echo "eve's IKEv2 session: $n packet(s) refused by the rules"
	[ "${n:-0}" -gt 0 ] || fail rules-ikev2-refused "the refusal was not counted on eve's IKEv2 session (not the rules?)"
	swan_stop ike
}

main() {
	lab_up
	make_pki "$PKI" "$CTL" >/dev/null || exit 1
	pki_key "$PKI/clients/eve@fabrikam.com.key" ec
	pki_issue "$PKI/root" "$PKI/clients/eve@fabrikam.com.key" eve@fabrikam.com client_ext \
		"$PKI/clients/eve@fabrikam.com.crt"
	write_conf 5201
	listeners || { fail rules-eng-allowed "vnet listeners did not start"; exit 1; }
	GW_PID=$(spawn $NS_GW "$D/gw.log" "$GW" --config "$D/gw.json")
	wait_listen $NS_GW tcp 443 10 "$GW_PID" || { fail rules-eng-allowed "gateway did not start: $(log_tail "$D/gw.log" 4)"; exit 1; }
	azure_profile "$D/alice.ovpn" "$PKI" alice tcp
	azure_profile "$D/eve.ovpn" "$PKI" alice udp
	sed -i "s|clients/alice@contoso.com|clients/eve@fabrikam.com|g" "$D/eve.ovpn"
	ovpn_client $NS_CLI "$D" alice "$D/alice.ovpn" tcp 192.0.2.1 443 >/dev/null
	ovpn_client $NS_CLI2 "$D" eve "$D/eve.ovpn" udp 198.51.100.1 1194 >/dev/null
	up alice && up eve || { fail rules-eng-allowed "clients did not connect: $(log_tail "$D/gw.log" 4)"; exit 1; }
	check_group eng $NS_CLI 5201 8080
	check_group sales $NS_CLI2 8080 5201
	local a=$(denied_of alice) e=$(denied_of eve)
	if [ "${a:-0}" -gt 0 ] && [ "${e:-0}" -gt 0 ]; then pass rules-counted
	else fail rules-counted "expected denied packets counted for alice and eve, got '$a' and '$e'"; fi
	write_conf "5201,8080"
	kill -HUP "$GW_PID"
	wait_log "$D/gw.log" "reload: configuration applied" 5
	if wait_until 1 tcp_ok $NS_CLI 8080 && ! log_has "$D/alice.log" "SIGUSR1"; then
		pass rules-reload-live
	else
		fail rules-reload-live "expected alice's running session to reach TCP 8080 within a second of the reload"
	fi
	ikev2_rules
	echo "--- gateway log (tail)"
	tail -n 15 "$D/gw.log"
	exit $LAB_FAILED
}

main
