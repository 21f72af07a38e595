#!/bin/bash
# Reload applies the whole configuration without dropping sessions that are
# still allowed: while alice (certificate) runs iperf3, the RADIUS servers
# and the default group's pool change; then RADIUS is removed from the
# authentication types; a broken file is refused; a configuration with only
# IKEv2 stops OpenVPN, and bringing it back restores it. Real openvpn
# clients and a real FreeRADIUS.
set -u
BUILD=$(realpath "${1:-build}")
cd "$(dirname "$0")"
. lib/netns.sh
. lib/pki.sh
. lib/radius.sh
. lib/openvpn.sh
LAB_CASES="reload-iperf-survives reload-pool-moved reload-new-radius reload-new-pool-address
reload-options-kept reload-auth-type-removed reload-broken-refused reload-openvpn-stopped
reload-openvpn-back"
lab_require openvpn freeradius iperf3 openssl python3 ping
CTL=$BUILD/p2sctl
GW=$BUILD/p2sgw
D=$LAB_DIR
PKI=$D/pki

# write_conf RADIUS_PORT RADIUS_SECRET MAIN_POOL AUTH_TYPES PROTOCOLS
write_conf() {
	cat >"$D/gw.json.new" <<J
{
  "name": "lab-reload", "gatewayFqdn": "gw.p2s.test",
  "stateDirectory": "$D/state", "controlSocket": "$D/p2sgw.sock",
  "serverCertificate": {"certFile": "$PKI/server.crt", "keyFile": "$PKI/server.key"},
  "openvpn": {"tlsAuthKeyFile": "$PKI/ta.key"},
  "virtualNetwork": {"addressSpace": ["10.1.0.0/16"]},
  "virtualNetworkGatewayPolicyGroups": [
    {"name": "contoso", "priority": 10, "policyMembers": [{"name": "c", "attributeType": "CertificateGroupId", "attributeValue": "contoso.com"}]},
    {"name": "everyone", "isDefault": true, "priority": 100}
  ],
  "vpnClientConfiguration": {
    "vpnClientAddressPool": {"addressPrefixes": ["$3"]},
    "vpnClientProtocols": $5,
    "vpnAuthenticationTypes": $4,
    "vpnClientRootCertificates": [{"name": "r", "publicCertData": "$(cat "$PKI/root/root.b64")"}],
    "radiusServers": [{"radiusServerAddress": "127.0.0.1:$1", "radiusServerScore": 30, "radiusServerSecret": "$2"}],
    "radiusTimeoutSeconds": 3,
    "vngClientConnectionConfigurations": [
      {"name": "contosoPool", "vpnClientAddressPool": {"addressPrefixes": ["172.16.210.0/24"]}, "virtualNetworkGatewayPolicyGroups": [{"id": "contoso"}]}
    ]
  }
}
J
	mv "$D/gw.json.new" "$D/gw.json"
}

reload() { "$CTL" --config "$D/gw.json" --socket "$D/p2sgw.sock" --output json gateway reload 2>&1; }

# A RADIUS user: the Azure profile without a certificate, auth-user-pass.
radius_client() { # radius_client NAME USER PASSWORD
	azure_profile "$D/$1.ovpn" "$PKI" alice udp
	sed -i '/^cert \|^key /d' "$D/$1.ovpn"
	printf '%s\n%s\n' "$2" "$3" >"$D/$1.pass"
	ovpn_client $NS_CLI2 "$D" "$1" "$D/$1.ovpn" udp 198.51.100.1 1194 \
		--auth-user-pass "$D/$1.pass" --route-nopull --connect-retry-max 1 >/dev/null
}

up() { wait_log "$D/$1.log" "Initialization Sequence Completed" "${2:-15}"; }
addr_of() { ip -n "$2" -4 -o addr show dev "tun-$1" 2>/dev/null | awk '{print $4}' | cut -d/ -f1; }
gw_log_has() { log_has "$D/gw.log" "$1"; }

start() {
	write_conf 1812 primary-secret 172.16.201.0/24 '["Certificate", "Radius"]' '["OpenVPN"]'
	GW_PID=$(spawn $NS_GW "$D/gw.log" "$GW" --config "$D/gw.json" --log-level debug)
	wait_listen $NS_GW tcp 443 10 "$GW_PID" && wait_listen $NS_GW udp 1194 5 "$GW_PID"
}

