#!/bin/bash
# IKEv2, what the gateway does on its own: it rekeys CHILD SAs at the data
# volume a custom vpnClientIpsecPolicies entry names (saDataSizeKilobytes),
# during an iperf3 run, without losing an interval, and after a reload to
# the default policy (Azure's 100 GB) starts none; it answers a DHCPINFORM
# sent through the tunnel (as Windows sends it) with the DNS servers and
# the routes as classless static routes (options 121 and 249), and
# forwards none of it. The client is Debian's strongSwan with userspace ESP
# (lib/strongswan.sh), offering exactly the custom policy.
#   tests/e2e/ikev2-gateway.sh [BUILD_DIR]
set -u
BUILD=$(realpath "${1:-build}")
cd "$(dirname "$0")" || exit 2
. lib/netns.sh
. lib/pki.sh
. lib/openvpn.sh
. lib/strongswan.sh
LAB_CASES="gw-rekey-by-volume gw-rekey-traffic-unbroken gw-rekey-none-by-default
dhcp-inform-routes dhcp-inform-not-forwarded"
GW=$BUILD/p2sgw
CTL=$BUILD/p2sctl
D=$LAB_DIR
PKI=$D/pki
POOL=172.16.202.0/24
# 50 MB: a rekey every second or so of iperf3 through the tunnel, and at
# least two in the 8 s run even at 100 Mbit/s on a loaded machine.
POLICY='{"saLifeTimeSeconds": 3600, "saDataSizeKilobytes": 51200,
  "ipsecEncryption": "GCMAES256", "ipsecIntegrity": "GCMAES256",
  "ikeEncryption": "GCMAES256", "ikeIntegrity": "SHA256",
  "dhGroup": "ECP256", "pfsGroup": "None"}'
IKE=aes256gcm16-prfsha256-ecp256
ESP=aes256gcm16

lab_require iperf3 openssl python3 ss charon-cmd swanctl
if ! swan_installed; then
	for c in $LAB_CASES; do skip "$c" "strongSwan's charon with kernel-libipsec is not installed"; done
	exit 0
fi
[ -x "$GW" ] || { for c in $LAB_CASES; do skip "$c" "no $GW: build first"; done; exit 0; }

write_conf() { # write_conf [vpnClientIpsecPolicies JSON array]
	cat >"$D/gw.json" <<J
{
  "name": "lab-gwrekey", "sku": "VpnGw1", "vpnGatewayGeneration": "Generation1",
  "vpnType": "RouteBased", "gatewayFqdn": "gw.p2s.test",
  "stateDirectory": "$D/state", "controlSocket": "$D/p2sgw.sock", "logLevel": "info",
  "tunInterface": "p2s0",
  "listen": {"address": "0.0.0.0", "tcpPort": 443, "udpPort": 1194},
  "serverCertificate": {"certFile": "$PKI/server.crt", "keyFile": "$PKI/server.key"},
  "virtualNetwork": {"addressSpace": ["10.1.0.0/16"], "dnsServers": ["10.1.0.4"]},
  "customRoutes": {"addressPrefixes": ["192.168.50.0/24"]},
  "vpnClientConfiguration": {
    "vpnClientAddressPool": {"addressPrefixes": ["$POOL"]},
    "vpnClientProtocols": ["IkeV2"],
    "vpnAuthenticationTypes": ["Certificate"],
    "vpnClientRootCertificates": [{"name": "P2SClientRoot",
      "publicCertData": "$(cat "$PKI/root/root.b64")"}],
    "vpnClientIpsecPolicies": ${1:-[]}
  }
}
J
}

GWLOG=$D/gw.log
gw_rekeys() { grep -c "CHILD SA rekeyed by the gateway" "$GWLOG"; }

# iperf_intervals OUT SECONDS: one upload run; prints "intervals empty bytes".
iperf_intervals() {
	run $NS_CLI timeout $(($2 + 30)) iperf3 -c 10.1.0.10 -t "$2" -i 1 -J >"$1"
	python3 - "$1" <<'P'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
    iv = [i["sum"]["bytes"] for i in j["intervals"]]
    print(len(iv), sum(1 for b in iv if b == 0), j["end"]["sum_received"]["bytes"])
except Exception:
    print(0, 0, 0)
P
}

