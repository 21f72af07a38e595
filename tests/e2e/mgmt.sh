#!/bin/bash
# Operating the gateway: two real openvpn clients (TCP and UDP) seen through
# the management API (Azure's connection-health fields, growing counters),
# p2sctl over the socket and over HTTP, disconnect by id ending only that
# session, the bearer token (401 without it), /metrics parsed by the
# Prometheus client's parser and matched against the traffic, the status
# page in a real headless Chromium (sessions, charts, the Disconnect
# button), and removing the point-to-site configuration.
#   tests/e2e/mgmt.sh [BUILD_DIR]
set -u
BUILD=$(realpath "${1:-build}")
cd "$(dirname "$0")" || exit 2
. lib/netns.sh
. lib/pki.sh
. lib/openvpn.sh
. lib/strongswan.sh
LAB_CASES="api-lists-both counters-grow socket-and-api-agree token-missing token-wrong healthz-open
bad-requests metrics-parse metrics-match-traffic refusal-counted web-page web-disconnect
disconnect-by-id remove-p2s restore-p2s api-lists-ikev2 metrics-dataplane-one-worker
metrics-tun-drops"
CTL=$BUILD/p2sctl
GW=$BUILD/p2sgw
D=$LAB_DIR
PKI=$D/pki
API=http://127.0.0.1:9443
lab_require openvpn iperf3 openssl python3 ping ss curl
# Debian's python3-prometheus-client parses /metrics: the first python3 that
# has it (a python3 earlier in PATH may not see Debian's packages).
PY=""
for p in python3 /usr/bin/python3; do
	"$p" -c 'import prometheus_client' 2>/dev/null && { PY=$p; break; }
done
if [ ! -x "$GW" ] || [ ! -x "$CTL" ]; then
	for c in $LAB_CASES; do skip "$c" "no $GW or $CTL: build first"; done
	exit 0
fi

write_conf() { # write_conf FILE [no-p2s]: without vpnClientConfiguration with no-p2s
	local p2s=""
	[ "${2:-}" = no-p2s ] || p2s=$(
		cat <<J
,
  "vpnClientConfiguration": {
    "vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"]},
    "vpnClientProtocols": ["OpenVPN", "IkeV2"], "vpnAuthenticationTypes": ["Certificate"],
    "vpnClientRootCertificates": [{"name": "P2SClientRoot",
      "publicCertData": "$(cat "$PKI/root/root.b64")"}]
  }
J
	)
	cat >"$1" <<J
{
  "name": "lab-gw", "sku": "VpnGw1", "gatewayFqdn": "gw.p2s.test",
  "stateDirectory": "$D/state", "controlSocket": "$D/p2sgw.sock", "logLevel": "info",
  "tunInterface": "p2s0", "maxClientConnections": 2,
  "listen": {"address": "0.0.0.0", "tcpPort": 443, "udpPort": 1194},
  "management": {"address": "127.0.0.1", "port": 9443},
  "serverCertificate": {"certFile": "$PKI/server.crt", "keyFile": "$PKI/server.key"},
  "openvpn": {"tlsAuthKeyFile": "$PKI/ta.key"},
  "virtualNetwork": {"addressSpace": ["10.1.0.0/16"]}$p2s
}
J
}

ns_of() { case $1 in alice2) echo $NS_CLI2 ;; *) echo $NS_CLI ;; esac; }
connect() { # connect NAME tcp|udp [openvpn options]
	local name=$1 proto=$2 port=443 gw=192.0.2.1
	shift 2
	[ "$proto" = udp ] && port=1194 && gw=198.51.100.1
	azure_profile "$D/$name.ovpn" "$PKI" "${CERT_OF:-$name}" "$proto"
	ovpn_client "$(ns_of "$name")" "$D" "$name" "$D/$name.ovpn" "$proto" $gw $port "$@" >/dev/null
}
up() { wait_log "$D/$1.log" "Initialization Sequence Completed" "${2:-15}"; }

