#!/bin/bash
# A fuzzing campaign over the libFuzzer harnesses (`make fuzzers` first):
#   fuzz/campaign.sh [-b build-fuzz] [-n RUNS] [-t SECONDS] [-w DIR] [harness...]
# One fuzzer process at a time under `nice -n 19` (the machine is shared),
# each for RUNS executions (default 10,000,000) or SECONDS (default 1800),
# whichever comes first, over a scratch corpus in DIR/fuzz-<name> (default
# /tmp) seeded from fuzz/corpus/<name>; the repo's corpora are never written.
# Prints one line per harness:
#   <name> execs=N exec/s=N cov=N ft=N corpus=N crashes=N time=Ns
# A crash, leak, timeout or sanitizer report stops that harness; its input is
# left in DIR/fuzz-<name>-artifacts/ and counted under crashes. Without
# arguments the network-facing parsers run first, then conf and static_key.
set -u
cd "$(dirname "$0")/.."
build=build-fuzz runs=10000000 secs=1800 work=/tmp
while getopts b:n:t:w: opt; do
	case $opt in
	b) build=$OPTARG ;;
	n) runs=$OPTARG ;;
	t) secs=$OPTARG ;;
	w) work=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
all="ovpn_ctl ovpn_data ovpn_rel ovpn_km2 ovpn_pw sstp ppp ike_msg ike_inner esp ike_dhcp
	radius token fwd acl mgmt conf static_key"
[ $# -gt 0 ] || set -- $all

fail=0
for name in "$@"; do
	bin=$build/fuzz/fuzz-$name
	if [ ! -x "$bin" ]; then
		echo "$name: no $bin (run 'make fuzzers')"; fail=1; continue
	fi
	dir=$work/fuzz-$name art=$work/fuzz-$name-artifacts log=$work/fuzz-$name.log
	mkdir -p "$dir" "$art"
	cp -n fuzz/corpus/"$name"/* "$dir"/ 2>/dev/null
	extra=()
	[ -f fuzz/"$name".dict ] && extra+=(-dict=fuzz/"$name".dict)
	start=$(date +%s)
	nice -n 19 "$bin" -runs="$runs" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art"/ "${extra[@]}" "$dir" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	execs=$(awk '/^stat::number_of_executed_units:/ {print $2}' "$log")
	rate=$(awk '/^stat::average_exec_per_sec:/ {print $2}' "$log")
	cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -n 1 | awk '{print $2}')
	ft=$(grep -ao 'ft: [0-9]*' "$log" | tail -n 1 | awk '{print $2}')
	crashes=$(find "$art" -type f | wc -l)
	echo "$name execs=${execs:-?} exec/s=${rate:-?} cov=${cov:-?} ft=${ft:-?}" \
		"corpus=$(find "$dir" -type f | wc -l) crashes=$crashes time=${took}s rc=$rc"
	[ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ] || fail=1
done
exit $fail
