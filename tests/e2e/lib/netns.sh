# Network-namespace lab helpers, sourced by every lab and by the benchmark.
# Three hosts, as TESTBED.md draws them: cli (192.0.2.2) -- gw (192.0.2.1 |
# 10.1.0.1, ip_forward on) -- vnet (10.1.0.10, route to 172.16.0.0/12 via
# 10.1.0.1), plus a second client host cli2 (198.51.100.2 -- 198.51.100.1 on
# gw) so two clients never share a routing table. The virtual network is
# dual stack: gw fd00:10:1::1 -- vnet fd00:10:1::10, with a route to the
# client IPv6 pools (fd00:200::/24 holds the labs' pools) via gw, and IPv6
# forwarding on in gw.
# Names carry the PID so parallel runs never collide; the EXIT trap kills
# what the lab started (by PID) and deletes the namespaces.
# Every command is echoed ("+ ns: cmd") so a CI log reads as a transcript;
# waits poll with a bound instead of sleeping.
#
# Reporting: pass NAME / fail NAME "expected X, got Y" / skip NAME "reason"
# print PASS:/FAIL:/SKIP: lines that tests/run-all.sh counts; a lab ends with
# `exit $LAB_FAILED`. lab_require SKIPs every case in $LAB_CASES and exits 0
# when the lab cannot run here.

LAB_ID=${LAB_ID:-p2s$$}
NS_CLI=$LAB_ID-cli
NS_CLI2=$LAB_ID-cli2
NS_GW=$LAB_ID-gw
NS_VNET=$LAB_ID-vnet
LAB_DIR=$(mktemp -d "/tmp/$LAB_ID.XXXX")
LAB_FAILED=0
# Until lab_up installs the full cleanup, an early exit (a SKIP) only has
# the scratch directory to remove.
trap 'rm -rf "$LAB_DIR"' EXIT

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1 (${2:-})"; LAB_FAILED=1; }
skip() { echo "SKIP: $1 (${2:-})"; }

# Runs a command inside a namespace, echoing it first.
run() {
	local ns=$1
	shift
	echo "+ $ns: $*" >&2
	ip netns exec "$ns" "$@"
}

# Starts a background command in a namespace with output to a log file and
# prints its PID. PIDs are kept in a file, not a variable, so that
# PID=$(spawn ...) in a subshell still leaves them for the cleanup.
# `ip netns exec` execs the command, so the PID is the command's own.
spawn() {
	local ns=$1 log=$2
	shift 2
	echo "+ $ns: $* &> $log" >&2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	echo $! >>"$LAB_DIR/pids"
	echo $!
}

# Asks a process to stop, then kills it if it is still there after 5 s.
stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
}

