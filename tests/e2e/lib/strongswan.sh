# Debian's strongSwan 5.9.8 in the lab: a charon per namespace, configured
# with swanctl as a user would (swanctl.conf, x509/, x509ca/, private/), as
# the IKEv2 client of a lab and as the reference responder that validates
# the lab (P2S_LAB_GATEWAY=strongswan) and anchors the benchmark; plus a
# proposal prober on charon-cmd. Needs lib/netns.sh (spawn, wait_until).
#
# What a user of this kernel must change, and nothing else (TESTBED.md):
#  - the kernel has no ESP/GCM, so the kernel-libipsec plugin (userspace
#    ESP over a TUN device, shipped disabled) is loaded ahead of
#    kernel-netlink, which then only does routes and addresses;
#  - charon writes /run/charon.pid and refuses to start when one exists, so
#    each charon gets a tmpfs /run of its own. `ip netns exec` gives every
#    command a new mount namespace with / as a slave, so that mount is never
#    seen by the host or by the next command (swan_selftest checks this);
#  - the vici socket sits in the instance's directory, where swanctl in any
#    other `ip netns exec` finds it, and the resolve plugin writes DNS
#    servers there instead of the host's /etc/resolv.conf.
#
# An instance NAME lives in $LAB_DIR/swan-NAME:
#   strongswan.conf  charon.log  charon.vici  swanctl/{swanctl.conf,x509,...}
# swan_new NAME; put files in swanctl/ and write swanctl/swanctl.conf;
# swan_start NS NAME; swan_load NAME; swan_initiate NAME CHILD; ...;
# swan_stop NAME. The lab's EXIT trap also stops charon by its PID.

SWAN_CHARON=${SWAN_CHARON:-/usr/lib/ipsec/charon}

swan_dir() { echo "$LAB_DIR/swan-$1"; }

# swan_installed: the binaries and the plugin this lab needs.
swan_installed() {
	[ -x "$SWAN_CHARON" ] && command -v swanctl >/dev/null &&
		[ -f /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ]
}

