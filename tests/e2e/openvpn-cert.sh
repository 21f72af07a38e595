#!/bin/bash
# OpenVPN with certificate authentication: Debian's real openvpn 2.6 client,
# with the options of an Azure profile, through the gateway over TCP 443 and
# UDP 1194 into the virtual network; the refusals a gateway owes its users;
# certificate changes applied live.
#   tests/e2e/openvpn-cert.sh [BUILD_DIR]
# The gateway under test is $BUILD_DIR/p2sgw, or with P2S_LAB_GATEWAY=openvpn
# Debian's openvpn 2.6 as a reference server (two instances, TCP and UDP):
# that proves the lab itself (namespaces, PKI, client options), and the cases
# only p2sgw implements SKIP with the reason.
set -u
BUILD=$(realpath "${1:-build}")
MODE=${P2S_LAB_GATEWAY:-p2sgw}
cd "$(dirname "$0")" || exit 2
. lib/netns.sh
. lib/pki.sh
. lib/openvpn.sh
LAB_CASES="check-config tcp-address tcp-route tcp-dns tcp-dns-suffix tcp-dns-option dns-option-no-suffix dns6-pushed dns6-none tcp-ping tcp-iperf-up tcp-iperf-down
udp-address udp-route udp-ping udp-iperf-up udp-iperf-down refuse-other-root refuse-revoked
refuse-expired refuse-no-clientauth refuse-no-tls-auth good-session-survives revoke-reload
profile-xml profile-connects profile-client-cert revoke-live sstp-hello-closed renegotiation
connection-cap graceful-shutdown embedded-default demo-root-dropped"
CTL=$BUILD/p2sctl
GW=$BUILD/p2sgw
D=$LAB_DIR
PKI=$D/pki

case $MODE in
p2sgw) GWLOGS=$D/gw.log ;;
openvpn) GWLOGS="$D/gw-tcp.log $D/gw-udp.log" ;;
*)
	echo "P2S_LAB_GATEWAY must be p2sgw or openvpn, not '$MODE'" >&2
	exit 2
	;;
esac
lab_require openvpn iperf3 openssl python3 ping ss
if [ "$MODE" = p2sgw ] && { [ ! -x "$GW" ] || [ ! -x "$CTL" ]; }; then
	for c in $LAB_CASES; do skip "$c" "no $GW or $CTL: build first"; done
	exit 0
fi

gw_log_has() { grep -Eiqs "$1" $GWLOGS; } # any gateway log, any case
p2sgw_only() { # p2sgw_only "WHY" CASE...: SKIPs them in the reference mode; true if so
	[ "$MODE" = p2sgw ] && return 1
	local why=$1 c
	shift
	for c in "$@"; do skip "$c" "p2sgw only: $why"; done
}

# ---------------------------------------------------------------- gateway

# The revocation list as JSON members; grows as the lab revokes users, so a
# rewrite of the configuration never un-revokes anybody.
REVOKED=""
revoke_in_conf() { # revoke_in_conf NAME CERT
	REVOKED="$REVOKED${REVOKED:+, }{\"name\": \"$1\", \"thumbprint\": \"$(thumbprint "$2")\"}"
}

