#!/bin/bash
# Entra ID access tokens through the stock openvpn client (the token as the
# auth-user-pass password), the refusals Azure's gateway makes, and user
# groups placing users into their group's address pool. The gateway has only
# Azure's three AAD fields: it finds the signing keys by OpenID Connect
# discovery, over HTTPS, from a lab host that answers as
# login.microsoftonline.com (the gateway namespace's /etc/hosts, a lab CA
# named by aadCaFile).
set -u
BUILD=$(realpath "${1:-build}")
cd "$(dirname "$0")"
. lib/netns.sh
. lib/pki.sh
LAB_CASES="token-accepted refuse-expired refuse-audience refuse-issuer refuse-tenant
refuse-alg-none refuse-hs256 refuse-tampered refuse-forged-key refuse-unknown-kid
keys-by-discovery good-session-survives discovery-untrusted-ca
group-eng-pool group-sales-pool group-cert-domain-pool group-default-pool groups-listed
key-rollover"
lab_require openvpn openssl python3 ping
CTL=$BUILD/p2sctl
GW=$BUILD/p2sgw
D=$LAB_DIR
ISS="python3 lib/issuer.py"
TENANT=11111111-2222-3333-4444-555555555555

write_conf() {
	cat >"$D/gw.json" <<J
{
  "name": "lab-entra", "gatewayFqdn": "gw.p2s.test",
  "stateDirectory": "$D/state", "controlSocket": "$D/p2sgw.sock",
  "serverCertificate": {"certFile": "$D/pki/server.crt", "keyFile": "$D/pki/server.key"},
  "openvpn": {"tlsAuthKeyFile": "$D/pki/ta.key"},
  "virtualNetwork": {"addressSpace": ["10.1.0.0/16"]},
  "virtualNetworkGatewayPolicyGroups": [
    {"name": "eng", "priority": 10, "policyMembers": [{"name": "e", "attributeType": "AADGroupId", "attributeValue": "g-eng"}]},
    {"name": "sales", "priority": 20, "policyMembers": [{"name": "s", "attributeType": "AADGroupId", "attributeValue": "g-sales"}]},
    {"name": "contoso", "priority": 30, "policyMembers": [{"name": "c", "attributeType": "CertificateGroupId", "attributeValue": "contoso.com"}]},
    {"name": "everyone", "isDefault": true, "priority": 100}
  ],
  "vpnClientConfiguration": {
    "vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"]},
    "vpnClientProtocols": ["OpenVPN"],
    "vpnAuthenticationTypes": ["Certificate", "AAD"],
    "vpnClientRootCertificates": [{"name": "r", "publicCertData": "$(cert_b64 "$D/pki/root/root.crt")"}],
    "aadTenant": "https://login.microsoftonline.com/$TENANT",
    "aadIssuer": "https://sts.windows.net/$TENANT/",
    "aadAudience": "c632b3df-fb67-4d84-bdcf-b95ad541b5c8",
    "aadCaFile": "$D/tls/ca.crt",
    "vngClientConnectionConfigurations": [
      {"name": "engPool", "vpnClientAddressPool": {"addressPrefixes": ["10.50.0.0/24"]}, "virtualNetworkGatewayPolicyGroups": [{"id": "eng"}]},
      {"name": "salesPool", "vpnClientAddressPool": {"addressPrefixes": ["10.51.0.0/24"]}, "virtualNetworkGatewayPolicyGroups": [{"id": "sales"}]},
      {"name": "contosoPool", "vpnClientAddressPool": {"addressPrefixes": ["10.52.0.0/24"]}, "virtualNetworkGatewayPolicyGroups": [{"id": "contoso"}]}
    ]
  }
}
J
}