# swan_new NAME [extra strongswan.conf text inside charon { }]: a fresh
# instance directory with its strongswan.conf.
swan_new() {
	local d
	d=$(swan_dir "$1")
	mkdir -p "$d"/swanctl/{x509,x509ca,x509crl,private,pubkey,rsa,ecdsa}
	cat >"$d/strongswan.conf" <<C
# The packaged configuration, then the settings this host needs.
charon {
	load_modular = yes
	plugins {
		include /etc/strongswan.d/charon/*.conf
	}
}
include /etc/strongswan.d/*.conf

charon {
	plugins {
		# Userspace ESP: the kernel here has no ESP or GCM.
		kernel-libipsec {
			load = 2
		}
		vici {
			socket = unix://$d/charon.vici
		}
		resolve {
			file = $d/resolv.conf
		}
		stroke {
			load = no
		}
	}
	filelog {
		lab {
			path = $d/charon.log
			time_format = %H:%M:%S
			ike_name = yes
			append = no
			flush_line = yes
			default = 1
			ike = 2
			cfg = 2
			knl = 1
		}
	}
	syslog {
		daemon {
			default = -1
		}
	}
${2:-}
}
C
}

# swan_start NS NAME: starts charon in NS on a private /run; prints its PID
# once the vici socket answers (false after 10 s).
swan_start() {
	local ns=$1 d pid
	d=$(swan_dir "$2")
	pid=$(spawn "$ns" "$d/charon.out" env STRONGSWAN_CONF="$d/strongswan.conf" \
		sh -c "mount -t tmpfs tmpfs /run && exec $SWAN_CHARON")
	echo "$pid" >"$d/pid"
	if ! wait_until 10 swan_ctl "$2" --stats; then
		echo "swan $2: charon did not answer on $d/charon.vici: $(tail -n 5 "$d/charon.out" "$d/charon.log" 2>/dev/null | tr '\n' '|')" >&2
		return 1
	fi
	echo "$pid"
}

swan_pid() { cat "$(swan_dir "$1")/pid" 2>/dev/null; }

# swan_ctl NAME COMMAND [ARGS...]: swanctl against that instance's charon
# and files (the command must come first, --uri after it).
swan_ctl() {
	local d cmd=$2
	d=$(swan_dir "$1")
	shift 2
	SWANCTL_DIR=$d/swanctl STRONGSWAN_CONF=$d/strongswan.conf \
		swanctl "$cmd" --uri "unix://$d/charon.vici" "$@"
}

# swan_load NAME: loads swanctl/swanctl.conf, certificates, keys and secrets.
swan_load() {
	local d out
	d=$(swan_dir "$1")
	echo "+ swanctl --load-all ($d/swanctl)" >&2
	if ! out=$(swan_ctl "$1" --load-all --file "$d/swanctl/swanctl.conf" 2>&1); then
		echo "swan $1: swanctl --load-all failed: $out" >&2
		return 1
	fi
	grep -E "^loaded|^successfully" <<<"$out" | sed "s/^/  swan $1: /" >&2
}

# swan_initiate NAME CHILD [SECONDS]: starts the connection in the
# background (swanctl waits for the outcome, bounded by SECONDS, default 15)
# and returns at once; its output goes to initiate-CHILD.log, its PID to
# initiate-CHILD.pid (swan_initiate_wait).
swan_initiate() {
	local d
	d=$(swan_dir "$1")
	echo "+ swanctl --initiate --child $2 ($1)" >&2
	swan_ctl "$1" --initiate --child "$2" --timeout "${3:-15}" >"$d/initiate-$2.log" 2>&1 &
	echo $! >>"$LAB_DIR/pids"
	echo $! >"$d/initiate-$2.pid"
}

# swan_initiate_wait NAME CHILD [SECONDS]: until that swanctl --initiate has
# returned (it has the outcome by then), at most SECONDS (default 20).
swan_initiate_wait() {
	local pid
	pid=$(cat "$(swan_dir "$1")/initiate-$2.pid" 2>/dev/null) || return 0
	wait_until "${3:-20}" sh -c "! kill -0 $pid"
}

# swan_child_up NAME CHILD: an INSTALLED CHILD_SA of that name exists.
swan_child_up() {
	swan_ctl "$1" --list-sas --child "$2" 2>/dev/null | grep -q "$2: .*INSTALLED"
}

# swan_wait_child NAME CHILD [SECONDS]: bounded wait for the CHILD_SA.
swan_wait_child() { wait_until "${3:-15}" swan_child_up "$1" "$2"; }

# swan_vip NAME: the virtual IPv4 address the responder assigned (the
# "local ... [vip]" of the IKE_SA), or nothing.
swan_vip() {
	swan_ctl "$1" --list-sas 2>/dev/null |
		sed -n 's/^  local .*\] \[\([0-9.]*\)\]$/\1/p' | head -n 1
}

# swan_sa_field NAME REGEX: the first line of --list-sas matching REGEX.
swan_sa_line() { swan_ctl "$1" --list-sas 2>/dev/null | grep -E "$2" | head -n 1; }

# swan_terminate NAME IKE: ends the IKE_SA (and its children) cleanly.
swan_terminate() { swan_ctl "$1" --terminate --ike "$2" --timeout 5 >/dev/null 2>&1; }

# swan_stop NAME: SIGTERM to charon by PID (it deletes its SAs), bounded.
swan_stop() { stop_pid "$(swan_pid "$1")"; }

# swan_log NAME: the charon log file of the instance.
swan_log() { echo "$(swan_dir "$1")/charon.log"; }

# swan_logs NAME [LINES]: the tail of charon's log for the CI log.
swan_logs() {
	local f
	f=$(swan_log "$1")
	echo "--- charon $1 ($f, last ${2:-40} lines)"
	tail -n "${2:-40}" "$f" 2>/dev/null
	tail -n 5 "$(swan_dir "$1")/charon.out" 2>/dev/null
}

# ---------------------------------------------------------------- swanctl.conf

# swan_client_files NAME PKI USER: the user's certificate and key and the
# gateway root for a client instance.
swan_client_files() {
	local d
	d=$(swan_dir "$1")/swanctl
	cp "$2/gwroot/root.crt" "$d/x509ca/gwroot.crt"
	if [ -n "${3:-}" ]; then
		cp "$2/clients/$3@contoso.com.crt" "$d/x509/client.crt"
		cp "$2/clients/$3@contoso.com.key" "$d/private/client.key"
	fi
}

# swan_conn CONN GW_ADDR AUTH ID [CERT] [proposals] [esp_proposals]
# [extra connection settings]: one road-warrior connection (and its child of
# the same name) as a user writes it in swanctl.conf: the gateway's address
# and name ($SWAN_GW_ID), a virtual IP, the vnet ($SWAN_REMOTE_TS) as
# remote_ts, local auth pubkey | eap-mschapv2 | eap-tls with identity ID and
# certificate file CERT (x509/). Proposals default to strongSwan's own;
# $SWAN_CHILD_EXTRA goes into the child; $SWAN_VIPS (default 0.0.0.0) are
# the virtual IPs asked for ("0.0.0.0, ::" for both families).
swan_conn() {
	local conn=$1 gw=$2 auth=$3 id=$4 cert=${5:-} ike=${6:-default} esp=${7:-default} extra=${8:-}
	cat <<C
  $conn {
    version = 2
    remote_addrs = $gw
    vips = ${SWAN_VIPS:-0.0.0.0}
    proposals = $ike
    $extra
    local {
      auth = $auth
      id = $id
      ${cert:+certs = $cert}
    }
    remote {
      auth = pubkey
      id = ${SWAN_GW_ID:-gw.p2s.test}
    }
    children {
      $conn {
        remote_ts = ${SWAN_REMOTE_TS:-10.1.0.0/16}
        esp_proposals = $esp
        $SWAN_CHILD_EXTRA
      }
    }
  }
C
}
SWAN_CHILD_EXTRA=""

# swan_client_conf NAME GW_ADDR AUTH ID [proposals] [esp_proposals]
# [extra connection settings]: swanctl.conf with one connection "p2s" (see
# swan_conn; the certificate is x509/client.crt from swan_client_files) and,
# with $SWAN_EAP_SECRET set, the EAP secret of ID.
swan_client_conf() {
	local name=$1 gw=$2 auth=$3 id=$4 cert=""
	case $auth in pubkey | eap-tls) cert=client.crt ;; esac
	{
		echo "connections {"
		swan_conn p2s "$gw" "$auth" "$id" "$cert" "${5:-default}" "${6:-default}" "${7:-}"
		echo "}"
		[ -n "${SWAN_EAP_SECRET:-}" ] &&
			printf 'secrets {\n  eap-user {\n    id = %s\n    secret = "%s"\n  }\n}\n' \
				"$id" "$SWAN_EAP_SECRET"
	} >"$(swan_dir "$name")/swanctl/swanctl.conf"
	return 0
}

# The seed's default IKE and IPsec policy tables in strongSwan's proposal
# syntax (PROTOCOLS.md §2.1), what a reference responder accepts.
SWAN_SEED_IKE="aes256gcm16-prfsha384-prfsha256-modp2048s256-modp2048-ecp384-ecp256,\
aes256-sha384-sha256-modp2048s256-modp2048-ecp384-ecp256,aes256-sha256-modp1024"
SWAN_SEED_ESP="aes256gcm16,aes256gcm16-modp2048s256-modp2048-ecp384-ecp256,\
aes256-sha256,aes256-sha256-modp2048s256-modp2048-ecp384-ecp256,aes256-sha1"

# swan_gw_files NAME PKI: the gateway's certificate and key, the client
# root and its CRL (bob revoked).
swan_gw_files() {
	local d
	d=$(swan_dir "$1")/swanctl
	cp "$2/server-leaf.crt" "$d/x509/server.crt"
	cp "$2/server.key" "$d/private/server.key"
	cp "$2/root/root.crt" "$d/x509ca/clientroot.crt"
	cp "$2/root/crl.pem" "$d/x509crl/clientroot.crl"
}

# swan_gw_conf NAME POOL [ike] [esp] [extra child settings]: the reference
# responder: certificate clients (rw-cert) and EAP clients relayed to RADIUS
# (rw-eap, chosen by the client's EAP identity), a pool, the vnet as
# local_ts, the seed's default proposals unless others are given.
swan_gw_conf() {
	local name=$1 pool=$2 ike=${3:-$SWAN_SEED_IKE} esp=${4:-$SWAN_SEED_ESP} extra=${5:-}
	local conn
	{
		echo "connections {"
		for conn in cert eap; do
			local remote="auth = pubkey"
			[ $conn = eap ] && remote="auth = eap-radius
      eap_id = %any"
			cat <<C
  rw-$conn {
    version = 2
    pools = pool
    proposals = $ike
    send_certreq = yes
    local {
      auth = pubkey
      certs = server.crt
      id = gw.p2s.test
    }
    remote {
      $remote
    }
    children {
      rw {
        local_ts = 10.1.0.0/16
        esp_proposals = $esp
        $extra
      }
    }
  }
C
		done
		cat <<C
}
pools {
  pool {
    addrs = $pool
    dns = 10.1.0.4
  }
}
C
	} >"$(swan_dir "$name")/swanctl/swanctl.conf"
}

# ---------------------------------------------------------------- prober

# swan_probe NS DIR PKI GW IKE [ESP]: one charon-cmd connection from NS with
# alice's certificate offering exactly the IKE (and ESP) proposal. Prints
# accepted | NO_PROPOSAL_CHOSEN | "failed: <last log line>". The log is in
# DIR/probe-<n>.log. NS must have no other charon (ports 500/4500, ipsec0).
SWAN_PROBES=0
swan_probe() {
	local ns=$1 dir=$2 pki=$3 gw=$4 ike=$5 esp=${6:-}
	SWAN_PROBES=$((SWAN_PROBES + 1))
	local n=$SWAN_PROBES log conf pid
	log=$dir/probe-$n.log
	conf=$dir/probe.conf
	cat >"$conf" <<C
charon-cmd {
	load_modular = yes
	plugins {
		include /etc/strongswan.d/charon/*.conf
		kernel-libipsec {
			load = 2
		}
		resolve {
			file = $dir/probe-resolv.conf
		}
	}
}
C
	local args=(--host "$gw" --identity alice@contoso.com --remote-identity gw.p2s.test
		--cert "$pki/gwroot/root.crt" --cert "$pki/clients/alice@contoso.com.crt"
		--rsa "$pki/clients/alice@contoso.com.key" --remote-ts 10.1.0.0/16
		--ike-proposal "$ike" --debug 1)
	[ -n "$esp" ] && args+=(--esp-proposal "$esp")
	echo "+ probe $n: ike=$ike esp=${esp:-default} (log $log)" >&2
	pid=$(spawn "$ns" "$log" env STRONGSWAN_CONF="$conf" charon-cmd "${args[@]}")
	wait_until 15 swan_probe_done "$log" "$pid"
	stop_pid "$pid"
	if log_has "$log" "NO_PROPOSAL_CHOSEN"; then
		echo NO_PROPOSAL_CHOSEN
	elif log_has "$log" "CHILD_SA cmd\{[0-9]+\} established"; then
		echo accepted
	else
		echo "failed: $(grep -v '^+' "$log" | tail -n 1)"
	fi
}

swan_probe_done() { # LOG PID: an outcome is logged or charon-cmd is gone
	log_has "$1" "NO_PROPOSAL_CHOSEN|CHILD_SA cmd\{[0-9]+\} established|giving up|failed" ||
		! kill -0 "$2" 2>/dev/null
}

# ---------------------------------------------------------------- self-test

# swan_selftest NS: a tmpfs mounted on /run by one `ip netns exec` is
# invisible to the host and to the next `ip netns exec`. Prints why not.
swan_selftest() {
	local mark=p2s-swan-$$-$RANDOM
	ip netns exec "$1" sh -c "mount -t tmpfs tmpfs /run && touch /run/$mark && test -e /run/$mark" ||
		{ echo "cannot mount a tmpfs on /run inside 'ip netns exec'"; return 1; }
	[ -e "/run/$mark" ] && { echo "the tmpfs on /run leaked to the host"; rm -f "/run/$mark"; return 1; }
	ip netns exec "$1" test -e "/run/$mark" && { echo "the tmpfs on /run leaked into the next exec"; return 1; }
	[ -d /run/netns ] || { echo "the host lost /run/netns"; return 1; }
	return 0
}