SUFFIXES=contoso.internal,corp.contoso.com # virtualNetwork.dnsSuffixes; empty: none
# IPv6 prefixes for the vnet and the pool, an IPv6 DNS server (', "x"'); empty: IPv4 only.
V6_VNET="" V6_POOL="" V6_DNS=""
write_conf() { # write_conf FILE [extra JSON members at the root]
	local sfx=""
	[ -z "$SUFFIXES" ] || sfx=", \"dnsSuffixes\": \"$SUFFIXES\""
	cat >"$1" <<J
{
  "name": "lab-gw", "sku": "VpnGw1", "vpnGatewayGeneration": "Generation1",
  "vpnType": "RouteBased", "gatewayFqdn": "gw.p2s.test",
  "stateDirectory": "$D/state", "controlSocket": "$D/p2sgw.sock", "logLevel": "info",
  "tunInterface": "p2s0", ${2:-}
  "listen": {"address": "0.0.0.0", "tcpPort": 443, "udpPort": 1194},
  "serverCertificate": {"certFile": "$PKI/server.crt", "keyFile": "$PKI/server.key"},
  "openvpn": {"tlsAuthKeyFile": "$PKI/ta.key", "renegotiateSeconds": 10},
  "virtualNetwork": {"addressSpace": ["10.1.0.0/16"$V6_VNET], "dnsServers": ["10.1.0.4"$V6_DNS]$sfx},
  "customRoutes": {"addressPrefixes": []},
  "vpnClientConfiguration": {
    "vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"$V6_POOL]},
    "vpnClientProtocols": ["OpenVPN"],
    "vpnAuthenticationTypes": ["Certificate"],
    "vpnClientRootCertificates": [{"name": "P2SClientRoot",
      "publicCertData": "$(cat "$PKI/root/root.b64")"}],
    "vpnClientRevokedCertificates": [$REVOKED]
  }
}
J
}

check_config() {
	p2sgw_only "the reference server has no JSON configuration" check-config && return
	local bad=$D/bad.json out
	sed 's/"RouteBased"/"PolicyBased"/' "$D/gw.json" >"$bad"
	if ! out=$("$GW" --config "$D/gw.json" --check-config 2>&1); then
		fail check-config "expected exit 0 for the lab's config, got: $out"
	elif out=$("$GW" --config "$bad" --check-config 2>&1); then
		fail check-config "expected a non-zero exit for vpnType PolicyBased, got 0: $out"
	elif ! grep -q 'vpnType' <<<"$out"; then
		fail check-config "expected an error naming vpnType, got: $out"
	else
		pass check-config
	fi
}

# Starts the gateway under test; false (with a FAIL) if it never listens.
start_gateway() {
	if [ "$MODE" = p2sgw ]; then
		GW_PID=$(spawn $NS_GW "$D/gw.log" "$GW" --config "$D/gw.json")
	else
		# Two instances, each with half of the pool, so both transports
		# hand out addresses in 172.16.201.0/24 without a route clash.
		ref_server $NS_GW "$D/gw-tcp.log" tcp 443 172.16.201.0 255.255.255.128 p2s0 "$PKI" \
			--crl-verify "$PKI/root/crl.pem" --remote-cert-tls client \
			--push "dhcp-option DNS 10.1.0.4" --push "dhcp-option DOMAIN contoso.internal" >/dev/null
		ref_server $NS_GW "$D/gw-udp.log" udp 1194 172.16.201.128 255.255.255.128 p2s1 "$PKI" \
			--crl-verify "$PKI/root/crl.pem" --remote-cert-tls client \
			--push "dhcp-option DNS 10.1.0.4" >/dev/null
	fi
	if ! wait_listen $NS_GW tcp 443 10 "${GW_PID:-}" || ! wait_listen $NS_GW udp 1194 5 "${GW_PID:-}"; then
		fail tcp-address "expected the gateway to listen on TCP 443 and UDP 1194 within 10 s; log: $(log_tail "${GWLOGS%% *}" 5)"
		return 1
	fi
}

# ---------------------------------------------------------------- clients

# Where each client runs: the UDP ones on the second client host, so two
# tunnels never share a routing table.
ns_of() { case $1 in alice2 | nota) echo $NS_CLI2 ;; *) echo $NS_CLI ;; esac; }

# connect NAME tcp|udp [openvpn options]: a client with the Azure profile of
# the user NAME (or the profile file $D/NAME.ovpn if one is there already).
connect() {
	local name=$1 proto=$2 port=443 gw=192.0.2.1
	shift 2
	[ "$proto" = udp ] && port=1194 && gw=198.51.100.1
	[ -f "$D/$name.ovpn" ] || azure_profile "$D/$name.ovpn" "$PKI" "$name" "$proto"
	ovpn_client "$(ns_of "$name")" "$D" "$name" "$D/$name.ovpn" "$proto" $gw $port "$@" >/dev/null
}

