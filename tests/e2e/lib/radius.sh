# A private FreeRADIUS for the labs: make_raddb DIR PORT SECRET writes a
# configuration listening on 127.0.0.1:PORT (authentication) and PORT+1
# (accounting, recorded in DIR/log/radacct detail files), running as root.
# Users: alice (Framed-IP-Address, Class, Reply-Message), bob (Session-Timeout
# 5), carol, dave, and slow (answered after a 15 s delay, like an MFA push).
# Every reply carries a Message-Authenticator (BlastRADIUS mitigation).

make_raddb() {
	local d=$1 port=$2 secret=$3
	rm -rf "$d"
	cp -a /etc/freeradius/3.0 "$d"
	rm -f "$d"/sites-enabled/* "$d"/mods-enabled/eap
	sed -i -e "s|^\s*logdir = .*|logdir = $d/log|" -e "s|^\s*raddbdir = .*|raddbdir = $d|" \
		-e "s|^\s*run_dir = .*|run_dir = $d/run|" -e 's|^\s*user = freerad|#|' \
		-e 's|^\s*group = freerad|#|' "$d/radiusd.conf"
	mkdir -p "$d/log/radacct" "$d/run"
	cat >"$d/mods-enabled/delay" <<'M'
exec delay {
	wait = yes
	program = "/bin/sleep 15"
	timeout = 25
}
M
	cat >"$d/sites-enabled/lab" <<S
server default {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = $port
	}
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = $((port + 1))
	}
	authorize {
		if (User-Name == "slow") {
			delay
		}
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
	}
	preacct {
		acct_unique
	}
	accounting {
		detail
	}
	post-auth {
		update reply {
			Message-Authenticator := 0x00
		}
		Post-Auth-Type REJECT {
			update reply {
				Message-Authenticator := 0x00
			}
		}
	}
}
S
	cat >"$d/clients.conf" <<C
client gw {
	ipaddr = 127.0.0.1
	secret = $secret
}
C
	cat >"$d/mods-config/files/authorize" <<U
alice Cleartext-Password := "wonderland"
	Reply-Message := "hello alice", Class := "cls-alice", Framed-IP-Address := 172.16.201.77
bob Cleartext-Password := "builder"
	Session-Timeout := 5
carol Cleartext-Password := "carol-pw"
dave Cleartext-Password := "dave-pw"
slow Cleartext-Password := "slow-pw"
U
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

# raddb_eap DIR PKI: turns the configuration make_raddb wrote into an EAP
# server as well: EAP-MSCHAPv2 (checked against the users' passwords) and
# EAP-TLS (client certificates from the lab's client root, the gateway's
# certificate as the server's), for gateways that relay EAP (IKEv2, SSTP).
raddb_eap() {
	local d=$1 pki=$2
	cat >"$d/mods-enabled/eap" <<M
eap {
	default_eap_type = mschapv2
	timer_expire = 60
	ignore_unknown_eap_types = no
	max_sessions = \${max_requests}
	mschapv2 {
	}
	tls-config tls-common {
		private_key_file = $pki/server.key
		certificate_file = $pki/server-leaf.crt
		ca_file = $pki/root/root.crt
		cipher_list = "DEFAULT"
		tls_min_version = "1.2"
		tls_max_version = "1.2"
	}
	tls {
		tls = tls-common
	}
}
M
	python3 - "$d/sites-enabled/lab" <<'P'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("\t\tfiles\n\t\tpap\n", "\t\teap {\n\t\t\tok = return\n\t\t}\n\t\tfiles\n\t\tpap\n", 1)
s = s.replace("\t\tAuth-Type PAP {\n\t\t\tpap\n\t\t}\n",
              "\t\tAuth-Type PAP {\n\t\t\tpap\n\t\t}\n\t\tAuth-Type MS-CHAP {\n\t\t\tmschap\n\t\t}\n\t\teap\n", 1)
open(p, "w").write(s)
P
	grep -q "Auth-Type MS-CHAP" "$d/sites-enabled/lab"
}
