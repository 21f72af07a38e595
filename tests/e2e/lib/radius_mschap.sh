# FreeRADIUS in its packaged default configuration for MS-CHAPv2 and EAP
# (the stock `default` site with its mschap and eap modules): only the
# directories (so it runs as root from a scratch copy), clients.conf and the
# users file change, and every Access reply gets a Message-Authenticator
# (the BlastRADIUS mitigation FreeRADIUS 3.2.5 made the default). 3.2.1 signs
# its EAP replies but not its MS-CHAP ones; the gateway's "auto" mode takes a
# server that signed once and then stops for a forgery, so one server doing
# both needs to sign every reply.
# make_raddb_stock DIR SECRET, users: alice/wonderland, carol/carol-pw,
# flood001..flood129/flood-pw.
make_raddb_stock() {
	local d=$1 secret=$2
	rm -rf "$d"
	cp -a /etc/freeradius/3.0 "$d"
	sed -i -e "s|^\s*logdir = .*|logdir = $d/log|" -e "s|^\s*raddbdir = .*|raddbdir = $d|" \
		-e "s|^\s*run_dir = .*|run_dir = $d/run|" -e 's|^\s*user = freerad|#|' \
		-e 's|^\s*group = freerad|#|' "$d/radiusd.conf"
	mkdir -p "$d/log/radacct" "$d/run"
	sed -i -e '/^post-auth {/a\	update reply {\n\t\tMessage-Authenticator := 0x00\n\t}' \
		-e '/^\s*Post-Auth-Type REJECT {/a\	\tupdate reply {\n\t\t\tMessage-Authenticator := 0x00\n\t\t}' \
		"$d/sites-enabled/default"
	cat >"$d/clients.conf" <<C
client gw {
	ipaddr = 127.0.0.1
	secret = $secret
}
C
	cat >"$d/mods-config/files/authorize" <<U
alice Cleartext-Password := "wonderland"
	Reply-Message := "hello alice"
carol Cleartext-Password := "carol-pw"
U
	# one user per call of the SSTP cap case (the gateway limits logins per
	# user name and minute)
	for i in $(seq -w 1 129); do
		echo "flood$i Cleartext-Password := \"flood-pw\""
	done >>"$d/mods-config/files/authorize"
}