# The client's --up script records what a DNS script would be handed: the
# 2.6 dns_* variables and the legacy foreign_option_* ones.
DNS_UP=(--script-security 2 --up "$D/dns-env.sh")
dns_env() { cat "$D/env-tun-$1" 2>/dev/null; }

# dns_option CASE NAME: the real 2.6 client took the pushed "dns" option:
# the server, split DNS for both suffixes and the search list.
dns_option() {
	local want got
	want="dns_search_domain_1=contoso.internal
dns_search_domain_2=corp.contoso.com
dns_server_1_address_1=10.1.0.4
dns_server_1_resolve_domain_1=contoso.internal
dns_server_1_resolve_domain_2=corp.contoso.com"
	got=$(dns_env "$2" | grep '^dns_')
	if [ "$got" = "$want" ]; then pass "$1"
	else fail "$1" "expected the client's up script to get the pushed dns options ($(tr '\n' ' ' <<<"$want")), got: $(tr '\n' ' ' <<<"$got"); push: $(grep -o 'PUSH_REPLY.*' "$D/$2.log")"; fi
}

up() { wait_log "$D/$1.log" "Initialization Sequence Completed" "${2:-15}"; }
client_pid() { cat "$D/$1.pid" 2>/dev/null; }

client_addr() { # the address on the client's tun
	ip -n "$(ns_of "$1")" -4 -o addr show dev "tun-$1" 2>/dev/null | awk '{print $4}' | cut -d/ -f1
}

vnet_ping() { run "$(ns_of "$1")" ping -c "${2:-3}" -W 2 10.1.0.10 >/dev/null; }

# positive PREFIX NAME: address, route, DNS (TCP), ping, iperf3 both ways.
positive() {
	local p=$1 n=$2 ns a
	ns=$(ns_of "$n")
	a=$(client_addr "$n")
	case "$a" in
	172.16.201.*) pass "$p-address" ;;
	*) fail "$p-address" "expected an address in 172.16.201.0/24 on tun-$n, got '$a'" ;;
	esac
	if ip -n "$ns" route show 10.1.0.0/16 | grep -q "tun-$n"; then pass "$p-route"
	else fail "$p-route" "expected the pushed route 10.1.0.0/16 via tun-$n, got: $(ip -n "$ns" route | tr '\n' ';')"; fi
	if [ "$p" = tcp ]; then
		if log_has "$D/$n.log" "PUSH_REPLY.*dhcp-option DNS 10.1.0.4"; then pass tcp-dns
		else fail tcp-dns "expected 'dhcp-option DNS 10.1.0.4' in the push reply, got: $(grep -o 'PUSH_REPLY.*' "$D/$n.log")"; fi
		if log_has "$D/$n.log" "PUSH_REPLY.*dhcp-option DOMAIN contoso.internal"; then pass tcp-dns-suffix
		else fail tcp-dns-suffix "expected 'dhcp-option DOMAIN contoso.internal' (virtualNetwork.dnsSuffixes) in the push reply, got: $(grep -o 'PUSH_REPLY.*' "$D/$n.log")"; fi
		p2sgw_only "the reference server pushes only dhcp-option here" tcp-dns-option ||
			dns_option tcp-dns-option "$n"
	fi
	if vnet_ping "$n" 3; then pass "$p-ping"
	else fail "$p-ping" "expected replies from 10.1.0.10 through tun-$n, got none"; fi
	local upb downb
	upb=$(iperf_json "$ns" "$D/iperf-$n-up.json")
	downb=$(iperf_json "$ns" "$D/iperf-$n-down.json" -R)
	if [ "$upb" -gt 1000000 ]; then pass "$p-iperf-up"
	else fail "$p-iperf-up" "expected > 1 MB to the vnet host in 3 s, got $upb B"; fi
	if [ "$downb" -gt 1000000 ]; then pass "$p-iperf-down"
	else fail "$p-iperf-down" "expected > 1 MB from the vnet host in 3 s, got $downb B"; fi
}

