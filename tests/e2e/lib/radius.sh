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
