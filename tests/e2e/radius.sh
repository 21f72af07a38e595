#!/bin/bash
# RADIUS authentication and accounting with Debian's real openvpn client
# (auth-user-pass) and a real FreeRADIUS 3.2 on its STOCK configuration (only
# clients.conf, the users file and the ports changed, see lib/radius.sh): it
# does not sign its replies, which the default "auto" Message-Authenticator
# policy accepts and names in the log. "require" is tested against it (refused)
# and against a server whose users file adds Message-Authenticator (accepted);
# replies forged with another secret are dropped. Servers run in the gateway's
# namespace on loopback.
set -u
BUILD=$(realpath "${1:-build}")
cd "$(dirname "$0")"
. lib/netns.sh
. lib/pki.sh
. lib/radius.sh
LAB_CASES="slow-server-does-not-stall slow-server-answered radius-accept framed-ip
radius-reject unsigned-server-named session-timeout accounting-start accounting-interim
accounting-stop-octets failover both-down-refused established-survives probe-revives
require-refuses-stock forged-reply-dropped require-accepts-signing auto-refuses-downgrade
crash-stop-nas-error crash-no-second-stop crash-stop-failover crash-stop-in-flight"
lab_require openvpn freeradius iperf3 openssl python3 ping
CTL=$BUILD/p2sctl
GW=$BUILD/p2sgw
D=$LAB_DIR

SERVERS_STOCK='{"radiusServerAddress": "127.0.0.1:1812", "radiusServerScore": 30, "radiusServerSecret": "primary-secret"},
      {"radiusServerAddress": "127.0.0.1:1822", "radiusServerScore": 10, "radiusServerSecret": "second-secret"}'

write_conf() { # write_conf TIMEOUT [SERVERS]
	cat >"$D/gw.json" <<J
{
  "name": "lab-radius", "gatewayFqdn": "gw.p2s.test",
  "stateDirectory": "$D/state", "controlSocket": "$D/p2sgw.sock",
  "serverCertificate": {"certFile": "$D/pki/server.crt", "keyFile": "$D/pki/server.key"},
  "openvpn": {"tlsAuthKeyFile": "$D/pki/ta.key"},
  "virtualNetwork": {"addressSpace": ["10.1.0.0/16"]},
  "vpnClientConfiguration": {
    "vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"]},
    "vpnClientProtocols": ["OpenVPN"],
    "vpnAuthenticationTypes": ["Radius"],
    "radiusTimeoutSeconds": $1, "radiusAccountingIntervalSeconds": 2,
    "radiusServers": [
      ${2:-$SERVERS_STOCK}
    ]
  }
}
J
}

# Under a sanitizer build the lab's deliberate SIGSEGV is left to the kernel.
GW_ENV=(env)
if ldd "$GW" 2>/dev/null | grep -q libasan; then
	GW_ENV+=("ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0")
fi

start_gateway() { # start_gateway TIMEOUT NAME [SERVERS]
	write_conf "$1" "${3:-}"
	GW_PID=$(spawn $NS_GW "$D/gw-$2.log" "${GW_ENV[@]}" "$GW" --config "$D/gw.json")
	GWLOG=$D/gw-$2.log
	wait_until 10 listening $NS_GW tcp 443
}

# login NAME USER PASSWORD: an openvpn client with the generated profile.
login() {
	printf '%s\n%s\n' "$2" "$3" >"$D/$1.pass"
	CLIENT_PID[$1]=$(spawn $NS_CLI "$D/$1.log" openvpn --config "$D/client.ovpn" --remote 192.0.2.1 443 \
		--auth-user-pass "$D/$1.pass" --dev "tun-$1" --connect-retry-max 1 --verb 3 \
		--route-nopull)
}

declare -A CLIENT_PID
stop_client() { stop_pid "${CLIENT_PID[$1]}"; }

up() { wait_until "${2:-15}" log_has "$D/$1.log" "Initialization Sequence Completed"; }
addr_of() { ip -n $NS_CLI -4 -o addr show dev "tun-$1" 2>/dev/null | awk '{print $4}' | cut -d/ -f1; }
ping_via() { run $NS_CLI ping -c 2 -W 2 -I "tun-$1" 172.16.201.1 >/dev/null; }