TOKEN() { cat "$D/state/mgmt.token"; }
api() { # api PATH [curl options]: the body; the status in $D/status
	ip netns exec $NS_GW curl -s -o "$D/body" -w '%{http_code}' -H "Authorization: Bearer $(TOKEN)" \
		"$@" >"$D/status" 2>/dev/null
	cat "$D/body"
}
code() { cat "$D/status"; }
sessions() { api "$API/api/v1/sessions"; }
# field JSON ID KEY: one field of one session
field() { python3 -c 'import json,sys
for s in json.loads(sys.argv[1]):
    if s["vpnConnectionId"] == sys.argv[2]: print(s[sys.argv[3]])' "$@"; }
id_of() { python3 -c 'import json,sys
for s in json.loads(sys.argv[1]):
    if s["vpnUserName"].startswith(sys.argv[2] + "@") and s["protocol"] == "OpenVPN" and s["publicIpAddress"].startswith(sys.argv[3]): print(s["vpnConnectionId"])' "$@"; }

check_list() {
	local j
	j=$(sessions)
	A_ID=$(id_of "$j" alice 192.0.2.2)
	B_ID=$(id_of "$j" alice2 198.51.100.2)
	local missing
	missing=$(python3 -c 'import json,sys
need = "vpnConnectionId vpnConnectionDuration vpnConnectionTime publicIpAddress privateIpAddress vpnUserName maxBandwidth egressBytesTransferred egressPacketsTransferred ingressBytesTransferred ingressPacketsTransferred maxPacketsPerSecond protocol authenticationType group cipher".split()
print(" ".join(sorted({k for s in json.loads(sys.argv[1]) for k in need if k not in s})))' "$j")
	if [ -n "$A_ID" ] && [ -n "$B_ID" ] && [ -z "$missing" ] &&
		[ "$(field "$j" "$A_ID" cipher)" = AES-256-GCM ] &&
		[ "$(field "$j" "$A_ID" authenticationType)" = Certificate ]; then
		pass api-lists-both
	else
		fail api-lists-both "expected alice (TCP) and alice2 (UDP) with every health field, cipher AES-256-GCM; got ids '$A_ID' '$B_ID', missing '$missing': $j"
	fi
	echo "$j"
}

counters_grow() {
	local j0 j1 a0 a1 b0 b1
	j0=$(sessions)
	run $NS_CLI ping -c 5 -i 0.2 -s 1000 -W 2 10.1.0.10 >/dev/null
	run $NS_CLI2 ping -c 5 -i 0.2 -s 1000 -W 2 10.1.0.10 >/dev/null
	j1=$(sessions)
	a0=$(field "$j0" "$A_ID" ingressBytesTransferred); a1=$(field "$j1" "$A_ID" ingressBytesTransferred)
	b0=$(field "$j0" "$B_ID" egressBytesTransferred); b1=$(field "$j1" "$B_ID" egressBytesTransferred)
	if [ "${a1:-0}" -ge $((${a0:-0} + 5000)) ] && [ "${b1:-0}" -ge $((${b0:-0} + 5000)) ]; then
		pass counters-grow
	else
		fail counters-grow "expected 5 pings of 1 kB to add >= 5000 B: alice in $a0 -> $a1, alice2 out $b0 -> $b1"
	fi
}

socket_and_api() {
	local s h
	s=$(run $NS_GW "$CTL" --socket "$D/p2sgw.sock" --output json session list --protocol openvpn)
	h=$(run $NS_GW "$CTL" --api $API --token-file "$D/state/mgmt.token" --output tsv session list --user "alice2@contoso.com")
	run $NS_GW "$CTL" --socket "$D/p2sgw.sock" session list
	if python3 -c 'import json,sys; ids={s["vpnConnectionId"] for s in json.loads(sys.argv[1])}; sys.exit(0 if {sys.argv[2], sys.argv[3]} <= ids else 1)' "$s" "$A_ID" "$B_ID" &&
		[ "$(grep -c . <<<"$h")" = 2 ] && grep -q "^$B_ID	alice2@contoso.com	OpenVPN" <<<"$h"; then
		pass socket-and-api-agree
	else
		fail socket-and-api-agree "expected both sessions over the socket and alice2 alone (tsv) over --api; socket: $s; api: $h"
	fi
}

tokens() {
	local c
	c=$(ip netns exec $NS_GW curl -s -o /dev/null -w '%{http_code}' $API/api/v1/sessions)
	c2=$(ip netns exec $NS_GW curl -s -o /dev/null -w '%{http_code}' $API/metrics)
	if [ "$c" = 401 ] && [ "$c2" = 401 ]; then pass token-missing
	else fail token-missing "expected 401 without a token for the sessions and /metrics, got $c and $c2"; fi
	# The real token with its first character changed (whatever it was).
	local t=$(TOKEN) wrong
	wrong="$([ "${t:0:1}" = 0 ] && echo 1 || echo 0)${t:1}"
	c=$(ip netns exec $NS_GW curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $wrong" $API/api/v1/sessions)
	c2=$(ip netns exec $NS_GW curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer nope" -d "{\"id\": \"$A_ID\"}" $API/api/v1/sessions/disconnect)
	if [ "$c" = 401 ] && [ "$c2" = 401 ] && [ -n "$(id_of "$(sessions)" alice 192.0.2.2)" ]; then pass token-wrong
	else fail token-wrong "expected 401 for a wrong token (list and disconnect) and alice still there, got $c and $c2"; fi
	c=$(ip netns exec $NS_GW curl -s -o /dev/null -w '%{http_code}' $API/healthz)
	if [ "$c" = 200 ]; then pass healthz-open; else fail healthz-open "expected 200 from /healthz without a token, got $c"; fi
	local mode
	mode=$(stat -c %a "$D/state/mgmt.token")
	[ "$mode" = 600 ] || fail token-missing "expected the token file 0600, got $mode"
}

bad_requests() {
	local out=""
	api "$API/api/v1/sessions/disconnect" -X POST -d '{"id": "OpenVPN_00000000-0000-0000-0000-000000000000"}' >/dev/null
	out="$out unknown-id:$(code)"
	api "$API/api/v1/sessions/disconnect" -X POST -d '{"id": ' >/dev/null
	out="$out malformed:$(code)"
	api "$API/api/v1/sessions/disconnect" -X POST -d '{"ids": [1]}' >/dev/null
	out="$out wrong-type:$(code)"
	api "$API/api/v1/sessions" -X POST >/dev/null
	out="$out method:$(code)"
	api "$API/api/v1/nothing" >/dev/null
	out="$out path:$(code)"
	local sock
	sock=$(run $NS_GW "$CTL" --socket "$D/p2sgw.sock" session disconnect --id OpenVPN_nope 2>&1)
	if [ "$out" = " unknown-id:404 malformed:400 wrong-type:400 method:405 path:404" ] &&
		grep -q "no such session: OpenVPN_nope" <<<"$sock" && [ -n "$(id_of "$(sessions)" alice2 198.51.100.2)" ]; then
		pass bad-requests
	else
		fail bad-requests "expected unknown-id:404 malformed:400 wrong-type:400 method:405 path:404 and p2sctl naming the id, got$out / $sock"
	fi
}

# iperf3 from alice, then /metrics against the session counters and the
# bytes alice's own tun device sent.
metrics() {
	if [ -z "$PY" ]; then
		skip metrics-parse "python3-prometheus-client is not installed (scripts/install-deps)"
		skip metrics-match-traffic "no Prometheus parser"
		return
	fi
	run $NS_CLI timeout 30 iperf3 -c 10.1.0.10 -t 2 -J >"$D/iperf.json"
	sleep 1.2 # one rate tick
	local j m
	j=$(sessions)
	api "$API/metrics" >"$D/metrics.txt"
	local tx
	tx=$(ip -n $NS_CLI -s -j link show tun-alice | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["bytes"])')
	m=$($PY - "$D/metrics.txt" "$j" "$A_ID" "$tx" <<'P'
import json, sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
def val(name, **labels):
    for s in fams[name].samples:
        if s.name == name + ("_total" if fams[name].type == "counter" else "") and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
need = ["p2sgw_connections", "p2sgw_bytes", "p2sgw_packets", "p2sgw_handshakes", "p2sgw_refusals", "p2sgw_radius_rtt_seconds", "p2sgw_radius_timeouts", "p2sgw_pool_addresses"]
missing = [n for n in need if n not in fams]
sessions = json.loads(sys.argv[2])
s_in = sum(s["ingressBytesTransferred"] for s in sessions)
m_in = val("p2sgw_bytes", direction="in")
conns = sum(s.value for s in fams["p2sgw_connections"].samples)
alice = [s for s in sessions if s["vpnConnectionId"] == sys.argv[3]][0]
tx = int(sys.argv[4])
used = val("p2sgw_pool_addresses", pool="default", state="used")
print(f"families-missing={missing} connections={conns} pool-used={used} metrics-in={m_in} sessions-in={s_in} alice-in={alice['ingressBytesTransferred']} alice-tun-tx={tx} alice-max-bps={alice['maxBandwidth']}")
ok_parse = not missing and conns == 2 and used == 2
ok_match = s_in <= m_in <= s_in * 1.03 + 20000 and abs(alice["ingressBytesTransferred"] - tx) <= 0.03 * tx and alice["maxBandwidth"] > 1e6
print("parse-ok" if ok_parse else "parse-bad", "match-ok" if ok_match else "match-bad")
P
)
	echo "$m"
	if grep -q parse-ok <<<"$m"; then pass metrics-parse
	else fail metrics-parse "expected the Prometheus parser to read every family, 2 connections, 2 pool addresses used; got $m"; fi
	if grep -q match-ok <<<"$m"; then pass metrics-match-traffic
	else fail metrics-match-traffic "expected metrics within 3% of the session counters and alice's counter within 3% of her tun's tx bytes, a peak > 1 Mbit/s; got $m"; fi
}

# One data-plane worker (the default): the main loop is worker 0, the only
# label of every per-worker family (no "main"); alice2's UDP pings were
# read on OpenVPN's one lane; nothing was dropped at a hand-off (there is
# no ring) or by the segmenter. Checked line by line, no parser needed.
dataplane_one() {
	api "$API/metrics" >"$D/metrics-dp.txt"
	local form w bad="" lane gw
	form=$(python3 lib/dp_metrics.py form "$D/metrics-dp.txt")
	for f in segmenter_drops coalesced acks_replaced tun_write_errors no_route_drops moderator_rests; do
		w=$(python3 lib/dp_metrics.py workers "$D/metrics-dp.txt" p2sgw_dataplane_${f}_total)
		[ "$w" = 0 ] || bad="$bad $f:'$w'"
	done
	lane=$(python3 lib/dp_metrics.py get "$D/metrics-dp.txt" p2sgw_dataplane_lane_packets_total protocol=OpenVPN worker=0 kind=data)
	gw=$(api "$API/api/v1/gateway" | python3 -c 'import json, sys
d = json.load(sys.stdin)["dataPlane"]
print("gw-ok" if d["workers"] == 1 and len(d["perWorker"]) == 1 and d["perWorker"][0]["sessions"] == 1 and d["handoffDrops"] == 0 else "gw-bad", json.dumps(d))')
	echo "$form; OpenVPN lane 0 data packets $lane; $gw"
	if grep -q '^form-ok' <<<"$form" && [ -z "$bad" ] && [ "${lane:-0}" -ge 5 ] && grep -q '^gw-ok' <<<"$gw" &&
		grep -q '^p2sgw_dataplane_workers 1$' "$D/metrics-dp.txt" &&
		grep -q '^p2sgw_dataplane_handoff_drops_total 0$' "$D/metrics-dp.txt" &&
		[ "$(python3 lib/dp_metrics.py get "$D/metrics-dp.txt" p2sgw_dataplane_segmenter_drops_total)" = 0 ]; then
		pass metrics-dataplane-one-worker
	else
		fail metrics-dataplane-one-worker "expected well-formed data-plane families labelled worker 0 only, >= 5 packets on OpenVPN's lane, no drops, gateway show's dataPlane with 1 worker and alice2's session: $form;$bad; lane '$lane'; $gw"
	fi
}

# A third client over maxClientConnections 2: refused by the authentication
# service, counted by reason.
refusal() {
	CERT_OF=alice connect late tcp --connect-retry-max 1 --route-nopull
	wait_log "$D/late.log" "AUTH_FAILED" 10
	stop_pid "$(cat "$D/late.pid" 2>/dev/null)"
	# And one refused in the TLS handshake: a certificate from another root.
	connect mallory tcp --connect-retry-max 1 --hand-window 6 --route-nopull
	wait_until 10 gw_has "refused client certificate .*mallory"
	stop_pid "$(cat "$D/mallory.pid" 2>/dev/null)"
	local r m
	r=$(api "$API/api/v1/refusals")
	m=$(api "$API/metrics" | grep '^p2sgw_refusals_total{reason="the gateway.s IKEv2/OpenVPN connection limit is reached"}')
	if grep -q '"the gateway.s IKEv2/OpenVPN connection limit is reached": [1-9]' <<<"$r" && [ -n "$m" ] &&
		grep -q '"user": "alice@contoso.com"' <<<"$r" &&
		grep -q '"client certificate not issued by a trusted root": [1-9]' <<<"$r"; then
		pass refusal-counted
	else
		fail refusal-counted "expected the cap refusal (with alice's name) and mallory's certificate refusal counted by reason, got: $r / $m"
	fi
}

web() {
	local node_dir=$PWD/node
	if ! command -v node >/dev/null || [ ! -x /usr/bin/chromium ]; then
		skip web-page "node or /usr/bin/chromium is not installed (scripts/install-deps)"
		skip web-disconnect "node or chromium missing"
		return
	fi
	if [ ! -d "$node_dir/node_modules/playwright-core" ]; then
		echo "+ npm install --no-save playwright-core (into $node_dir)" >&2
		mkdir -p "$node_dir"
		PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm install --no-save --no-audit --no-fund --prefix "$node_dir" playwright-core >"$D/npm.log" 2>&1
	fi
	if [ ! -d "$node_dir/node_modules/playwright-core" ]; then
		skip web-page "playwright-core could not be installed from npm: $(log_tail "$D/npm.log" 2)"
		skip web-disconnect "no playwright-core"
		return
	fi
	local shot=$BUILD/e2e-mgmt-status-page.png out
	out=$(P2S_NODE_DIR=$node_dir HOME=$D run $NS_GW timeout 120 node lib/status-page.js "$API/" "$(TOKEN)" "$B_ID" "$shot" 2>&1)
	echo "$out"
	if grep -q "^OK: screenshot" <<<"$out"; then pass web-page
	else fail web-page "expected the page to show both sessions, sort, draw both charts and save a screenshot; got: $(tr '\n' '|' <<<"$out" | tail -c 600)"; fi
	local j
	j=$(sessions)
	if grep -q "^OK: after Disconnect" <<<"$out" && [ -z "$(field "$j" "$B_ID" vpnConnectionId)" ] &&
		[ -n "$(field "$j" "$A_ID" vpnConnectionId)" ] && wait_until 5 gw_has "$B_ID.*session closed: disconnected by the administrator"; then
		pass web-disconnect
	else
		fail web-disconnect "expected alice2's session $B_ID gone after the button, alice's $A_ID still there; got: $j"
	fi
}
gw_has() { grep -Eq "$1" "$D/gw.log"; }

disconnect_by_id() {
	# alice2's client reconnects by itself: wait for its new session.
	wait_until 20 sh -c "[ -n \"\$(ip netns exec $NS_GW curl -s -H 'Authorization: Bearer $(TOKEN)' $API/api/v1/sessions | grep -o '198.51.100.2')\" ]"
	local j B2
	wait_until 15 sh -c "[ \$(grep -c 'Initialization Sequence Completed' '$D/alice2.log') -ge 2 ]"
	j=$(sessions)
	B2=$(id_of "$j" alice2 198.51.100.2)
	run $NS_GW "$CTL" --api $API --token-file "$D/state/mgmt.token" session disconnect --id "$A_ID"
	j=$(sessions)
	if [ -z "$(field "$j" "$A_ID" vpnConnectionId)" ] && [ -n "$B2" ] && [ -n "$(field "$j" "$B2" vpnConnectionId)" ] &&
		run $NS_CLI2 ping -c 2 -W 2 10.1.0.10 >/dev/null; then
		pass disconnect-by-id
	else
		fail disconnect-by-id "expected $A_ID gone and alice2's $B2 still up and passing traffic, got: $j"
	fi
}

remove_p2s() {
	cp "$D/gw.json" "$D/gw.keep"
	run $NS_GW "$CTL" --config "$D/gw.json" --socket "$D/p2sgw.sock" config remove-p2s
	local j got=""
	j=$(sessions)
	grep -q vpnClientConfiguration "$D/gw.json" && got="$got still-in-file"
	[ "$j" = "[]" ] || got="$got sessions:$j"
	wait_until 5 gw_has "session closed: the point-to-site configuration was removed" || got="$got no-reason-logged"
	listening $NS_GW tcp 443 && got="$got tcp-443-open"
	listening $NS_GW udp 1194 && got="$got udp-1194-open"
	[ "$(ip netns exec $NS_GW curl -s -o /dev/null -w '%{http_code}' $API/healthz)" = 200 ] || got="$got api-down"
	if [ -z "$got" ]; then
		pass remove-p2s
	else
		fail remove-p2s "expected no sessions, the reason logged, TCP 443 and UDP 1194 closed and the API still up; got:$got; $(log_tail "$D/gw.log" 4)"
		ip netns exec $NS_GW ss -Hlnup
	fi
}

# The configuration back: the listeners reopen and alice's TCP client, still
# retrying, gets a session again (the UDP client waits out its handshake
# window first).
restore_p2s() {
	cp "$D/gw.keep" "$D/gw.json"
	run $NS_GW "$CTL" --api $API --token-file "$D/state/mgmt.token" gateway reload
	if wait_listen $NS_GW tcp 443 5 && wait_until 30 sh -c "ip netns exec $NS_GW curl -s -H 'Authorization: Bearer $(TOKEN)' $API/api/v1/sessions | grep -q 192.0.2.2"; then
		pass restore-p2s
	else
		fail restore-p2s "expected TCP 443 open again and alice back within 30 s, got: $(sessions) / $(log_tail "$D/gw.log" 3)"
	fi
}

# Sessions of another tunnel in the same list: a strongSwan client (IKEv2,
# certificate) appears with Azure's fields, its protocol and cipher, and
# counters that grow with its traffic. The OpenVPN clients leave first
# (maxClientConnections is 2 for the refusal case).
ikev2_listed() {
	if ! swan_installed; then
		skip api-lists-ikev2 "strongSwan with kernel-libipsec is not installed"
		return
	fi
	stop_pid "$(cat "$D/alice.pid" 2>/dev/null)"
	stop_pid "$(cat "$D/alice2.pid" 2>/dev/null)"
	swan_new ike
	swan_client_files ike "$PKI" alice3
	swan_client_conf ike 192.0.2.1 pubkey alice3@contoso.com
	if ! swan_start $NS_CLI ike >/dev/null || ! swan_load ike; then
		fail api-lists-ikev2 "the strongSwan client did not start"
		return
	fi
	swan_initiate ike p2s 20
	if ! swan_wait_child ike p2s 20; then
		fail api-lists-ikev2 "no CHILD_SA: $(tail -n 5 "$(swan_log ike)" | tr '\n' '|')"
		return
	fi
	local j0 j1 id
	j0=$(sessions)
	id=$(python3 -c 'import json,sys
for s in json.loads(sys.argv[1]):
    if s["protocol"] == "IKEv2" and s["vpnUserName"].startswith("alice3@"): print(s["vpnConnectionId"])' "$j0")
	run $NS_CLI ping -c 5 -i 0.2 -s 1000 -W 2 10.1.0.10 >/dev/null
	j1=$(sessions)
	local a0 a1 c
	a0=$(field "$j0" "$id" ingressBytesTransferred)
	a1=$(field "$j1" "$id" ingressBytesTransferred)
	c=$(field "$j1" "$id" cipher)
	if [ -n "$id" ] && [ "${id#IKEv2_}" != "$id" ] && [ -n "$c" ] &&
		[ "${a1:-0}" -ge $((${a0:-0} + 5000)) ]; then
		pass api-lists-ikev2
	else
		fail api-lists-ikev2 "expected alice3's IKEv2 session with a cipher and growing counters, got id '$id', cipher '$c', in $a0 -> $a1: $j1"
	fi
	swan_stop ike
}

# The kernel's drops at the gateway's TUN in /metrics: none and the same
# as the device's own counter first; then, the network process stopped, a
# burst of 8,000 datagrams from the virtual network to the pool (the TUN
# queue holds 4,096): what did not fit is counted towards the gateway, the
# very number `ip -s link` shows. Last: the burst ends as no-route drops.
tun_drop_count() {
	ip -n $NS_GW -s -j link show p2s0 | python3 -c 'import json, sys
print(json.load(sys.stdin)[0]["stats64"]["tx"]["dropped"])'
}
tun_drops() {
	local net k0 m0 k1 m1 rx
	read -r net _ < <(cat /proc/"$GW_PID"/task/*/children 2>/dev/null)
	net=${net:-$GW_PID}
	k0=$(tun_drop_count)
	api "$API/metrics" >"$D/metrics-tun0.txt"
	m0=$(python3 lib/dp_metrics.py get "$D/metrics-tun0.txt" p2sgw_dataplane_tun_dropped_total direction=to_gateway)
	kill -STOP "$net"
	ip netns exec $NS_VNET timeout 20 python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(8000):
    s.sendto(b"x" * 64, ("172.16.201.250", 9))'
	kill -CONT "$net"
	k1=$(tun_drop_count)
	api "$API/metrics" >"$D/metrics-tun1.txt"
	m1=$(python3 lib/dp_metrics.py get "$D/metrics-tun1.txt" p2sgw_dataplane_tun_dropped_total direction=to_gateway)
	rx=$(python3 lib/dp_metrics.py get "$D/metrics-tun1.txt" p2sgw_dataplane_tun_dropped_total direction=from_gateway)
	echo "TUN drops towards the gateway: $m0 (kernel $k0), after the burst $m1 (kernel $k1); from it: $rx"
	if grep -q '^p2sgw_dataplane_tun_dropped_total{direction="to_gateway"} ' "$D/metrics-tun0.txt" &&
		grep -q '^p2sgw_dataplane_tun_dropped_total{direction="from_gateway"} ' "$D/metrics-tun1.txt" &&
		[ "$m0" = 0 ] && [ "$k0" = 0 ] && [ "$m1" = "$k1" ] && [ "$((m1 - m0))" -ge 1000 ] && [ "$rx" = 0 ]; then
		pass metrics-tun-drops
	else
		fail metrics-tun-drops "expected 0 dropped towards the gateway before (kernel 0), then the kernel's count after 8,000 datagrams to a stopped gateway (>= 1,000), none from it: before $m0 (kernel $k0), after $m1 (kernel $k1), from the gateway $rx"
	fi
}

main() {
	lab_up
	make_pki "$PKI" || { fail api-lists-both "expected a test PKI"; exit 1; }
	write_conf "$D/gw.json"
	spawn $NS_VNET "$D/iperf.log" iperf3 -s >/dev/null
	GW_PID=$(spawn $NS_GW "$D/gw.log" "$GW" --config "$D/gw.json")
	if ! wait_listen $NS_GW tcp 9443 10 "$GW_PID"; then
		fail api-lists-both "expected the management API on 127.0.0.1:9443, got: $(log_tail "$D/gw.log" 5)"
		exit 1
	fi
	wait_listen $NS_VNET tcp 5201
	connect alice tcp
	connect alice2 udp
	if ! up alice || ! up alice2; then
		fail api-lists-both "expected both clients up, got: $(log_tail "$D/alice.log" 3) / $(log_tail "$D/alice2.log" 3)"
		tail -20 "$D/gw.log"
		exit 1
	fi
	check_list
	counters_grow
	dataplane_one
	socket_and_api
	tokens
	bad_requests
	metrics
	refusal
	web
	disconnect_by_id
	remove_p2s
	restore_p2s
	ikev2_listed
	tun_drops
	[ "$LAB_FAILED" -eq 0 ] || tail -n 40 "$D/gw.log"
	exit "$LAB_FAILED"
}

main
