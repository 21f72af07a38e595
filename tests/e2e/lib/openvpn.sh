# OpenVPN pieces shared by the certificate lab and the throughput benchmark:
# the client profile an Azure gateway hands out, the client command line,
# and Debian's openvpn 2.6 as a reference server (the "gateway" a lab runs
# with P2S_LAB_GATEWAY=openvpn, and the benchmark's comparison column).
# Needs lib/netns.sh (spawn) and a PKI from lib/pki.sh.

# azure_profile OUT PKI USER [tcp|udp]: the options of an Azure-generated
# vpnconfig.ovpn (PROTOCOLS.md §1.12) with the lab's server name, the CA and
# tls-auth key inline and the user's certificate and key by path. The remote
# is given on the command line (ovpn_client) as in any lab run.
azure_profile() {
	local out=$1 pki=$2 user=$3 proto=${4:-tcp}
	cat >"$out" <<P
client
verify-x509-name gw.p2s.test name
remote-cert-tls server
dev tun
proto $proto
resolv-retry infinite
nobind
auth SHA256
cipher AES-256-GCM
persist-key
persist-tun
tls-timeout 30
tls-version-min 1.2
key-direction 1
verb 3
<ca>
$(cat "$pki/gwroot/root.crt")
</ca>
<tls-auth>
$(cat "$pki/ta.key")
</tls-auth>
cert $pki/clients/$user@contoso.com.crt
key $pki/clients/$user@contoso.com.key
P
}

# ovpn_client NS DIR NAME PROFILE tcp|udp ADDR PORT [openvpn options]: starts
# Debian's openvpn client in NS with its log in DIR/NAME.log and PID file
# DIR/NAME.pid, on a tun device of its own (tun-NAME) so clients sharing a
# namespace never collide. Prints the PID.
# --tls-timeout 2 replaces the profile's 30 s so a lost control packet is
# resent within the lab's bounds; 4 MiB socket buffers or UDP drops in the
# kernel (TESTBED.md). Options after these override them.
ovpn_client() {
	local ns=$1 dir=$2 name=$3 prof=$4 proto=$5 addr=$6 port=$7
	shift 7
	local p=$proto
	[ "$proto" = tcp ] && p=tcp-client
	spawn "$ns" "$dir/$name.out" openvpn --config "$prof" --remote "$addr" "$port" \
		--proto "$p" --dev "tun-$name" --sndbuf 4194304 --rcvbuf 4194304 \
		--tls-timeout 2 --connect-retry 1 --writepid "$dir/$name.pid" \
		--log "$dir/$name.log" "$@"
}

# ref_server NS LOG tcp|udp PORT NET MASK DEV PKI [openvpn options]: Debian's
# openvpn 2.6 as the gateway: the Azure profile's settings on the server
# side (tls-auth direction 0, HMAC-SHA256, AES-256-GCM, client certificates
# from the client root), a pool NET/MASK on tun DEV, and the virtual network
# pushed as a route. Prints the PID.
ref_server() {
	local ns=$1 log=$2 proto=$3 port=$4 net=$5 mask=$6 dev=$7 pki=$8
	shift 8
	local p=udp
	[ "$proto" = tcp ] && p=tcp-server
	spawn "$ns" "$log" openvpn --server "$net" "$mask" --topology subnet \
		--proto $p --port "$port" --dev "$dev" --dev-type tun \
		--ca "$pki/root/root.crt" --cert "$pki/server.crt" --key "$pki/server.key" \
		--dh none --tls-auth "$pki/ta.key" 0 --auth SHA256 --data-ciphers AES-256-GCM \
		--push "route 10.1.0.0 255.255.0.0" --keepalive 10 60 \
		--sndbuf 4194304 --rcvbuf 4194304 --push "sndbuf 4194304" --push "rcvbuf 4194304" \
		--verb 3 "$@"
}

# iperf_json NS OUT [iperf3 options]: one 3 s iperf3 run against the vnet
# host, JSON in OUT. The server takes one test at a time: a busy answer is
# retried twice. Prints the bytes the receiving side counted (0 on failure).
iperf_json() {
	local ns=$1 out=$2 b=0 try
	shift 2
	for try in 1 2 3; do
		run "$ns" timeout 30 iperf3 -c 10.1.0.10 -t 3 -J "$@" >"$out"
		b=$(iperf_field "$out" bytes)
		[ "$b" != 0 ] && break
		echo "iperf3 attempt $try: $(grep -o '"error":.*' "$out")" >&2
		sleep 1
	done
	echo "${b%.*}"
}

# iperf_field FILE bytes|bits_per_second: from end.sum_received; 0 if none.
iperf_field() {
	python3 -c 'import json, sys
try:
    print(json.load(open(sys.argv[1]))["end"]["sum_received"][sys.argv[2]])
except Exception:
    print(0)' "$1" "$2"
}
