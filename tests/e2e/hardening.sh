#!/bin/bash
# Hardening cases that need a real client misbehaving on purpose: a client
# that never sees the gateway's renegotiation request (its soft resets are
# dropped on the client's side by nftables) keeps its old key only until the
# hand window ends, then it is disconnected; a well-behaved client
# renegotiates and stays.
set -u
BUILD=$(realpath "${1:-build}")
cd "$(dirname "$0")"
. lib/netns.sh
. lib/pki.sh
. lib/openvpn.sh
LAB_CASES="reneg-ignored-disconnected reneg-honoured-stays token-expiry-ends-session"
lab_require openvpn openssl nft ping python3
CTL=$BUILD/p2sctl
GW=$BUILD/p2sgw
D=$LAB_DIR
PKI=$D/pki

write_conf() {
	cat >"$D/gw.json" <<J
{
  "name": "lab-hardening", "gatewayFqdn": "gw.p2s.test",
  "stateDirectory": "$D/state", "controlSocket": "$D/p2sgw.sock",
  "serverCertificate": {"certFile": "$PKI/server.crt", "keyFile": "$PKI/server.key"},
  "openvpn": {"tlsAuthKeyFile": "$PKI/ta.key", "renegotiateSeconds": 10, "handWindowSeconds": 8},
  "virtualNetwork": {"addressSpace": ["10.1.0.0/16"]},
  "vpnClientConfiguration": {
    "vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"]},
    "vpnClientProtocols": ["OpenVPN"],
    "vpnAuthenticationTypes": ["Certificate"],
    "vpnClientRootCertificates": [{"name": "r", "publicCertData": "$(cat "$PKI/root/root.b64")"}]
  }
}
J
}

TENANT=11111111-2222-3333-4444-555555555555

# The same gateway with Entra ID: a token accepted at login within the clock
# skew, expired by the first renegotiation.
write_aad_conf() {
	python3 - "$D/gw.json" "$D/issuer/jwks.json" "$TENANT" <<'P'
import json, sys
c = json.load(open(sys.argv[1]))
v = c["vpnClientConfiguration"]
v["vpnAuthenticationTypes"] = ["Certificate", "AAD"]
v["aadTenant"] = "https://login.microsoftonline.com/%s" % sys.argv[3]
v["aadIssuer"] = "https://sts.windows.net/%s/" % sys.argv[3]
v["aadAudience"] = "c632b3df-fb67-4d84-bdcf-b95ad541b5c8"
v["aadJwksFile"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"))
P
}

token_expiry() {
	python3 lib/issuer.py init "$D/issuer"
	write_aad_conf
	kill -HUP "$GW_PID"
	wait_log "$D/gw.log" "reload: configuration applied" 5
	local now=$(date +%s)
	printf 'AzureAD\n%s\n' "$(python3 lib/issuer.py token "$D/issuer" --claims "{\"exp\": $((now - 290)), \"nbf\": $((now - 1000)), \"upn\": \"tok@contoso.com\"}")" >"$D/tok.pass"
	azure_profile "$D/tok.ovpn" "$PKI" alice udp
	sed -i '/^cert \|^key /d' "$D/tok.ovpn"
	ovpn_client $NS_CLI2 "$D" tok "$D/tok.ovpn" udp 198.51.100.1 1194 --route-nopull \
		--auth-user-pass "$D/tok.pass" >/dev/null
	if ! up tok; then
		fail token-expiry-ends-session "the token was refused at login: $(log_tail "$D/gw.log" 3)"
		return
	fi
	if wait_log "$D/gw.log" "access token of this session has expired" 25 &&
		wait_log "$D/gw.log" "session closed: .*user \"tok@contoso.com\"" 5; then
		pass token-expiry-ends-session
	else
		fail token-expiry-ends-session "expected tok's session to end at the renegotiation after its token expired: $(log_tail "$D/gw.log" 4)"
	fi
}

up() { wait_log "$D/$1.log" "Initialization Sequence Completed" "${2:-15}"; }

main() {
	lab_up
	make_pki "$PKI" "$CTL" >/dev/null || exit 1
	write_conf
	azure_profile "$D/alice.ovpn" "$PKI" alice udp
	azure_profile "$D/alice2.ovpn" "$PKI" alice2 udp
	GW_PID=$(spawn $NS_GW "$D/gw.log" "$GW" --config "$D/gw.json")
	wait_listen $NS_GW udp 1194 10 "$GW_PID" || { fail reneg-ignored-disconnected "gateway did not start"; exit 1; }
	# alice (on cli) never receives P_CONTROL_SOFT_RESET_V1 (opcode 3 in the
	# top five bits of the first payload byte); alice2 (on cli2) does.
	run $NS_CLI nft add table inet lab
	run $NS_CLI nft add chain inet lab in '{ type filter hook input priority 0; }'
	run $NS_CLI nft add rule inet lab in udp sport 1194 '@th,64,5' 3 counter drop
	ovpn_client $NS_CLI "$D" alice "$D/alice.ovpn" udp 192.0.2.1 1194 --route-nopull >/dev/null
	ovpn_client $NS_CLI2 "$D" alice2 "$D/alice2.ovpn" udp 198.51.100.1 1194 --route-nopull >/dev/null
	up alice && up alice2 || { fail reneg-ignored-disconnected "clients did not connect: $(log_tail "$D/gw.log" 4)"; exit 1; }
	local t0=$SECONDS
	if wait_log "$D/gw.log" "session closed: the client did not renegotiate its data keys within the hand window \(user \"alice@" 30; then
		echo "alice disconnected $((SECONDS - t0)) s after connecting; dropped soft resets: $(ip netns exec $NS_CLI nft list ruleset | grep -o 'packets [0-9]*')"
		pass reneg-ignored-disconnected
	else
		fail reneg-ignored-disconnected "expected alice disconnected within renegotiateSeconds + handWindowSeconds: $(log_tail "$D/gw.log" 4)"
	fi
	if log_has "$D/gw.log" "alice2@contoso.com.*data keys renegotiated|data keys renegotiated" &&
		! log_has "$D/gw.log" "session closed: .*user \"alice2@" &&
		run $NS_CLI2 ping -c 2 -W 2 -I tun-alice2 172.16.201.1 >/dev/null; then
		pass reneg-honoured-stays
	else
		fail reneg-honoured-stays "expected alice2 renegotiated and still up: $(log_tail "$D/gw.log" 4)"
	fi
	token_expiry
	echo "--- gateway log (tail)"
	tail -n 20 "$D/gw.log"
	exit $LAB_FAILED
}

main