phase_slow() {
	start_gateway 25 slow || { fail slow-server-does-not-stall "gateway did not start"; return; }
	login slow slow slow-pw
	sleep 1
	local t0=$SECONDS
	login quick carol carol-pw
	if up quick 5 && [ $((SECONDS - t0)) -lt 5 ] && ! log_has "$D/slow.log" "Initialization Sequence Completed"; then
		pass slow-server-does-not-stall
	else
		fail slow-server-does-not-stall "carol's handshake waited for slow's RADIUS answer (took $((SECONDS - t0)) s)"
	fi
	if up slow 25; then pass slow-server-answered
	else fail slow-server-answered "the ${SLOW_SECONDS} s RADIUS answer was not used within radiusTimeoutSeconds 25"; fi
	stop_client slow
	stop_client quick
	stop_pid "$GW_PID"
}

accounting_checks() { # after alice ran iperf3 and disconnected
	local sent=$1
	wait_until 5 sh -c "grep -q 'Acct-Status-Type = Stop' $D/r1/log/radacct/*/detail-*"
	local recs
	recs=$(acct_records "$D/r1")
	if python3 -c 'import json,sys; sys.exit(0 if any(r.get("Acct-Status-Type")=="Start" and r.get("User-Name")=="alice" and r.get("Class")=="0x636c732d616c696365" for r in map(json.loads, sys.stdin)) else 1)' <<<"$recs"; then
		pass accounting-start
	else
		fail accounting-start "no Start record for alice with her Class in the detail file"
	fi
	if python3 -c 'import json,sys; sys.exit(0 if any(r.get("Acct-Status-Type")=="Interim-Update" and r.get("User-Name")=="alice" for r in map(json.loads, sys.stdin)) else 1)' <<<"$recs"; then
		pass accounting-interim
	else
		fail accounting-interim "no Interim-Update for alice with radiusAccountingIntervalSeconds 2"
	fi
	local got
	got=$(python3 -c 'import json,sys
for r in map(json.loads, sys.stdin):
    if r.get("Acct-Status-Type")=="Stop" and r.get("User-Name")=="alice":
        print(int(r.get("Acct-Input-Octets","0")) + (int(r.get("Acct-Input-Gigawords","0")) << 32))' <<<"$recs" | tail -n 1)
	# Inner IP bytes carry the TCP/IP headers (~3.6% of full segments) and any
	# retransmissions of a loaded machine: within 10% of iperf3's payload.
	if [ -n "$got" ] && python3 -c "import sys; sys.exit(0 if abs($got - $sent) <= 0.10 * $sent else 1)"; then
		pass accounting-stop-octets
		echo "Acct-Input-Octets $got for $sent iperf3 bytes"
	else
		fail accounting-stop-octets "Stop Acct-Input-Octets '${got:-none}' not within 10% of iperf3's $sent bytes"
	fi
}

phase_main() {
	start_gateway 3 main || { fail radius-accept "gateway did not start"; return; }
	login alice alice wonderland
	if up alice && ping_via alice; then pass radius-accept
	else fail radius-accept "alice did not get a working tunnel: $(tail -n 3 "$D/alice.log" | tr '\n' '|')"; fi
	local a
	a=$(addr_of alice)
	if [ "$a" = 172.16.201.77 ]; then pass framed-ip; else fail framed-ip "expected 172.16.201.77 (Framed-IP-Address), got '$a'"; fi
	login wrong alice not-her-password
	if wait_until 8 log_has "$D/wrong.log" "AUTH_FAILED" &&
		log_has "$GWLOG" 'authentication refused: RADIUS rejected user "alice"'; then pass radius-reject
	else fail radius-reject "expected AUTH_FAILED and a logged RADIUS rejection"; fi
	local named
	named=$(grep -c "server 127.0.0.1:1812 does not sign its replies .*BlastRADIUS.*radiusServerRequireMessageAuthenticator" "$GWLOG")
	if [ "$named" = 1 ] && ! log_has "$GWLOG" "dropped a reply"; then pass unsigned-server-named
	else fail unsigned-server-named "expected the stock server named once as unsigned (got $named lines) and no reply dropped"; fi
	login bob bob builder
	if up bob && wait_until 10 log_has "$GWLOG" 'session closed: RADIUS Session-Timeout reached \(user "bob", [5-7] s'; then
		pass session-timeout
	else
		fail session-timeout "bob was not disconnected about 5 s after coming up"
	fi
	# Accounting: alice sends for 3 s, then leaves.
	ip -n $NS_CLI route add 10.1.0.0/16 dev tun-alice
	local sent
	sent=$(ip netns exec $NS_CLI timeout 20 iperf3 -c 10.1.0.10 -t 3 -J 2>/dev/null |
		python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_sent"]["bytes"]))' 2>/dev/null || echo 0)
	login alice2 carol carol-pw # a session that must outlive the servers
	up alice2 || fail established-survives "carol's session did not come up"
	stop_client alice
	sleep 1
	accounting_checks "$sent"
	# Fail-over: the primary stops; the secondary answers.
	stop_pid "$R1_PID"
	login dave dave dave-pw
	if up dave 15 && log_has "$GWLOG" "server 127.0.0.1:1812 did not answer"; then pass failover
	else fail failover "dave did not get in through the secondary server"; fi
	# Both down: refused after the timeout, established sessions carry on.
	stop_pid "$R2_PID"
	login late carol carol-pw
	if wait_until 15 log_has "$GWLOG" "authentication refused: no RADIUS server answered" &&
		! log_has "$D/late.log" "Initialization Sequence Completed"; then pass both-down-refused
	else fail both-down-refused "expected a refusal once both servers timed out"; fi
	if ping_via alice2; then pass established-survives
	else fail established-survives "carol's established session stopped passing traffic"; fi
	# The primary comes back: a Status-Server probe notices, and users get in again.
	R1_PID=$(spawn $NS_GW "$D/r1b.log" freeradius -f -xx -l stdout -d "$D/r1")
	if wait_until 15 log_has "$GWLOG" "server 127.0.0.1:1812 answers again"; then
		login back carol carol-pw
		if up back 10; then pass probe-revives
		else fail probe-revives "the revived server was probed but carol still could not log in"; fi
	else
		fail probe-revives "no Status-Server answer noticed within 15 s of the primary's return"
	fi
}

# Accounting records of the primary (r1, or the server directory given) as
# "TYPE ID USER CAUSE TIME" lines.
acct_lines() {
	acct_records "${1:-$D/r1}" | python3 -c 'import json, sys
for r in map(json.loads, sys.stdin):
    print(r.get("Acct-Status-Type", "-"), r.get("Acct-Session-Id", "-"), r.get("User-Name", "-"),
          r.get("Acct-Terminate-Cause", "-"), r.get("Acct-Session-Time", "-"))'
}
# new_start USER: the Acct-Session-Id of USER's Start that $BEFORE does not hold.
new_start() {
	acct_lines | awk -v u="$1" -v before=" $BEFORE " '$1 == "Start" && $3 == u && index(before, " " $2 " ") == 0 {id = $2} END {print id}'
}
stops_of() { acct_lines "${2:-$D/r1}" | awk -v id="$1" '$1 == "Stop" && $2 == id'; }
# stop_octets ID [DIR]: "IN OUT" octets of ID's Stop in the primary's (or
# DIR's server's) detail file.
stop_octets() {
	acct_records "${2:-$D/r1}" | python3 -c 'import json, sys
for r in map(json.loads, sys.stdin):
    if r.get("Acct-Status-Type") == "Stop" and r.get("Acct-Session-Id") == sys.argv[1]:
        print(r.get("Acct-Input-Octets", 0), r.get("Acct-Output-Octets", 0))' "$1"
}

# Privilege separation (the gateway runs as root): the network process dies
# of a SIGSEGV with dave's session up; the key process, which remembered it
# at its Start, sends its Stop with Acct-Terminate-Cause NAS-Error to the
# stock FreeRADIUS, whose detail file records it, with the octets of the
# last Interim-Update (every 2 s here; dave pinged before). Carol's session,
# ended before the crash, keeps exactly its one Stop (User-Request).
phase_crash() {
	start_gateway 5 crash || { fail crash-stop-nas-error "gateway did not start"; return; }
	local net carol dave stops
	net=$(pgrep -P "$GW_PID" | head -n 1)
	BEFORE=$(acct_lines | awk '{print $2}' | sort -u | tr '\n' ' ')
	login ended carol carol-pw
	up ended || fail crash-no-second-stop "carol's session did not come up: $(log_tail "$D/ended.log" 3)"
	for _ in $(seq 50); do carol=$(new_start carol); [ -n "$carol" ] && break; sleep 0.2; done
	stop_client ended
	for _ in $(seq 50); do [ -n "$(stops_of "$carol")" ] && break; sleep 0.2; done
	login lost dave dave-pw
	up lost || fail crash-stop-nas-error "dave's session did not come up: $(log_tail "$D/lost.log" 3)"
	for _ in $(seq 50); do dave=$(new_start dave); [ -n "$dave" ] && break; sleep 0.2; done
	echo "carol's session $carol ($(stops_of "$carol" | wc -l) Stop), dave's session $dave, network process $net"
	if [ -z "$net" ] || [ -z "$dave" ] || [ -z "$carol" ]; then
		fail crash-stop-nas-error "expected a network process and dave's and carol's Start records, got net '$net', dave '$dave', carol '$carol': $(acct_lines | tail -n 4 | tr '\n' '|')"
		stop_client lost
		stop_pid "$GW_PID"
		return
	fi
	ping_via lost
	sleep 3 # dave's session has lasted a few seconds: Acct-Session-Time counts them
	run $NS_GW kill -SEGV "$net"
	for _ in $(seq 100); do [ -n "$(stops_of "$dave")" ] && break; sleep 0.2; done
	stops=$(stops_of "$dave")
	local octets
	octets=$(stop_octets "$dave")
	echo "dave's Stop: $stops; octets in/out: $octets"
	if [ "$(wc -l <<<"$stops")" = 1 ] && [ "$(awk '{print $3, $4}' <<<"$stops")" = "dave NAS-Error" ] &&
		[ "$(awk '{print $5}' <<<"$stops")" -ge 3 ] 2>/dev/null &&
		[ "$(awk '{print $1}' <<<"$octets")" -ge 168 ] 2>/dev/null &&
		[ "$(awk '{print $2}' <<<"$octets")" -ge 168 ] 2>/dev/null &&
		log_has "$GWLOG" "network process killed by signal 11" &&
		log_has "$GWLOG" "took 1 RADIUS-accounted session with it"; then
		pass crash-stop-nas-error
	else
		fail crash-stop-nas-error "expected one Stop for dave's $dave with Acct-Terminate-Cause NAS-Error, Acct-Session-Time >= 3 and both octet counts >= 168 (two pings) in FreeRADIUS's detail file after SIGSEGV to the network process, got '$stops' (type id user cause time), octets '$octets'; gateway: $(grep -E 'keys|network process' "$GWLOG" | tail -n 3 | tr '\n' '|')"
	fi
	sleep 2 # any second Stop for carol would have come with dave's
	stops=$(stops_of "$carol")
	if [ "$(wc -l <<<"$stops")" = 1 ] && [ "$(awk '{print $4}' <<<"$stops")" != NAS-Error ]; then
		pass crash-no-second-stop
	else
		fail crash-no-second-stop "expected exactly carol's own Stop for $carol (not NAS-Error), got: '$stops'"
	fi
	stop_client lost
	stop_pid "$GW_PID"
}

# dave_up CASE GATEWAY CLIENT: a gateway (radiusTimeoutSeconds 3) with dave's
# session up through CLIENT and Started on the primary; sets the caller's
# net (the network process) and dave (his Acct-Session-Id).
dave_up() {
	start_gateway 3 "$2" || { fail "$1" "gateway did not start"; return 1; }
	net=$(pgrep -P "$GW_PID" | head -n 1)
	BEFORE=$(acct_lines | awk '{print $2}' | sort -u | tr '\n' ' ')
	login "$3" dave dave-pw
	up "$3" || fail "$1" "dave's session did not come up: $(log_tail "$D/$3.log" 3)"
	for _ in $(seq 50); do dave=$(new_start dave); [ -n "$dave" ] && break; sleep 0.2; done
}

# The same crash with the primary down by then: the key process's Stop for
# dave's session (Started on the primary) goes unanswered for the timeout,
# then to the secondary under the secondary's own secret, whose detail file
# records it. The primary comes back for the phases after.
phase_crash_failover() {
	local net dave stops
	dave_up crash-stop-failover crashfo lostfo || return
	stop_pid "$R1_PID"
	if [ -n "$net" ] && [ -n "$dave" ]; then
		run $NS_GW kill -SEGV "$net"
		for _ in $(seq 100); do [ -n "$(stops_of "$dave" "$D/r2")" ] && break; sleep 0.2; done
	fi
	stops=$(stops_of "$dave" "$D/r2")
	if [ -n "$dave" ] && [ "$(wc -l <<<"$stops")" = 1 ] &&
		[ "$(awk '{print $3, $4}' <<<"$stops")" = "dave NAS-Error" ] &&
		log_has "$GWLOG" "accounting server 127.0.0.1:1813 did not answer a lost session's Stop"; then
		pass crash-stop-failover
	else
		fail crash-stop-failover "expected dave's Stop for '$dave' (Started on the primary, which then stopped) with NAS-Error in the secondary's detail file after the network process's crash, got '$stops'; gateway: $(grep -E 'keys' "$GWLOG" | tail -n 3 | tr '\n' '|')"
	fi
	R1_PID=$(spawn $NS_GW "$D/r1c.log" freeradius -f -xx -l stdout -d "$D/r1")
	wait_until 10 log_has "$D/r1c.log" "Ready to process requests"
	stop_client lostfo
	stop_pid "$GW_PID"
}

# Dave's session ends (his client leaves) while the primary is down: the
# network process's Stop (its cause: the client closed) waits on the
# primary, and the process crashes before failing over. The key process
# kept that Stop, its cause and final octets: it sends it, fails over to
# the secondary, whose detail file records that cause (not NAS-Error) and
# the octets of dave's two pings.
phase_crash_inflight() {
	local net dave stops octets
	dave_up crash-stop-in-flight crashif lostif || return
	ping_via lostif
	stop_pid "$R1_PID"
	stop_client lostif
	if [ -n "$net" ] && [ -n "$dave" ] && wait_until 10 log_has "$GWLOG" 'session closed.*user "dave"'; then
		run $NS_GW kill -SEGV "$net"
		for _ in $(seq 100); do [ -n "$(stops_of "$dave" "$D/r2")" ] && break; sleep 0.2; done
	fi
	stops=$(stops_of "$dave" "$D/r2")
	octets=$(stop_octets "$dave" "$D/r2")
	echo "dave's Stop at the secondary: $stops; octets in/out: $octets"
	if [ -n "$dave" ] && [ "$(wc -l <<<"$stops")" = 1 ] &&
		grep -qE '^dave (User-Request|Lost-Carrier)$' <<<"$(awk '{print $3, $4}' <<<"$stops")" &&
		[ "$(awk '{print $1}' <<<"$octets")" -ge 168 ] 2>/dev/null &&
		[ "$(awk '{print $2}' <<<"$octets")" -ge 168 ] 2>/dev/null &&
		log_has "$GWLOG" "1 as its own unanswered Stop"; then
		pass crash-stop-in-flight
	else
		fail crash-stop-in-flight "expected dave's own Stop for '$dave' (User-Request or Lost-Carrier, >= 168 octets each way), unanswered by the stopped primary when the network process crashed, in the secondary's detail file, got '$stops', octets '$octets'; gateway: $(grep -E 'keys|session closed' "$GWLOG" | tail -n 3 | tr '\n' '|')"
	fi
	R1_PID=$(spawn $NS_GW "$D/r1i.log" freeradius -f -xx -l stdout -d "$D/r1")
	wait_until 10 log_has "$D/r1i.log" "Ready to process requests"
	stop_pid "$GW_PID"
}

# "require" against the stock server: every reply is dropped with its reason,
# and so is a forged one (another secret), even under "never"; the client is
# refused once both have timed out. Then "require" against a signing server.
phase_require() {
	local srv='{"radiusServerAddress": "127.0.0.1:1812", "radiusServerScore": 30, "radiusServerSecret": "primary-secret", "radiusServerRequireMessageAuthenticator": "require"},
      {"radiusServerAddress": "127.0.0.1:1842", "radiusServerScore": 10, "radiusServerSecret": "primary-secret", "radiusServerRequireMessageAuthenticator": "never"}'
	start_gateway 2 require "$srv" || { fail require-refuses-stock "gateway did not start"; return; }
	login req alice wonderland
	wait_until 20 log_has "$D/req.log" "AUTH_FAILED"
	if log_has "$GWLOG" 'dropped a reply from 127.0.0.1:1812: missing Message-Authenticator \(radiusServerRequireMessageAuthenticator is "require"\)' &&
		! log_has "$D/req.log" "Initialization Sequence Completed" && log_has "$D/req.log" "AUTH_FAILED"; then
		pass require-refuses-stock
	else
		fail require-refuses-stock "expected AUTH_FAILED and 'dropped a reply from 127.0.0.1:1812: missing Message-Authenticator (... \"require\")': $(grep radius "$GWLOG" | tail -n 3 | tr '\n' '|')"
	fi
	if log_has "$D/forger.log" "forged an Access-Accept" &&
		log_has "$GWLOG" "dropped a reply from 127.0.0.1:1842: bad Response Authenticator" &&
		! log_has "$D/req.log" "Initialization Sequence Completed"; then
		pass forged-reply-dropped
	else
		fail forged-reply-dropped "expected the forged Accept from 127.0.0.1:1842 dropped for its bad Response Authenticator: $(grep 1842 "$GWLOG" | tail -n 2 | tr '\n' '|')"
	fi
	stop_client req
	stop_pid "$GW_PID"
	srv='{"radiusServerAddress": "127.0.0.1:1832", "radiusServerSecret": "signing-secret", "radiusServerRequireMessageAuthenticator": "require"}'
	start_gateway 5 signing "$srv" || { fail require-accepts-signing "gateway did not start"; return; }
	login signed alice wonderland
	if up signed && ping_via signed && [ "$(addr_of signed)" = 172.16.201.77 ] &&
		! log_has "$GWLOG" "does not sign|dropped a reply"; then
		pass require-accepts-signing
	else
		fail require-accepts-signing "alice did not get in through the signing server under \"require\": $(log_tail "$D/signed.log")"
	fi
	stop_client signed
	stop_pid "$GW_PID"
	phase_auto_downgrade
}

# auto: once a server has signed, an unsigned reply from it is refused (the
# shape of a BlastRADIUS forgery). The same server is restarted unsigned.
phase_auto_downgrade() {
	local srv='{"radiusServerAddress": "127.0.0.1:1832", "radiusServerSecret": "signing-secret"}'
	start_gateway 2 auto "$srv" || { fail auto-refuses-downgrade "gateway did not start"; return; }
	login autook alice wonderland
	up autook || { fail auto-refuses-downgrade "alice did not get in through the signing server"; return; }
	stop_pid "$R3_PID"
	make_raddb "$D/r3" 1832 signing-secret # the same server, now unsigned
	R3_PID=$(spawn $NS_GW "$D/r3b.log" freeradius -f -xx -l stdout -d "$D/r3")
	wait_until 10 log_has "$D/r3b.log" "Ready to process requests"
	login autodown carol carol-pw
	if wait_until 15 log_has "$D/autodown.log" "AUTH_FAILED" &&
		log_has "$GWLOG" "dropped a reply from 127.0.0.1:1832: missing Message-Authenticator \(this server signed earlier replies" &&
		! log_has "$GWLOG" "does not sign"; then
		pass auto-refuses-downgrade
	else
		fail auto-refuses-downgrade "expected carol refused and the unsigned reply dropped: $(grep radius "$GWLOG" | tail -n 2 | tr '\n' '|')"
	fi
	stop_client autook
	stop_client autodown
	stop_pid "$GW_PID"
}

main() {
	lab_up
	make_pki "$D/pki" "$CTL"
	make_raddb "$D/r1" 1812 primary-secret
	make_raddb "$D/r2" 1822 second-secret
	make_raddb "$D/r3" 1832 signing-secret signed
	echo "--- the lab's FreeRADIUS differs from /etc/freeradius/3.0 in:"
	raddb_diff "$D/r1"
	# -f -xx, not -X: -X also means single-threaded, which would let one
	# slow request hold up every other.
	R1_PID=$(spawn $NS_GW "$D/r1.log" freeradius -f -xx -l stdout -d "$D/r1")
	R2_PID=$(spawn $NS_GW "$D/r2.log" freeradius -f -xx -l stdout -d "$D/r2")
	R3_PID=$(spawn $NS_GW "$D/r3.log" freeradius -f -xx -l stdout -d "$D/r3")
	spawn $NS_GW "$D/forger.log" python3 lib/radius-forger.py 1842 not-the-gateways-secret >/dev/null
	spawn $NS_VNET "$D/iperf.log" iperf3 -s >/dev/null
	wait_until 10 log_has "$D/r1.log" "Ready to process requests"
	wait_until 10 log_has "$D/r2.log" "Ready to process requests"
	wait_until 10 log_has "$D/r3.log" "Ready to process requests"
	write_conf 3
	"$CTL" --config "$D/gw.json" profile generate --output "$D/pkg.zip" >/dev/null
	(cd "$D" && python3 -m zipfile -e pkg.zip pkg && cp pkg/OpenVPN/vpnconfig.ovpn client.ovpn)
	phase_slow
	phase_crash
	phase_crash_failover
	phase_crash_inflight
	phase_require
	phase_main
	echo "--- gateway log (tail)"
	tail -n 30 "$GWLOG"
	exit $LAB_FAILED
}

main