# ---------------------------------------------------------------- refusals

# What the gateway's log must say for each refused client (case-insensitive).
declare -A WHY
if [ "$MODE" = p2sgw ]; then
	WHY[mallory]="refused client certificate .*mallory.*(trusted root|unable to get local issuer)"
	WHY[bob]="refused client certificate .*bob.*revoked"
	WHY[carol]="refused client certificate .*carol.*expired"
	WHY[dave]="refused client certificate .*dave.*clientAuth"
	WHY[nota]="tls-auth HMAC check failed"
else # openvpn's own wording
	WHY[mallory]="VERIFY ERROR.*unable to get local issuer.*mallory"
	WHY[bob]="VERIFY ERROR.*revoked.*bob"
	WHY[carol]="VERIFY ERROR.*expired.*carol"
	WHY[dave]="VERIFY (EKU )?ERROR.*(unsuitable certificate purpose|Client Authentication).*dave"
	WHY[nota]="cannot locate HMAC in incoming packet from .*198.51.100.2"
fi

all_refusals_logged() {
	local u
	for u in mallory bob carol dave nota; do gw_log_has "${WHY[$u]}" || return 1; done
}

# refused CASE NAME: NAME never came up and the gateway logged why.
refused() {
	if log_has "$D/$2.log" "Initialization Sequence Completed"; then
		fail "$1" "expected $2 to be refused, got a completed connection"
	elif ! gw_log_has "${WHY[$2]}"; then
		fail "$1" "expected a gateway log line matching '${WHY[$2]}', got none; client: $(log_tail "$D/$2.log" 2)"
	else
		pass "$1"
	fi
}

negatives() {
	local u
	# A short handshake window and one try: a refused client gives up fast.
	for u in mallory bob carol dave; do connect "$u" tcp --connect-retry-max 1 --hand-window 6; done
	# alice's own certificate, but no tls-auth key.
	azure_profile "$D/nota.ovpn" "$PKI" alice udp
	sed -i -e '/<tls-auth>/,/<\/tls-auth>/d' -e '/^key-direction/d' "$D/nota.ovpn"
	connect nota udp --connect-retry-max 1 --hand-window 6
	# The refusals happen in the TLS handshake (nota's packets are dropped
	# before it): once all are logged, no client can complete any more.
	wait_until 10 all_refusals_logged
	refused refuse-other-root mallory
	refused refuse-revoked bob
	refused refuse-expired carol
	refused refuse-no-clientauth dave
	refused refuse-no-tls-auth nota
	for u in mallory bob carol dave nota; do stop_pid "$(client_pid $u)"; done
}

# ---------------------------------------------------------------- live changes

