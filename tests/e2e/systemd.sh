#!/bin/bash
# systemd integration, without a running systemd: the unit file passes
# systemd-analyze verify (offline), the daemon speaks the notify protocol
# (READY, WATCHDOG, RELOADING, STOPPING) to a socket this lab listens on and
# logs for journald ("<6>" prefixes, no timestamps), a gateway without
# vpnClientConfiguration serves only the management API, and meson install
# puts the unit, man pages and the p2sctl completion in place.
#   tests/e2e/systemd.sh [BUILD_DIR]
set -u
BUILD=$(realpath "${1:-build}")
SRC=$(realpath "$(dirname "$0")/../..")
cd "$(dirname "$0")" || exit 2
. lib/netns.sh
LAB_CASES="unit-verify unit-verify-rejects notify-ready notify-watchdog notify-reload notify-stopping
journal-format plain-format start-without-p2s api-tls meson-install"
D=$LAB_DIR
GW=$BUILD/p2sgw
lab_require systemd-analyze python3 curl ss
if [ ! -x "$GW" ] || [ ! -f "$BUILD/p2sgw.service" ]; then
	for c in $LAB_CASES; do skip "$c" "no $GW or $BUILD/p2sgw.service: build first"; done
	exit 0
fi

# The unit with ExecStart on this build's binary (verify checks it is
# executable) and the man pages it names on MANPATH.
verify() { # verify UNIT: prints systemd-analyze's complaints about UNIT
	MANPATH=$D/man systemd-analyze verify "$1" 2>&1 | grep "$(basename "$1")"
	return "${PIPESTATUS[0]}"
}