# token_client NAME [issuer options]: a client whose password is a token.
token_client() {
	local name=$1 dir=$D/issuer
	shift
	if [ "${1:-}" = --issuer-dir ]; then dir=$2; shift 2; fi
	printf 'AzureAD\n%s\n' "$($ISS token "$dir" "$@")" >"$D/$name.pass"
	spawn $NS_CLI "$D/$name.log" openvpn --config "$D/token.ovpn" --remote 192.0.2.1 443 \
		--auth-user-pass "$D/$name.pass" --dev "tun-$name" --connect-retry-max 1 \
		--route-nopull --verb 3 >/dev/null
}

up() { wait_until "${2:-15}" log_has "$D/$1.log" "Initialization Sequence Completed"; }
addr_of() { ip -n $NS_CLI -4 -o addr show dev "tun-$1" 2>/dev/null | awk '{print $4}' | cut -d/ -f1; }

refusals() {
	local now=$(date +%s)
	token_client expired --claims "{\"exp\": $((now - 1000)), \"nbf\": $((now - 5000))}"
	token_client audience --claims '{"aud": "41b23e61-6c1e-4545-b367-cd054e0ed4b4"}'
	token_client issuer --claims "{\"iss\": \"https://sts.windows.net/$TENANT\"}"
	token_client tenant --claims '{"tid": "99999999-2222-3333-4444-555555555555"}'
	token_client algnone --alg none
	token_client hs256 --alg HS256
	token_client tampered --tamper
	token_client unknownkid --kid rotated-away
	token_client forgedkey --issuer-dir "$D/forger"
	local c reason
	for c in expired:"token expired" audience:"wrong audience" issuer:"wrong issuer" \
		tenant:"wrong tenant" algnone:"not RS256" hs256:"not RS256" \
		tampered:"bad signature" forgedkey:"bad signature" unknownkid:"unknown signing key"; do
		local name=${c%%:*} want=${c#*:} case
		case $name in algnone) case=refuse-alg-none ;; hs256) case=refuse-hs256 ;;
			unknownkid) case=refuse-unknown-kid ;; forgedkey) case=refuse-forged-key ;;
			*) case=refuse-$name ;; esac
		if wait_until 10 log_has "$D/$name.log" "AUTH_FAILED" &&
			! log_has "$D/$name.log" "Initialization Sequence Completed" &&
			log_has "$D/gw.log" "access token refused: .*$want"; then
			pass "$case"
		else
			fail "$case" "expected AUTH_FAILED and a gateway line 'access token refused: ...$want'"
		fi
	done
}

