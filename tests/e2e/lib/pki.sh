# Test PKI for the labs, made with the openssl CLI (OpenSSL 3.0) alone, so a
# lab can run against any gateway before p2sctl exists.
#
# make_pki DIR [ignored]: writes
#   gwroot/root.{crt,key}      gateway root CA ("P2S Lab Gateway Root", EC P-256)
#   server.{crt,key}           CN gw.p2s.test, RSA 2048, SHA-256, EKU serverAuth
#                              + IKE intermediate (1.3.6.1.5.5.8.2.2: what Windows
#                              and macOS IKEv2 clients want), SAN DNS:gw.p2s.test;
#                              server.crt = leaf then root, server-leaf.crt alone
#   root/root.{crt,key}        client root CA "P2S Client Root" (RSA 2048)
#   root/root.b64              its base64 DER: what goes in publicCertData
#   clients/<CN>.{crt,key}     from the client root, clientAuth, the identity
#                              also in the SAN as e-mail and UPN (the IKE
#                              identity strongSwan, Windows and macOS use):
#     alice@contoso.com (RSA 2048), alice2@, alice3@ (EC P-256), bob@ (to be
#     revoked), carol@ (validity entirely in the past), dave@ (EKU serverAuth
#     only, no clientAuth)
#   other/root.{crt,key}       an unrelated root "P2S Other Root", and from it
#     clients/mallory@contoso.com.{crt,key}
#   root/crl.pem               a CRL of the client root revoking bob (for
#                              reference servers that read CRLs)
#   bob.thumbprint             bob's SHA-1 thumbprint, 40 hex, no colons
#   ta.key                     an OpenVPN tls-auth static key
# and prints the thumbprint and the publicCertData. The second argument (once
# the p2sctl binary) is accepted and ignored so older callers keep working.
# Also runs standalone: bash tests/e2e/lib/pki.sh DIR

# The three RSA keys take ~0.15 s each: generate them side by side; EC keys
# are almost free. Whole PKI: ~0.5 s.

# One `openssl ca` configuration per CA directory: issuing through `ca` gives
# us -startdate/-enddate (an expired certificate on OpenSSL 3.0, whose
# `x509 -req` has no not-before option) and a CRL.
pki_ca_conf() { # pki_ca_conf CADIR
	local ca=$1
	: >"$ca/index.txt"
	echo 1000 >"$ca/serial"
	cat >"$ca/ca.cnf" <<C
[ca]
default_ca = lab
[lab]
dir = $ca
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = \$dir/root.crt
private_key = \$dir/root.key
default_md = sha256
default_days = 365
default_crl_days = 30
crl_extensions = crl_ext
policy = any
unique_subject = no
email_in_dn = no
copy_extensions = none
[any]
commonName = supplied
[crl_ext]
authorityKeyIdentifier = keyid:always
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = email:\${ENV::PKI_ID},otherName:1.3.6.1.4.1.311.20.2.3;UTF8:\${ENV::PKI_ID}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[noeku_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,1.3.6.1.5.5.8.2.2
subjectAltName = DNS:gw.p2s.test
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
C
}

pki_key() { # pki_key FILE rsa|ec
	if [ "$2" = rsa ]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null
	else
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
	fi
}

pki_root() { # pki_root CADIR "CN": self-signed CA from CADIR/root.key, 10 years
	openssl req -new -x509 -key "$1/root.key" -subj "/CN=$2" -days 3650 -sha256 \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$1/root.crt" 2>/dev/null
	pki_ca_conf "$1"
}

# pki_issue CADIR KEY CN EXT OUT [openssl ca options]: signs a CSR for CN.
pki_issue() {
	local ca=$1 key=$2 cn=$3 ext=$4 out=$5
	shift 5
	openssl req -new -key "$key" -subj "/CN=$cn" 2>/dev/null |
		PKI_ID=$cn openssl ca -config "$ca/ca.cnf" -batch -notext -in /dev/stdin -extensions "$ext" \
			-out "$out" "$@" 2>/dev/null
}

thumbprint() { openssl x509 -in "$1" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d :; }
cert_b64() { openssl x509 -in "$1" -outform DER | base64 -w0; }

make_pki() {
	local d=$1 c=$1/clients u p1 p2
	mkdir -p "$d/gwroot" "$d/root" "$d/other" "$c" || return 1
	# Waits name their PIDs: the caller may have background daemons running.
	pki_key "$d/server.key" rsa &
	p1=$!
	pki_key "$d/root/root.key" rsa &
	p2=$!
	pki_key "$c/alice@contoso.com.key" rsa
	pki_key "$d/gwroot/root.key" ec
	pki_key "$d/other/root.key" ec
	for u in alice2 alice3 bob carol dave mallory; do pki_key "$c/$u@contoso.com.key" ec; done
	openvpn --genkey secret "$d/ta.key" 2>/dev/null || pki_fake_ta "$d/ta.key"
	wait "$p1" "$p2"

	pki_root "$d/gwroot" "P2S Lab Gateway Root"
	pki_root "$d/root" "P2S Client Root"
	pki_root "$d/other" "P2S Other Root"

	pki_issue "$d/gwroot" "$d/server.key" gw.p2s.test server_ext "$d/server.crt"
	cp "$d/server.crt" "$d/server-leaf.crt"
	# Leaf then chain, as serverCertificate.certFile allows.
	cat "$d/gwroot/root.crt" >>"$d/server.crt"
	for u in alice alice2 alice3 bob; do
		pki_issue "$d/root" "$c/$u@contoso.com.key" "$u@contoso.com" client_ext "$c/$u@contoso.com.crt"
	done
	pki_issue "$d/root" "$c/carol@contoso.com.key" carol@contoso.com client_ext \
		"$c/carol@contoso.com.crt" -startdate 20200101000000Z -enddate 20200201000000Z
	pki_issue "$d/root" "$c/dave@contoso.com.key" dave@contoso.com noeku_ext "$c/dave@contoso.com.crt"
	pki_issue "$d/other" "$c/mallory@contoso.com.key" mallory@contoso.com client_ext \
		"$c/mallory@contoso.com.crt"

	PKI_ID=- openssl ca -config "$d/root/ca.cnf" -revoke "$c/bob@contoso.com.crt" 2>/dev/null
	PKI_ID=- openssl ca -config "$d/root/ca.cnf" -gencrl -out "$d/root/crl.pem" 2>/dev/null

	thumbprint "$c/bob@contoso.com.crt" >"$d/bob.thumbprint"
	cert_b64 "$d/root/root.crt" >"$d/root/root.b64"
	pki_check "$d" || return 1
	echo "pki: $d; bob's thumbprint $(cat "$d/bob.thumbprint")"
	echo "pki: client root publicCertData $(cat "$d/root/root.b64")"
}

# Only if the openvpn binary is missing (the labs then SKIP anyway): a file
# in the static-key format so the rest of the PKI is still usable.
pki_fake_ta() {
	{
		echo "-----BEGIN OpenVPN Static key V1-----"
		openssl rand -hex 256 | fold -w 32
		echo "-----END OpenVPN Static key V1-----"
	} >"$1"
}

# Fails loudly if a step above failed silently (its errors go to /dev/null).
pki_check() {
	local d=$1 f
	for f in server.crt server.key ta.key root/root.crt root/crl.pem other/root.crt \
		clients/{alice,alice2,alice3,bob,carol,dave,mallory}@contoso.com.crt; do
		if [ ! -s "$d/$f" ]; then
			echo "pki: $d/$f was not made" >&2
			return 1
		fi
	done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
	make_pki "$1"
fi