unit() {
	mkdir -p "$D/man/man8" "$D/man/man5" "$D/unit"
	cp "$SRC"/doc/*.8 "$D/man/man8/" && cp "$SRC"/doc/*.5 "$D/man/man5/"
	sed "s|^ExecStart=[^ ]*|ExecStart=$GW|" "$BUILD/p2sgw.service" >"$D/unit/p2sgw.service"
	local out
	if out=$(verify "$D/unit/p2sgw.service") && [ -z "$out" ]; then pass unit-verify
	else fail unit-verify "expected systemd-analyze verify to accept the unit silently, got: $out"; fi
	grep -q '^Type=notify$' "$D/unit/p2sgw.service" && grep -q '^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID$' "$D/unit/p2sgw.service" ||
		fail unit-verify "expected Type=notify and the capability bounding set in the unit"
	sed 's|^ExecStart=[^ ]*|ExecStart=/nonexistent/p2sgw|' "$D/unit/p2sgw.service" >"$D/unit/bad.service"
	if out=$(verify "$D/unit/bad.service"); then fail unit-verify-rejects "expected a unit with a missing binary rejected, got rc 0: $out"
	else pass unit-verify-rejects; fi
}

# A notify socket like systemd's: each datagram appended to a file.
notify_listener() {
	spawn $NS_GW "$D/notify.log" python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a")
while True:
    out.write(s.recv(4096).decode().replace("\n", " ") + "\n")
    out.flush()' "$D/notify.sock" "$D/notify.msgs"
}
msg() { grep -q "$1" "$D/notify.msgs" 2>/dev/null; }
reloaded() { msg "RELOADING=1 MONOTONIC_USEC=" && [ "$(grep -c READY=1 "$D/notify.msgs")" -ge 2 ]; }

write_conf() { # write_conf FILE [no-p2s]: without P2S, with the API over TLS
	local p2s=',
  "vpnClientConfiguration": {"vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"]}}'
	local tls=false
	[ "${2:-}" = no-p2s ] && p2s="" && tls=true
	cat >"$1" <<J
{
  "name": "sd-gw", "gatewayFqdn": "gw.p2s.test", "stateDirectory": "$D/state",
  "tunInterface": "p2s0", "management": {"port": 9443, "tls": $tls}$p2s
}
J
}

notify() {
	notify_listener >/dev/null
	wait_until 5 test -S "$D/notify.sock"
	write_conf "$D/gw.json"
	local pid
	pid=$(spawn $NS_GW "$D/gw.log" env NOTIFY_SOCKET="$D/notify.sock" WATCHDOG_USEC=1000000 "$GW" --config "$D/gw.json")
	if wait_until 20 msg "READY=1"; then pass notify-ready
	else fail notify-ready "expected READY=1 on NOTIFY_SOCKET within 20 s, got: $(cat "$D/notify.msgs" 2>/dev/null) / $(log_tail "$D/gw.log" 3)"; fi
	if wait_until 3 msg "WATCHDOG=1"; then pass notify-watchdog
	else fail notify-watchdog "expected WATCHDOG=1 within 3 s with WATCHDOG_USEC=1000000, got: $(cat "$D/notify.msgs")"; fi
	kill -HUP "$pid"
	if wait_until 10 reloaded; then pass notify-reload
	else fail notify-reload "expected RELOADING=1 with MONOTONIC_USEC, then READY=1 again, got: $(cat "$D/notify.msgs")"; fi
	kill -TERM "$pid"
	if wait_until 5 msg "STOPPING=1"; then pass notify-stopping
	else fail notify-stopping "expected STOPPING=1 on SIGTERM, got: $(cat "$D/notify.msgs")"; fi
	wait_until 5 sh -c "! kill -0 $pid"
	# Every line carries a syslog priority and no clock time.
	if grep -q '^<6>gateway: gateway "sd-gw"' "$D/gw.log" && ! grep -Eq '^[0-9]{2}:[0-9]{2}:' "$D/gw.log" &&
		! grep -Ev '^<[0-7]>' "$D/gw.log" | grep -q .; then
		pass journal-format
	else
		fail journal-format "expected every line as '<N>module: text' under NOTIFY_SOCKET, got: $(head -n 3 "$D/gw.log" | tr '\n' '|')"
	fi
}

plain_and_no_p2s() {
	write_conf "$D/nop2s.json" no-p2s
	local pid c
	pid=$(spawn $NS_GW "$D/nop2s.log" "$GW" --config "$D/nop2s.json")
	if ! wait_listen $NS_GW tcp 9443 15 "$pid"; then
		fail start-without-p2s "expected the management API up without vpnClientConfiguration, got: $(log_tail "$D/nop2s.log" 4)"
		fail plain-format "the gateway did not start"
		return
	fi
	# HTTPS with the gateway's certificate (here the one it made for gatewayFqdn).
	c=$(ip netns exec $NS_GW curl -s --cacert "$D/state/gateway-root.crt" --resolve gw.p2s.test:9443:127.0.0.1 \
		-H "Authorization: Bearer $(cat "$D/state/mgmt.token")" https://gw.p2s.test:9443/api/v1/gateway)
	local plain
	plain=$(ip netns exec $NS_GW curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:9443/healthz)
	if grep -q '"name": "sd-gw"' <<<"$c" && [ "$plain" != 200 ]; then pass api-tls
	else fail api-tls "expected the API over HTTPS verified with the gateway root, plain HTTP refused; got '$c', plain HTTP $plain"; fi
	if grep -q '"pointToSiteConfigured": false' <<<"$c" && ! listening $NS_GW tcp 443 && ! listening $NS_GW udp 1194 &&
		grep -q 'ready: no vpnClientConfiguration' "$D/nop2s.log"; then
		pass start-without-p2s
	else
		fail start-without-p2s "expected pointToSiteConfigured false and no tunnel listener, got: $c"
	fi
	if grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} info  ' "$D/nop2s.log" && ! grep -q '^<' "$D/nop2s.log"; then
		pass plain-format
	else
		fail plain-format "expected timestamped lines without NOTIFY_SOCKET/JOURNAL_STREAM, got: $(head -n 2 "$D/nop2s.log" | tr '\n' '|')"
	fi
	stop_pid "$pid"
}

meson_install() {
	local dest=$D/inst out missing="" f
	out=$(meson install -C "$BUILD" --destdir "$dest" --no-rebuild 2>&1) ||
		{ fail meson-install "expected meson install to succeed, got: $(tail -n 3 <<<"$out")"; return; }
	for f in p2sgw.service p2sgw.8 p2sctl.8 p2sgw.json.5 completions/p2sctl sbin/p2sgw bin/p2sctl; do
		find "$dest" -path "*$f*" | grep -q . || missing="$missing $f"
	done
	if [ -n "$missing" ]; then fail meson-install "expected in $dest:$missing"
	elif ! bash -n "$(find "$dest" -path '*completions/p2sctl')"; then fail meson-install "the bash completion does not parse"
	elif ! grep -q "^ExecStart=/.*/sbin/p2sgw " "$(find "$dest" -name p2sgw.service)"; then fail meson-install "expected ExecStart on the installed sbin/p2sgw"
	else pass meson-install; fi
}

lab_up
unit
notify
plain_and_no_p2s
meson_install
[ "$LAB_FAILED" -eq 0 ] || { echo "--- gw.log"; tail -n 20 "$D/gw.log"; }
exit "$LAB_FAILED"
