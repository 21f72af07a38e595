#!/bin/bash
# A second factor from RADIUS reaching the stock openvpn client, driven
# through its management interface as GUI clients are: FreeRADIUS (stock,
# plus a small site modelled on its own sites-available/challenge example:
# password "hello", then the one-time code 123456 in an Access-Challenge
# round) asks for a code; the static challenge (SCRV1, code typed with the
# password) and the dynamic one (CRV1: the gateway relays the prompt, the
# client answers on its next connection) get in with the right code and
# are refused with a wrong one.
set -u
BUILD=$(realpath "${1:-build}")
cd "$(dirname "$0")"
. lib/netns.sh
. lib/pki.sh
. lib/radius.sh
. lib/openvpn.sh
LAB_CASES="mfa-static-good mfa-static-wrong mfa-dynamic-good mfa-dynamic-wrong mfa-challenge-logged
mfa-ask-once"
lab_require openvpn freeradius openssl python3
CTL=$BUILD/p2sctl
GW=$BUILD/p2sgw
D=$LAB_DIR
PKI=$D/pki

# The MFA site: the stock challenge example's shape with a fixed code (a
# TOTP stand-in) and an accounting listener, on PORT and PORT+1.
mfa_site() {
	cat >"$1/sites-enabled/mfa" <<S
listen {
	type = auth
	ipaddr = 127.0.0.1
	port = $2
	virtual_server = mfa
}
listen {
	type = acct
	ipaddr = 127.0.0.1
	port = $(($2 + 1))
	virtual_server = mfa
}
server mfa {
authorize {
	if (!User-Password) {
		reject
	}
	if (!State) {
		update control {
			Auth-Type := Step1
			Cleartext-Password := "hello"
		}
	}
	else {
		update control {
			Auth-Type := Step2
			Cleartext-Password := "123456"
		}
	}
}
authenticate {
	Auth-Type Step1 {
		pap
		update reply {
			Reply-Message := "Enter the code from your authenticator"
		}
		challenge
	}
	Auth-Type Step2 {
		pap
	}
}
accounting {
	ok
}
}
S
}

write_conf() {
	cat >"$D/gw.json" <<J
{
  "name": "lab-mfa", "gatewayFqdn": "gw.p2s.test",
  "stateDirectory": "$D/state", "controlSocket": "$D/p2sgw.sock",
  "serverCertificate": {"certFile": "$PKI/server.crt", "keyFile": "$PKI/server.key"},
  "openvpn": {"tlsAuthKeyFile": "$PKI/ta.key", "authTokenLifetimeSeconds": 600},
  "virtualNetwork": {"addressSpace": ["10.1.0.0/16"]},
  "vpnClientConfiguration": {
    "vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"]},
    "vpnClientProtocols": ["OpenVPN"],
    "vpnAuthenticationTypes": ["Radius"],
    "radiusServers": [{"radiusServerAddress": "127.0.0.1:1832", "radiusServerSecret": "mfa-secret"}]
  }
}
J
}

# attempt NAME static|dynamic CODE [RECONNECTS]: a client asking for user
# "mfa"; prints the driver's last line.
attempt() {
	local n=$1 mode=$2 code=$3 again=${4:-0}
	azure_profile "$D/$n.ovpn" "$PKI" alice udp
	sed -i '/^cert \|^key /d' "$D/$n.ovpn"
	echo "auth-user-pass" >>"$D/$n.ovpn"
	[ "$mode" = static ] && echo 'static-challenge "Enter the code from your authenticator" 1' >>"$D/$n.ovpn"
	ovpn_client $NS_CLI "$D" "$n" "$D/$n.ovpn" udp 192.0.2.1 1194 --route-nopull \
		--management "$D/$n.sock" unix --management-query-passwords --management-hold \
		--auth-retry interact >/dev/null
	run $NS_CLI python3 lib/ovpn_mgmt.py "$D/$n.sock" mfa hello "$code" "$mode" 90 "$again" >"$D/$n.drv" 2>&1
	cat "$D/$n.drv"
	stop_pid "$(cat "$D/$n.pid")"
}

case_result() { # case_result CASE EXPECT(connected|refused) NAME
	if grep -q "^$2" "$D/$3.drv"; then pass "$1"
	else fail "$1" "expected $2, the management driver said: $(tr '\n' '|' <"$D/$3.drv"); gateway: $(log_tail "$D/gw.log" 3)"; fi
}

# Ask once: one login with its code, then 20 reconnects within the window
# present the pushed auth-token; FreeRADIUS issues no further challenge.
ask_once() {
	local before after
	before=$(grep -c "Sent Access-Challenge" "$D/r1.log")
	attempt once dynamic 123456 20
	after=$(grep -c "Sent Access-Challenge" "$D/r1.log")
	local resumed=$(grep -c 'user "mfa" resumed a login' "$D/gw.log")
	if grep -q "^connected 21 times" "$D/once.drv" && [ $((after - before)) -eq 1 ] && [ "$resumed" -ge 20 ]; then
		pass mfa-ask-once
	else
		fail mfa-ask-once "expected 21 connections with one challenge and 20 resumed logins, got: $(tr '\n' '|' <"$D/once.drv") challenges $((after - before)), resumed $resumed"
	fi
}

main() {
	lab_up
	make_pki "$PKI" "$CTL" >/dev/null || exit 1
	make_raddb "$D/r1" 1812 mfa-secret
	mfa_site "$D/r1" 1832
	spawn $NS_GW "$D/r1.log" freeradius -f -xx -l stdout -d "$D/r1" >/dev/null
	wait_log "$D/r1.log" "Ready to process requests" 15 || { fail mfa-static-good "FreeRADIUS did not start: $(log_tail "$D/r1.log" 5)"; exit 1; }
	write_conf
	GW_PID=$(spawn $NS_GW "$D/gw.log" "$GW" --config "$D/gw.json")
	wait_listen $NS_GW udp 1194 10 "$GW_PID" || { fail mfa-static-good "gateway did not start"; exit 1; }
	attempt s-good static 123456
	case_result mfa-static-good connected s-good
	attempt s-wrong static 000000
	case_result mfa-static-wrong refused s-wrong
	attempt d-good dynamic 123456
	if grep -q "^challenge id .* prompt Enter the code from your authenticator" "$D/d-good.drv"; then
		case_result mfa-dynamic-good connected d-good
	else
		fail mfa-dynamic-good "expected the RADIUS prompt relayed as a CRV1 challenge: $(tr '\n' '|' <"$D/d-good.drv")"
	fi
	attempt d-wrong dynamic 000000
	case_result mfa-dynamic-wrong refused d-wrong
	local n=$(grep -c "Sent Access-Challenge" "$D/r1.log")
	if [ "$n" -ge 4 ] && log_has "$D/gw.log" 'RADIUS asks user "mfa" for a second factor'; then pass mfa-challenge-logged
	else fail mfa-challenge-logged "expected 4 Access-Challenges from FreeRADIUS and the gateway's log line, got $n"; fi
	ask_once
	echo "--- gateway log (tail)"
	tail -n 20 "$D/gw.log"
	exit $LAB_FAILED
}

main