# A DHCPINFORM from the virtual IP to the gateway's vnet side (inside the
# selectors): the answer names DNS 10.1.0.4 and the vnet and customRoutes.
dhcp_cases() {
	local vip out
	vip=$(swan_vip alice)
	spawn $NS_VNET "$D/vnet-dhcp.log" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 67))
print("forwarded:", s.recvfrom(2048)[1], flush=True)' >/dev/null
	wait_listen $NS_VNET udp 67 5
	out=$(run $NS_CLI python3 "$PWD/lib/dhcpinform.py" "$vip" 10.1.0.1)
	echo "dhcpinform: $out"
	case $out in
	*"type=5 dns=10.1.0.4 routes121=10.1.0.0/16 via 172.16.202.1,192.168.50.0/24 via 172.16.202.1 routes249=10.1.0.0/16 via 172.16.202.1,192.168.50.0/24 via 172.16.202.1"*)
		pass dhcp-inform-routes ;;
	*) fail dhcp-inform-routes "expected a DHCPACK with DNS 10.1.0.4 and routes 10.1.0.0/16 and 192.168.50.0/24 via 172.16.202.1 in options 121 and 249, got: $out" ;;
	esac
	if log_has "$D/vnet-dhcp.log" forwarded; then
		fail dhcp-inform-not-forwarded "expected the gateway to answer the DHCPINFORM itself, the vnet host got it: $(cat "$D/vnet-dhcp.log")"
	else
		pass dhcp-inform-not-forwarded
	fi
}

main() {
	lab_up
	make_pki "$PKI" >/dev/null || { fail gw-rekey-by-volume "expected a test PKI, got errors"; exit 1; }
	write_conf "[$POLICY]"
	spawn $NS_VNET "$D/iperf.log" iperf3 -s >/dev/null
	wait_listen $NS_VNET tcp 5201
	spawn $NS_GW "$GWLOG" "$GW" --config "$D/gw.json" >/dev/null
	if ! wait_listen $NS_GW udp 4500 10; then
		fail gw-rekey-by-volume "expected p2sgw on UDP 4500; log: $(log_tail "$GWLOG" 5)"
		exit 1
	fi
	swan_new alice
	swan_client_files alice "$PKI" alice
	swan_client_conf alice 192.0.2.1 pubkey alice@contoso.com $IKE $ESP
	if ! swan_start $NS_CLI alice >/dev/null || ! swan_load alice; then
		fail gw-rekey-by-volume "expected the client's charon to start; $(swan_logs alice 5)"
		exit 1
	fi
	swan_initiate alice p2s
	if ! swan_wait_child alice p2s 15; then
		fail gw-rekey-by-volume "expected a CHILD_SA with the custom policy; $(swan_logs alice 10)"
		exit 1
	fi
	local n zero bytes before after
	read -r n zero bytes < <(iperf_intervals "$D/iperf-1.json" 8)
	after=$(gw_rekeys)
	echo "custom policy: $bytes B in $n intervals ($zero empty), $after gateway rekeys"
	if [ "$after" -ge 2 ]; then pass gw-rekey-by-volume
	else fail gw-rekey-by-volume "expected >= 2 CHILD rekeys started by the gateway at 50 MB each over $bytes B, got $after; $(log_tail "$GWLOG" 5)"; fi
	if [ "$n" -ge 7 ] && [ "$zero" -eq 0 ] && swan_child_up alice p2s; then pass gw-rekey-traffic-unbroken
	else fail gw-rekey-traffic-unbroken "expected 8 one-second intervals all with data and the SA up, got $n intervals, $zero empty"; fi
	dhcp_cases
	# The default policy (100 GB, 7.5 h): the same traffic starts no rekey.
	write_conf
	run $NS_GW "$CTL" --config "$D/gw.json" gateway reload >/dev/null
	before=$(gw_rekeys)
	read -r n zero bytes < <(iperf_intervals "$D/iperf-2.json" 4)
	after=$(gw_rekeys)
	if [ "$bytes" -gt 52428800 ] && [ "$after" -eq "$before" ]; then pass gw-rekey-none-by-default
	else fail gw-rekey-none-by-default "expected more than the custom policy's 50 MB and no gateway rekey under the default policy, got $bytes B and $((after - before)) rekeys"; fi
	swan_stop alice
	[ "$LAB_FAILED" -eq 0 ] || { echo "--- gateway log"; tail -n 30 "$GWLOG"; swan_logs alice 20; }
	exit "$LAB_FAILED"
}

main