groups() {
	token_client eng --claims '{"upn": "erin@contoso.com", "groups": ["g-eng", "g-other"]}'
	token_client sales --claims '{"upn": "sam@contoso.com", "groups": ["g-sales"]}'
	token_client nogroup --claims '{"upn": "nora@fabrikam.com", "groups": ["g-other"]}'
	sed -e "/<cert>/,/<\/cert>/d" -e "/<key>/,/<\/key>/d" "$D/pkg/OpenVPN/vpnconfig.ovpn" >"$D/cert.ovpn"
	spawn $NS_CLI "$D/alice.log" openvpn --config "$D/cert.ovpn" --remote 192.0.2.1 443 \
		--cert "$D/pki/clients/alice@contoso.com.crt" --key "$D/pki/clients/alice@contoso.com.key" \
		--dev tun-alice --connect-retry-max 1 --route-nopull --verb 3 >/dev/null
	local c
	for c in eng:10.50.0:group-eng-pool sales:10.51.0:group-sales-pool \
		alice:10.52.0:group-cert-domain-pool nogroup:172.16.201:group-default-pool; do
		local n=${c%%:*} rest=${c#*:}
		local net=${rest%%:*} case=${rest#*:} a
		up "$n" 15
		a=$(addr_of "$n")
		if [[ "$a" == "$net".* ]] && run $NS_CLI ping -c 1 -W 2 -I "tun-$n" "$net.1" >/dev/null; then
			pass "$case"
		else
			fail "$case" "expected an address in $net.0/24 that reaches $net.1, got '$a'"
		fi
	done
	local list
	list=$(run $NS_GW "$CTL" --socket "$D/p2sgw.sock" --output json session list)
	if python3 -c 'import json,sys; s={x["userName"]: x["group"] for x in json.load(sys.stdin)}
sys.exit(0 if s.get("erin@contoso.com")=="eng" and s.get("sam@contoso.com")=="sales" and s.get("alice@contoso.com")=="contoso" and s.get("nora@fabrikam.com")=="everyone" else 1)' <<<"$list"; then
		pass groups-listed
	else
		fail groups-listed "p2sctl session list does not show each user's group: $list"
	fi
}

# The tenant rolls a new signing key: a token signed with it is refused until
# the gateway refetches the JWKS, which the unknown kid itself triggers.
rollover() {
	$ISS init "$D/issuer2" --kid lab-key-2
	token_client rolled1 --kid lab-key-2 --claims '{"upn": "roll@contoso.com"}'
	wait_until 10 log_has "$D/rolled1.log" "AUTH_FAILED"
	python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
json.dump({"keys": a["keys"] + b["keys"]}, open(sys.argv[3], "w"))' \
		"$D/issuer/jwks.json" "$D/issuer2/jwks.json" "$KEYS.new"
	mv "$KEYS.new" "$KEYS"
	local t
	for t in 1 2 3 4 5 6 7 8; do
		printf 'AzureAD\n%s\n' "$(python3 lib/issuer.py token "$D/issuer2" --kid lab-key-2 --claims '{"upn": "roll@contoso.com"}')" >"$D/roll.pass"
		spawn $NS_CLI "$D/roll$t.log" openvpn --config "$D/token.ovpn" --remote 192.0.2.1 443 \
			--auth-user-pass "$D/roll.pass" --dev "tun-roll$t" --connect-retry-max 1 \
			--route-nopull --verb 3 >/dev/null
		if wait_until 8 log_has "$D/roll$t.log" "Initialization Sequence Completed|AUTH_FAILED" &&
			log_has "$D/roll$t.log" "Initialization Sequence Completed"; then
			pass key-rollover
			return
		fi
		sleep 1
	done
	fail key-rollover "a token signed with the new key was still refused after the JWKS gained it"
}

# A gateway told to trust another CA (the gateway PKI's root) gets no keys
# from the lab's login host, and so accepts no token.
untrusted_ca() {
	stop_pid "$GW_PID"
	sed -i "s|\"aadCaFile\": \"[^\"]*\"|\"aadCaFile\": \"$D/pki/gwroot/root.crt\"|" "$D/gw.json"
	GW_PID=$(spawn $NS_GW "$D/gw2.log" "$GW" --config "$D/gw.json")
	wait_until 10 listening $NS_GW tcp 443
	wait_until 10 log_has "$D/gw2.log" "fetching the signing keys failed"
	printf 'AzureAD\n%s\n' "$($ISS token "$D/issuer")" >"$D/untrusted.pass"
	spawn $NS_CLI "$D/untrusted.log" openvpn --config "$D/token.ovpn" --remote 192.0.2.1 443 \
		--auth-user-pass "$D/untrusted.pass" --dev tun-untr --connect-retry-max 1 \
		--route-nopull --verb 3 >/dev/null
	if wait_until 10 log_has "$D/untrusted.log" "AUTH_FAILED" &&
		log_has "$D/gw2.log" "fetching the signing keys failed: https://login.microsoftonline.com/$TENANT/v2.0/.well-known/openid-configuration: .*(SSL|certificate)" &&
		! log_has "$D/gw2.log" "signing keys refreshed"; then
		pass discovery-untrusted-ca
	else
		fail discovery-untrusted-ca "expected the discovery fetch refused for its certificate and the token refused: $(grep -E 'jwks|token' "$D/gw2.log" | tail -n 3 | tr '\n' '|')"
	fi
}

# The tenant's login host, as the gateway sees it: a lab CA, a certificate for
# login.microsoftonline.com, its metadata and keys served over HTTPS from the
# vnet host, and the gateway namespace's /etc/hosts pointing the name there.
KEYS=
discovery_host() {
	local t=$D/tls w=$D/www/$TENANT
	mkdir -p "$t" "$w/v2.0/.well-known" "$w/discovery/v2.0"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$t/ca.key" -out "$t/ca.crt" -days 2 \
		-subj "/CN=p2s lab CA" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout "$t/host.key" -out "$t/host.csr" \
		-subj "/CN=login.microsoftonline.com" 2>/dev/null
	printf 'subjectAltName=DNS:login.microsoftonline.com\nextendedKeyUsage=serverAuth\n' >"$t/ext"
	openssl x509 -req -in "$t/host.csr" -CA "$t/ca.crt" -CAkey "$t/ca.key" -CAcreateserial \
		-out "$t/host.crt" -days 2 -extfile "$t/ext" 2>/dev/null
	cat >"$w/v2.0/.well-known/openid-configuration" <<M
{"issuer": "https://login.microsoftonline.com/$TENANT/v2.0",
 "authorization_endpoint": "https://login.microsoftonline.com/$TENANT/oauth2/v2.0/authorize",
 "token_endpoint": "https://login.microsoftonline.com/$TENANT/oauth2/v2.0/token",
 "jwks_uri": "https://login.microsoftonline.com/$TENANT/discovery/v2.0/keys",
 "id_token_signing_alg_values_supported": ["RS256"]}
M
	KEYS=$w/discovery/v2.0/keys
	cp "$D/issuer/jwks.json" "$KEYS"
	spawn $NS_VNET "$D/www.log" $ISS serve "$D/www" --bind 10.1.0.10 --port 443 \
		--cert "$t/host.crt" --key "$t/host.key" >/dev/null
	wait_until 10 listening $NS_VNET tcp 443
	netns_hosts $NS_GW "10.1.0.10 login.microsoftonline.com"
}

main() {
	lab_up
	ip -n $NS_VNET route add 10.48.0.0/12 via 10.1.0.1
	make_pki "$D/pki" "$CTL"
	$ISS init "$D/issuer"
	$ISS init "$D/forger" # another key under the same kid: a forgery
	discovery_host
	write_conf
	GW_PID=$(spawn $NS_GW "$D/gw.log" "$GW" --config "$D/gw.json")
	wait_until 10 listening $NS_GW tcp 443 || { fail token-accepted "gateway did not start: $(tail -n 5 "$D/gw.log")"; exit 1; }
	"$CTL" --config "$D/gw.json" profile generate --output "$D/pkg.zip" >/dev/null
	(cd "$D" && python3 -m zipfile -e pkg.zip pkg)
	# A token user's profile: the gateway's CA and tls-auth, a password, no certificate.
	sed -e "/<cert>/,/<\/cert>/d" -e "/<key>/,/<\/key>/d" "$D/pkg/OpenVPN/vpnconfig.ovpn" >"$D/token.ovpn"
	if wait_until 10 log_has "$D/gw.log" "signing keys refreshed from https://login.microsoftonline.com/$TENANT/discovery/v2.0/keys \(jwks_uri of https://login.microsoftonline.com/$TENANT/v2.0/.well-known/openid-configuration\)"; then
		pass keys-by-discovery
	else
		fail keys-by-discovery "no keys from the discovered jwks_uri: $(grep jwks "$D/gw.log" | tail -n 3 | tr '\n' '|')"
	fi
	token_client good
	if up good && run $NS_CLI ping -c 2 -W 2 -I tun-good 172.16.201.1 >/dev/null; then pass token-accepted
	else fail token-accepted "the good token did not give a working tunnel: $(tail -n 4 "$D/good.log" | tr '\n' '|')"; fi
	refusals
	if run $NS_CLI ping -c 2 -W 2 -I tun-good 172.16.201.1 >/dev/null; then pass good-session-survives
	else fail good-session-survives "the good session stopped passing traffic"; fi
	groups
	rollover
	untrusted_ca
	echo "--- gateway log (tail)"
	tail -n 20 "$D/gw.log"
	exit $LAB_FAILED
}

main