lab_cleanup() {
	local pid ns
	for pid in $(tac "$LAB_DIR/pids" 2>/dev/null); do stop_pid "$pid"; done
	# Under an ASan/UBSan build, a report in any log fails the lab.
	local hit
	hit=$(grep -l -E "AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:" "$LAB_DIR"/*.log 2>/dev/null)
	if [ -n "$hit" ]; then
		echo "FAIL: sanitizer (reports in: $hit)"
		grep -h -A 12 -E "AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:" $hit | head -n 40
	fi
	for ns in $NS_CLI $NS_CLI2 $NS_GW $NS_VNET; do ip netns del "$ns" 2>/dev/null; done
	# A lab's per-namespace /etc files (netns_hosts), named after its own namespaces.
	for ns in $NS_CLI $NS_CLI2 $NS_GW $NS_VNET; do rm -rf "/etc/netns/$ns"; done
	[ -n "${LAB_KEEP:-}" ] || rm -rf "$LAB_DIR"
}

# SKIPs every case named in $LAB_CASES and exits 0 when the lab cannot run
# here: not root, no namespaces, no TUN, or one of the named tools missing.
lab_require() {
	local why="" tool
	[ "$(id -u)" -eq 0 ] || why="needs root for network namespaces"
	[ -z "$why" ] && ! ip netns add "$LAB_ID-probe" 2>/dev/null && why="cannot create network namespaces"
	ip netns del "$LAB_ID-probe" 2>/dev/null
	[ -z "$why" ] && [ ! -c /dev/net/tun ] && why="no /dev/net/tun"
	for tool in "$@"; do
		[ -z "$why" ] && ! command -v "$tool" >/dev/null && why="$tool is not installed"
	done
	if [ -n "$why" ]; then
		for tool in $LAB_CASES; do skip "$tool" "$why"; done
		exit 0
	fi
}

veth() { # veth NS_A IF_A ADDR_A NS_B IF_B ADDR_B
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$4" addr add "$6" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

lab_up() {
	local ns
	trap lab_cleanup EXIT
	# An interrupted lab still cleans up (the EXIT trap runs on exit).
	trap 'exit 130' INT TERM
	for ns in $NS_CLI $NS_CLI2 $NS_GW $NS_VNET; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	veth $NS_CLI c0 192.0.2.2/24 $NS_GW g0 192.0.2.1/24
	veth $NS_CLI2 c2 198.51.100.2/24 $NS_GW g2 198.51.100.1/24
	veth $NS_GW g1 10.1.0.1/24 $NS_VNET v0 10.1.0.10/24
	ip netns exec $NS_GW sysctl -qw net.ipv4.ip_forward=1
	ip -n $NS_VNET route add 172.16.0.0/12 via 10.1.0.1
	# nodad: the addresses are usable at once, not after a second of DAD.
	ip -n $NS_GW -6 addr add fd00:10:1::1/64 dev g1 nodad
	ip -n $NS_VNET -6 addr add fd00:10:1::10/64 dev v0 nodad
	ip netns exec $NS_GW sysctl -qw net.ipv6.conf.all.forwarding=1
	ip -n $NS_VNET -6 route add fd00:200::/24 via fd00:10:1::1
}

# netns_hosts NS "ADDR NAME"...: the namespace's own /etc/hosts, which
# `ip netns exec` bind-mounts over /etc/hosts for what it starts afterwards.
netns_hosts() {
	local ns=$1
	shift
	mkdir -p "/etc/netns/$ns"
	printf '127.0.0.1 localhost\n' >"/etc/netns/$ns/hosts"
	printf '%s\n' "$@" >>"/etc/netns/$ns/hosts"
	echo "+ /etc/netns/$ns/hosts: $*" >&2
}

# wait_until SECONDS COMMAND...: polls every 0.1 s; true once COMMAND is.
wait_until() {
	local limit=$1
	shift
	local n=$((limit * 10))
	while [ $n -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

listening() { # listening NS tcp|udp PORT
	ip netns exec "$1" ss -Hln --"$2" "sport = :$3" | grep -q .
}

# wait_listen NS tcp|udp PORT [SECONDS [PID]]: a listener appears (default
# 10 s); with a PID, gives up as soon as that process has exited.
wait_listen() {
	wait_until "${4:-10}" listening_or_gone "$@"
	listening "$1" "$2" "$3"
}
listening_or_gone() { # listening_or_gone NS PROTO PORT SECONDS [PID]
	listening "$1" "$2" "$3" || { [ -n "${5:-}" ] && ! kill -0 "$5" 2>/dev/null; }
}

log_has() { grep -Eq "$2" "$1" 2>/dev/null; }         # log_has FILE ERE
log_has_i() { grep -Eiq "$2" "$1" 2>/dev/null; }      # the same, any case

# wait_log FILE ERE [SECONDS]: the line appears in FILE (default 10 s).
wait_log() { wait_until "${3:-10}" log_has "$1" "$2"; }

# One line: the last N lines of a log, for a FAIL reason.
log_tail() { tail -n "${2:-3}" "$1" 2>/dev/null | tr '\n' '|'; }

# A process and its descendants, one PID a line: the gateway started as root
# is a key process with the network process as its child, and what it costs
# is both.
proc_tree() {
	echo "$1"
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do proc_tree "$c"; done
}

# Seconds of CPU (user + system) a process and its descendants have used so
# far: /proc/PID/stat fields 14 and 15, in clock ticks. The command name
# (field 2) may hold spaces, so count from the ")" that ends it: utime is
# then field 12.
cpu_seconds() {
	local p
	for p in $(proc_tree "$1"); do sed 's/.*) //' "/proc/$p/stat" 2>/dev/null; done |
		awk -v hz="$(getconf CLK_TCK)" '{t += $12 + $13} END {printf "%.2f\n", t / hz}'
}

# Resident memory (KiB) of a process and its descendants.
rss_kib() {
	local p
	for p in $(proc_tree "$1"); do cat "/proc/$p/status" 2>/dev/null; done |
		awk '/^VmRSS/ {t += $2} END {print t + 0}'
}
