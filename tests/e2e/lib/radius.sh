# A private FreeRADIUS for the labs, on Debian's STOCK configuration:
# make_raddb DIR PORT SECRET [signed] copies /etc/freeradius/3.0 and changes
# only what a new user edits (clients.conf, the users file) and the listen
# ports, so two or three servers share the gateway's namespace:
#   - sites-enabled/default: authentication on PORT, accounting on PORT+1
#     (recorded in DIR/log/radacct detail files by the stock `detail` module);
#   - sites-enabled/inner-tunnel: its loopback listener moves to PORT+6.
# Because the lab runs from a temporary directory, as root, radiusd.conf also
# gets its paths (raddbdir, logdir, run_dir) pointed into DIR and the
# user/group switch to freerad commented out (freerad cannot enter the lab's
# mode-700 directory). Nothing else is touched: the stock server does NOT
# sign PAP Access-Accept/Reject (no Message-Authenticator), as deployed.
#
# Users: alice (Framed-IP-Address, Class, Reply-Message), bob (Session-Timeout
# 5), carol, dave, and slow (answered after SLOW_SECONDS, like an MFA push:
# the users file's Exec-Program-Wait, which the stock `exec` module runs in
# post-auth, capped by its stock 10 s timeout).
# With "signed", every reply item list also sets Message-Authenticator, which
# makes this one server sign its replies (the "require" mode's good case).

SLOW_SECONDS=8

make_raddb() {
	local d=$1 port=$2 secret=$3 signed=${4:-}
	rm -rf "$d"
	cp -a /etc/freeradius/3.0 "$d"
	# Paths and user: the lab's deviations, see above.
	sed -i -e "s|^\s*logdir = .*|logdir = $d/log|" -e "s|^\s*raddbdir = .*|raddbdir = $d|" \
		-e "s|^\s*run_dir = .*|run_dir = $d/run|" -e 's|^\s*user = freerad|#&|' \
		-e 's|^\s*group = freerad|#&|' "$d/radiusd.conf"
	mkdir -p "$d/log/radacct" "$d/run"
	# Listen ports: the stock "port = 0" lines are auth, acct, auth (IPv6), acct (IPv6).
	awk -v p="$port" '/^[ \t]*port = 0/ { n++; sub(/port = 0/, "port = " (n % 2 ? p : p + 1)) } { print }' \
		"$d/sites-available/default" >"$d/default.new"
	rm -f "$d/sites-enabled/default"
	mv "$d/default.new" "$d/sites-enabled/default"
	sed "s|port = 18120|port = $((port + 6))|" "$d/sites-available/inner-tunnel" >"$d/inner.new"
	rm -f "$d/sites-enabled/inner-tunnel"
	mv "$d/inner.new" "$d/sites-enabled/inner-tunnel"
	cat >"$d/clients.conf" <<C
client gw {
	ipaddr = 127.0.0.1
	secret = $secret
}
C
	local ma=""
	[ -n "$signed" ] && ma=", Message-Authenticator := 0x00"
	cat >"$d/mods-config/files/authorize" <<U
alice Cleartext-Password := "wonderland"
	Reply-Message := "hello alice", Class := "cls-alice", Framed-IP-Address := 172.16.201.77$ma
bob Cleartext-Password := "builder"
	Session-Timeout := 5$ma
carol Cleartext-Password := "carol-pw"${ma:+
	${ma#, }}
dave Cleartext-Password := "dave-pw"${ma:+
	${ma#, }}
slow Cleartext-Password := "slow-pw"
	Exec-Program-Wait := "/bin/sleep $SLOW_SECONDS"$ma
U
}

# What differs between the lab's copy and the stock configuration, for the log.
raddb_diff() {
	diff -rq /etc/freeradius/3.0 "$1" -x log -x run | sed "s|/etc/freeradius/3.0/||"
}

# The accounting records of a detail file, one JSON object per line.
acct_records() {
	cat "$1"/log/radacct/*/detail-* 2>/dev/null | python3 -c '
import json, sys
rec = {}
for line in sys.stdin:
    line = line.strip()
    if not line:
        if rec: print(json.dumps(rec)); rec = {}
        continue
    if " = " in line:
        k, v = line.split(" = ", 1)
        rec[k.strip()] = v.strip().strip("\"")
if rec: print(json.dumps(rec))'
}