# ms_since T0: milliseconds since T0, an earlier $EPOCHREALTIME (whose
# decimal separator follows the locale).
ms_since() { echo $(((${EPOCHREALTIME//[.,]/} - ${1//[.,]/}) / 1000)); }

# The configuration rewritten with alice2 revoked, then SIGHUP: her session
# must end within 2 s, her reconnection be refused, and alice carry on.
# The gateway logs the revoked session's end, or the client restarts.
alice2_lost_session() {
	gw_log_has "session closed: .*revoked.*alice2" || log_has "$D/alice2.log" "SIGUSR1\[soft"
}

revoke_reload() {
	p2sgw_only "openvpn checks its CRL on new connections only, and SIGHUP restarts every session" revoke-reload && return
	revoke_in_conf alice2 "$PKI/clients/alice2@contoso.com.crt"
	write_conf "$D/gw.json"
	local t0=$EPOCHREALTIME
	echo "+ kill -HUP $GW_PID (alice2 added to vpnClientRevokedCertificates)" >&2
	kill -HUP "$GW_PID"
	if ! wait_until 2 alice2_lost_session; then
		fail revoke-reload "expected alice2's session closed as revoked within 2 s of SIGHUP, got: $(log_tail "$D/gw.log" 3)"
		return
	fi
	echo "alice2's session closed $(ms_since "$t0") ms after SIGHUP"
	if ! vnet_ping alice 2; then
		fail revoke-reload "expected alice to keep passing traffic after the reload, got no replies"
	elif ! wait_until 8 gw_log_has "refused client certificate .*alice2.*revoked"; then
		fail revoke-reload "expected alice2's reconnection to be refused as revoked, got: $(log_tail "$D/alice2.log" 3)"
	else
		pass revoke-reload
	fi
	stop_pid "$(client_pid alice2)"
}

# p2sctl's profile package: the AzureVPN XML is well-formed, the generic
# OpenVPN profile with its placeholders filled connects (alice3, with a
# certificate from p2sctl pki issue-client), and the --client-cert variant
# carries the certificate.
profiles() {
	p2sgw_only "profile packages come from p2sctl" profile-xml profile-connects profile-client-cert && return
	"$CTL" --config "$D/gw.json" profile generate --output "$D/pkg.zip" >/dev/null &&
		mkdir -p "$D/pkg" && (cd "$D/pkg" && python3 -m zipfile -e ../pkg.zip .)
	local out
	if ! command -v xmllint >/dev/null; then skip profile-xml "xmllint is not installed"
	elif out=$(xmllint --noout "$D/pkg/AzureVPN/azurevpnconfig.xml" 2>&1); then pass profile-xml
	else fail profile-xml "expected xmllint to accept AzureVPN/azurevpnconfig.xml, got: $out"; fi

	# alice3's certificate is re-issued by p2sctl from the same client root,
	# so its PKI commands stay covered end to end.
	local c=$PKI/clients/alice3@contoso.com
	run $NS_GW "$CTL" pki issue-client --root "$PKI/root" --cn alice3@contoso.com \
		--out "$PKI/clients" >/dev/null
	python3 - "$D/pkg/OpenVPN/vpnconfig.ovpn" "$c.crt" "$c.key" >"$D/alice3.ovpn" <<'P'
import sys
text = open(sys.argv[1]).read()
text = text.replace("$CLIENTCERTIFICATE", open(sys.argv[2]).read().strip())
text = text.replace("$PRIVATEKEY", open(sys.argv[3]).read().strip())
# The lab gives the gateway's address on the command line.
print("\n".join(l for l in text.splitlines() if not l.startswith("remote ")))
P
	# No pulled routes: alice already routes the vnet through her tunnel.
	connect alice3 tcp --route-nopull
	if up alice3 && run $NS_CLI ping -c 2 -W 2 -I tun-alice3 172.16.201.1 >/dev/null; then
		pass profile-connects
	else
		fail profile-connects "expected the generated profile to give a working tunnel, got: $(log_tail "$D/alice3.log" 3)"
	fi

	"$CTL" --config "$D/gw.json" profile generate --output "$D/pkg2.zip" \
		--client-cert "$c.crt" --client-key "$c.key" >/dev/null &&
		(cd "$D" && python3 -m zipfile -e pkg2.zip pkg2)
	local line
	line=$(sed -n 2p "$c.crt")
	if grep -qF -- "$line" "$D/pkg2/OpenVPN/vpnconfig.ovpn" 2>/dev/null &&
		! grep -q 'CLIENTCERTIFICATE\|PRIVATEKEY' "$D/pkg2/OpenVPN/vpnconfig.ovpn"; then
		pass profile-client-cert
	else
		fail profile-client-cert "expected alice3's certificate embedded in the --client-cert profile, placeholders gone"
	fi
}

# p2sctl edits the configuration and tells the running gateway: alice3's
# session must end within 1 s.
revoke_live() {
	p2sgw_only "p2sctl edits the p2sgw configuration" revoke-live && return
	local t0=$EPOCHREALTIME
	run $NS_GW "$CTL" --config "$D/gw.json" revoked add --name alice3 \
		--cert "$PKI/clients/alice3@contoso.com.crt" >/dev/null
	revoke_in_conf alice3 "$PKI/clients/alice3@contoso.com.crt"
	if ! wait_until 1 gw_log_has "session closed: certificate revoked .*alice3"; then
		fail revoke-live "expected alice3's session closed within 1 s of 'p2sctl revoked add', got: $(log_tail "$D/gw.log" 3)"
	else
		echo "alice3's session closed $(ms_since "$t0") ms after the edit began"
		if vnet_ping alice 2; then pass revoke-live
		else fail revoke-live "expected alice to keep passing traffic, got no replies"; fi
	fi
	stop_pid "$(client_pid alice3)"
}

sstp_hello() {
	p2sgw_only "SSTP and OpenVPN share TCP 443 in p2sgw alone" sstp-hello-closed && return
	echo | run $NS_CLI timeout 5 openssl s_client -connect 192.0.2.1:443 >/dev/null 2>&1
	if wait_until 3 gw_log_has "ClientHello from 192.0.2.2.*SSTP is not enabled" && vnet_ping alice 1; then
		pass sstp-hello-closed
	else
		fail sstp-hello-closed "expected a log line for a TLS ClientHello on TCP 443 and alice unaffected"
	fi
}

# renegotiateSeconds is 10: by now alice's keys were renewed at least once.
renegotiation() {
	p2sgw_only "the check reads p2sgw's log wording" renegotiation && return
	if wait_until 12 gw_log_has "alice@contoso.com.*data keys renegotiated|data keys renegotiated" &&
		vnet_ping alice 2; then
		pass renegotiation
	else
		fail renegotiation "expected a logged renegotiation within 12 s and traffic after it"
	fi
}

# Without dnsSuffixes: the server in the dns option, and no resolve- or
# search-domains (the client's DNS then goes to the server for every name).
dns_no_suffix() {
	p2sgw_only "dnsSuffixes is a p2sgw setting" dns-option-no-suffix && return
	local keep=$SUFFIXES
	SUFFIXES=""
	write_conf "$D/gw.json"
	SUFFIXES=$keep
	run $NS_GW "$CTL" --config "$D/gw.json" gateway reload >/dev/null
	azure_profile "$D/nosfx.ovpn" "$PKI" alice tcp
	# not --route-nopull: that drops the DNS options too
	connect nosfx tcp --pull-filter ignore "route " "${DNS_UP[@]}"
	if up nosfx && [ "$(dns_env nosfx | grep '^dns_')" = "dns_server_1_address_1=10.1.0.4" ] &&
		! log_has "$D/nosfx.log" "PUSH_REPLY.*(search-domains|resolve-domains|DOMAIN)"; then
		pass dns-option-no-suffix
	else fail dns-option-no-suffix "expected only dns_server_1_address_1=10.1.0.4 and no domains pushed without dnsSuffixes, got: $(dns_env nosfx | tr '\n' ' '); push: $(grep -o 'PUSH_REPLY.*' "$D/nosfx.log"); client: $(log_tail "$D/nosfx.log" 4)"; fi
	stop_pid "$(client_pid nosfx)"
	write_conf "$D/gw.json"
	run $NS_GW "$CTL" --config "$D/gw.json" gateway reload >/dev/null
}

# IPv6 DNS servers: with an IPv6 pool and an IPv6 entry in dnsServers the
# real 2.6 client's up script gets it twice: as the legacy
# "dhcp-option DNS6" and as the second address of the 2.6 "dns server 1".
# Negative: alice (no IPv6 in the configuration) got neither.
dns6() {
	p2sgw_only "the reference server pushes only dhcp-option DNS" dns6-pushed dns6-none && return
	local env
	env=$(dns_env alice)
	if grep -q '^foreign_option_.*dhcp-option DNS 10.1.0.4' <<<"$env" &&
		! grep -q 'DNS6\|^dns_server_1_address_2=' <<<"$env" && ! log_has "$D/alice.log" "PUSH_REPLY.*DNS6"; then
		pass dns6-none
	else fail dns6-none "expected no IPv6 DNS server pushed without one configured, got: $(tr '\n' ' ' <<<"$env")"; fi
	V6_VNET=', "fd00:10:1::/64"' V6_POOL=', "fd00:201::/64"' V6_DNS=', "fd00:10:1::53"'
	write_conf "$D/gw.json"
	V6_VNET="" V6_POOL="" V6_DNS=""
	run $NS_GW "$CTL" --config "$D/gw.json" gateway reload >/dev/null
	azure_profile "$D/dns6.ovpn" "$PKI" alice tcp
	connect dns6 tcp --pull-filter ignore "route " "${DNS_UP[@]}"
	env=$(dns_env dns6)
	if up dns6 && env=$(dns_env dns6) &&
		grep -q '^foreign_option_[0-9]*=dhcp-option DNS6 fd00:10:1::53$' <<<"$env" &&
		grep -q '^dns_server_1_address_1=10.1.0.4$' <<<"$env" &&
		grep -q '^dns_server_1_address_2=fd00:10:1::53$' <<<"$env"; then
		pass dns6-pushed
	else fail dns6-pushed "expected foreign_option 'dhcp-option DNS6 fd00:10:1::53' and dns_server_1_address_2=fd00:10:1::53 in the up script's environment, got: $(tr '\n' ' ' <<<"$env"); push: $(grep -o 'PUSH_REPLY.*' "$D/dns6.log"); client: $(log_tail "$D/dns6.log" 4)"; fi
	stop_pid "$(client_pid dns6)"
	write_conf "$D/gw.json"
	run $NS_GW "$CTL" --config "$D/gw.json" gateway reload >/dev/null
}

connection_cap() {
	p2sgw_only "maxClientConnections is a p2sgw setting" connection-cap && return
	write_conf "$D/gw.json" '"maxClientConnections": 1,'
	run $NS_GW "$CTL" --config "$D/gw.json" gateway reload >/dev/null
	azure_profile "$D/late.ovpn" "$PKI" alice tcp # a second instance of a valid user
	connect late tcp --connect-retry-max 1 --route-nopull
	if wait_log "$D/late.log" "AUTH_FAILED" 8 &&
		gw_log_has "refused: the gateway's IKEv2/OpenVPN connection limit is reached"; then
		pass connection-cap
	else
		fail connection-cap "expected AUTH_FAILED and a logged refusal at the cap of 1, got: $(log_tail "$D/late.log" 2)"
	fi
	stop_pid "$(client_pid late)"
}

# Stopping the gateway tells connected clients to reconnect (RESTART).
graceful_shutdown() {
	p2sgw_only "the reference server is not started with explicit-exit-notify" graceful-shutdown && return
	kill "$GW_PID"
	if wait_log "$D/alice.log" "server-pushed-connection-reset" 5; then pass graceful-shutdown
	else fail graceful-shutdown "expected alice to be told to reconnect when the gateway stopped"; fi
	wait_until 5 sh -c "! kill -0 $GW_PID"
}

# What make run does: no configuration, the gateway's own PKI and a demo
# client profile, which the real client then uses as printed.
embedded_default() {
	p2sgw_only "the embedded default configuration is p2sgw's" embedded-default && return
	local pid prof
	pid=$(spawn $NS_GW "$D/demo.log" "$GW" --state-dir "$D/demo")
	if ! wait_log "$D/demo.log" "demo client profile: " 15; then
		fail embedded-default "expected a demo profile announced, got: $(log_tail "$D/demo.log" 3)"
		return
	fi
	prof=$(sed -n 's/.*demo client profile: //p' "$D/demo.log")
	ovpn_client $NS_CLI "$D" demo "$prof" tcp 192.0.2.1 443 --route-nopull >/dev/null
	if up demo && run $NS_CLI ping -c 2 -W 2 -I tun-demo 172.16.201.1 >/dev/null; then
		pass embedded-default
	else
		fail embedded-default "expected the demo client to get a working tunnel, got: $(log_tail "$D/demo.log" 3)"
	fi
	stop_pid "$(client_pid demo)"
	stop_pid "$pid"
	demo_root_dropped
}

# The same state directory under a configuration that uploads its own root:
# the demo client root is no longer trusted, so the demo client is refused.
demo_root_dropped() {
	cat >"$D/demo.json" <<J
{"name": "demo2", "gatewayFqdn": "p2sgw.example.net", "stateDirectory": "$D/demo",
 "virtualNetwork": {"addressSpace": ["10.1.0.0/16"]},
 "vpnClientConfiguration": {"vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"]},
  "vpnClientProtocols": ["OpenVPN"], "vpnAuthenticationTypes": ["Certificate"],
  "vpnClientRootCertificates": [{"name": "r", "publicCertData": "$(cat "$PKI/root/root.b64")"}]}}
J
	local pid
	pid=$(spawn $NS_GW "$D/gw-demo2.log" "$GW" --config "$D/demo.json")
	wait_listen $NS_GW tcp 443 10 "$pid"
	ovpn_client $NS_CLI "$D" demo2 "$D/demo/demo-client.ovpn" tcp 192.0.2.1 443 --route-nopull \
		--connect-retry-max 1 >/dev/null
	if wait_log "$D/gw-demo2.log" "refused client certificate .*not issued by a trusted root" 10 &&
		! log_has "$D/demo2.log" "Initialization Sequence Completed"; then
		pass demo-root-dropped
	else
		fail demo-root-dropped "expected the demo client refused once roots are uploaded: $(log_tail "$D/gw-demo2.log" 3)"
	fi
	stop_pid "$(client_pid demo2)"
	stop_pid "$pid"
}

# ---------------------------------------------------------------- main

diagnostics() {
	local f
	for f in $GWLOGS; do
		echo "--- $(basename "$f") (last 40 lines)"
		tail -n 40 "$f"
	done
	for f in "$D"/{alice,alice2,alice3,mallory,bob,carol,dave,nota,late,demo}.log; do
		[ -f "$f" ] || continue
		echo "--- client $(basename "$f") (last 12 lines)"
		tail -n 12 "$f"
	done
}

main() {
	echo "gateway under test: $MODE"
	lab_up
	make_pki "$PKI" || { fail tcp-address "expected a test PKI, got errors"; exit 1; }
	revoke_in_conf bob "$PKI/clients/bob@contoso.com.crt"
	write_conf "$D/gw.json"
	check_config
	spawn $NS_VNET "$D/iperf.log" iperf3 -s >/dev/null
	start_gateway || { diagnostics; exit 1; }
	wait_listen $NS_VNET tcp 5201

	printf '#!/bin/sh\nenv | grep -E "^(dns_|foreign_option_)" | sort >"%s/env-$dev"\n' "$D" >"$D/dns-env.sh"
	chmod +x "$D/dns-env.sh"
	connect alice tcp "${DNS_UP[@]}"
	connect alice2 udp
	if up alice; then positive tcp alice
	else fail tcp-address "expected alice (TCP) to connect within 15 s, got: $(log_tail "$D/alice.log" 5)"; fi
	if up alice2; then positive udp alice2
	else fail udp-address "expected alice2 (UDP) to connect within 15 s, got: $(log_tail "$D/alice2.log" 5)"; fi

	negatives
	if vnet_ping alice 2; then pass good-session-survives
	else fail good-session-survives "expected alice to keep passing traffic during the refusals, got no replies"; fi

	revoke_reload
	profiles
	revoke_live
	sstp_hello
	renegotiation
	dns_no_suffix
	dns6
	connection_cap
	graceful_shutdown
	embedded_default
	[ "$LAB_FAILED" -eq 0 ] || diagnostics
	exit "$LAB_FAILED"
}

main