# Step 1: new RADIUS server and the default group's pool moved, under load.
phase_radius_and_pool() {
	azure_profile "$D/alice.ovpn" "$PKI" alice tcp
	ovpn_client $NS_CLI "$D" alice "$D/alice.ovpn" tcp 192.0.2.1 443 >/dev/null
	radius_client carol carol carol-pw
	if ! up alice || ! up carol; then
		fail reload-iperf-survives "clients did not come up: $(log_tail "$D/gw.log" 5)"
		return 1
	fi
	local carol_addr=$(addr_of carol $NS_CLI2)
	echo "alice $(addr_of alice $NS_CLI), carol $carol_addr"
	run $NS_CLI timeout 30 iperf3 -c 10.1.0.10 -t 6 -J >"$D/iperf.json" &
	local iperf=$!
	sleep 2
	write_conf 1822 second-secret 172.16.202.0/24 '["Certificate", "Radius"]' '["OpenVPN"]'
	echo "reload: $(reload)"
	wait "$iperf"
	local rc=$? bytes=$(iperf_field "$D/iperf.json" bytes)
	if [ "$rc" -eq 0 ] && [ "${bytes%.*}" -gt 0 ] && [ "$(grep -c 'Initialization Sequence Completed' "$D/alice.log")" -eq 1 ]; then
		pass reload-iperf-survives
	else
		fail reload-iperf-survives "iperf3 rc $rc, $bytes bytes, alice connected $(grep -c 'Initialization Sequence Completed' "$D/alice.log") time(s)"
	fi
	if wait_until 5 gw_log_has "session closed: its address $carol_addr is outside the new pool of group everyone"; then
		pass reload-pool-moved
	else
		fail reload-pool-moved "expected carol ($carol_addr) closed for the moved pool, got: $(log_tail "$D/gw.log" 4)"
	fi
	stop_pid "$(cat "$D/carol.pid")"
	# The old server goes away: a login that works now went to the new one.
	stop_pid "$R1_PID"
	radius_client dave dave dave-pw
	if up dave 15; then pass reload-new-radius
	else fail reload-new-radius "dave could not log in through the new server 127.0.0.1:1822: $(log_tail "$D/gw.log" 4)"; fi
	local a=$(addr_of dave $NS_CLI2)
	case "$a" in
	172.16.202.*) pass reload-new-pool-address ;;
	*) fail reload-new-pool-address "expected dave in the new pool 172.16.202.0/24, got '$a'" ;;
	esac
	# --log-level debug from the command line outlives the reload.
	if tail -n 200 "$D/gw.log" | grep -q " debug "; then pass reload-options-kept
	else fail reload-options-kept "no debug lines after the reload although --log-level debug was given"; fi
}

# Step 2: RADIUS no longer an authentication type: its users go, alice stays.
phase_auth_type() {
	write_conf 1822 second-secret 172.16.202.0/24 '["Certificate"]' '["OpenVPN"]'
	echo "reload: $(reload)"
	if wait_until 5 gw_log_has "session closed: its authentication type is no longer enabled \(user \"dave\"" &&
		run $NS_CLI ping -c 2 -W 2 10.1.0.10 >/dev/null; then
		pass reload-auth-type-removed
	else
		fail reload-auth-type-removed "expected dave closed and alice still up, got: $(log_tail "$D/gw.log" 4)"
	fi
	stop_pid "$(cat "$D/dave.pid")"
}

# Step 3: a broken file is refused with its JSON path; nothing changes.
phase_broken() {
	cp "$D/gw.json" "$D/gw.good"
	sed -i 's|172.16.202.0/24|172.16.202.7/24|' "$D/gw.json"
	local out=$(reload)
	echo "reload: $out"
	if grep -q "rejected: .*addressPrefixes\[0\]" <<<"$out" && gw_log_has "reload: .*addressPrefixes\[0\]" &&
		run $NS_CLI ping -c 2 -W 2 10.1.0.10 >/dev/null; then
		pass reload-broken-refused
	else
		fail reload-broken-refused "expected an error naming addressPrefixes[0] and alice still up; reply '$out', log: $(log_tail "$D/gw.log" 3)"
	fi
	cp "$D/gw.good" "$D/gw.json"
}

# Step 4: only IKEv2: OpenVPN stops, its listeners close; then it is back.
phase_protocols() {
	write_conf 1822 second-secret 172.16.202.0/24 '["Certificate"]' '["IkeV2"]'
	echo "reload: $(reload)"
	if wait_until 5 gw_log_has "session closed: OpenVPN is no longer enabled" &&
		! listening $NS_GW tcp 443 && ! listening $NS_GW udp 1194; then
		pass reload-openvpn-stopped
	else
		fail reload-openvpn-stopped "expected alice closed and 443/1194 closed; log: $(log_tail "$D/gw.log" 4)"
	fi
	write_conf 1822 second-secret 172.16.202.0/24 '["Certificate"]' '["OpenVPN"]'
	echo "reload: $(reload)"
	if wait_listen $NS_GW tcp 443 5 && wait_listen $NS_GW udp 1194 5 &&
		wait_until 20 sh -c "[ \$(grep -c 'Initialization Sequence Completed' '$D/alice.log') -ge 2 ]"; then
		pass reload-openvpn-back
	else
		fail reload-openvpn-back "expected the listeners back and alice reconnected; log: $(log_tail "$D/alice.log" 3)"
	fi
}

main() {
	lab_up
	make_pki "$PKI" "$CTL" >/dev/null || exit 1
	make_raddb "$D/r1" 1812 primary-secret
	make_raddb "$D/r2" 1822 second-secret
	R1_PID=$(spawn $NS_GW "$D/r1.log" freeradius -f -xx -l stdout -d "$D/r1")
	spawn $NS_GW "$D/r2.log" freeradius -f -xx -l stdout -d "$D/r2" >/dev/null
	spawn $NS_VNET "$D/iperf.log" iperf3 -s >/dev/null
	wait_log "$D/r1.log" "Ready to process requests"
	wait_log "$D/r2.log" "Ready to process requests"
	if ! start; then
		fail reload-iperf-survives "gateway did not start: $(log_tail "$D/gw.log" 5)"
		exit 1
	fi
	phase_radius_and_pool && phase_auth_type && phase_broken && phase_protocols
	echo "--- gateway log (tail)"
	grep -v " debug " "$D/gw.log" | tail -n 30
	exit $LAB_FAILED
}

main
