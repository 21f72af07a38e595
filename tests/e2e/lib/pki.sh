# Test PKI for the labs, made with p2sctl and, for what p2sctl refuses to
# make (no clientAuth EKU), the openssl CLI.
# make_pki DIR P2SCTL: gateway root + server (gw.p2s.test), client root with
# alice, alice2, bob, carol (expired), dave (no clientAuth), another root
# with mallory, and a tls-auth key.

make_pki() {
	local d=$1 ctl=$2
	mkdir -p "$d"
	$ctl pki create-root --name "Lab Gateway Root" --out "$d/gwroot" >/dev/null
	openssl req -new -newkey rsa:2048 -nodes -keyout "$d/server.key" -subj /CN=gw.p2s.test \
		-out "$d/server.csr" 2>/dev/null
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth" "subjectAltName=DNS:gw.p2s.test" >"$d/server.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/gwroot/root.crt" -CAkey "$d/gwroot/root.key" \
		-CAcreateserial -days 30 -sha256 -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
	cat "$d/gwroot/root.crt" >>"$d/server.crt"
	$ctl pki create-root --name "P2S Client Root" --out "$d/root" >/dev/null
	local u
	for u in alice alice2 bob; do
		$ctl pki issue-client --root "$d/root" --cn "$u@contoso.com" --out "$d/clients" >/dev/null
	done
	$ctl pki issue-client --root "$d/root" --cn carol@contoso.com --out "$d/clients" --days -1 >/dev/null
	openssl req -new -newkey rsa:2048 -nodes -keyout "$d/clients/dave@contoso.com.key" \
		-subj /CN=dave@contoso.com -out "$d/dave.csr" 2>/dev/null
	printf '%s\n' "basicConstraints=critical,CA:FALSE" "extendedKeyUsage=serverAuth" >"$d/dave.ext"
	openssl x509 -req -in "$d/dave.csr" -CA "$d/root/root.crt" -CAkey "$d/root/root.key" \
		-CAcreateserial -days 30 -sha256 -extfile "$d/dave.ext" \
		-out "$d/clients/dave@contoso.com.crt" 2>/dev/null
	$ctl pki create-root --name "Other Root" --out "$d/other" >/dev/null
	$ctl pki issue-client --root "$d/other" --cn mallory@contoso.com --out "$d/clients" >/dev/null
	openvpn --genkey secret "$d/ta.key" 2>/dev/null
}

thumbprint() { openssl x509 -in "$1" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :; }
cert_b64() { openssl x509 -in "$1" -outform DER | base64 -w0; }
