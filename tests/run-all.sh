#!/bin/bash
# make check: unit tests and fuzz-corpus replays (meson test), then every
# e2e lab (tests/e2e/*.sh). Ends with one summary line of its own.
#   tests/run-all.sh [BUILD]
# P2S_LABS="openvpn-cert sstp" runs only the named labs (the CI's sanitizer
# pass); unset or empty, every lab runs.
set -u
build=${1:-build}
cd "$(dirname "$0")/.."
pass=0 fail=0 skip=0

meson test -C "$build" --print-errorlogs --num-processes 2 >"$build/unit-summary.log" 2>&1
unit_rc=$?
cat "$build/unit-summary.log"
log="$build/meson-logs/testlog.txt"
# cmocka prints per-case totals; each fuzz replay counts as one case.
while read -r n; do pass=$((pass + n)); done < <(grep -ao '^\[  PASSED  \] [0-9]*' "$log" | awk '{print $4}')
while read -r n; do fail=$((fail + n)); done < <(grep -ao '^\[  FAILED  \] [0-9]*' "$log" | awk '{print $4}')
rp=$(grep -ac '^replay: ok' "$log"); rf=$(grep -ac '^replay: FAIL' "$log")
pass=$((pass + rp)); fail=$((fail + rf))
if [ "$unit_rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=$((fail + 1)); fi

# Formatting is part of the build's contract (.clang-format at the root).
srcs=$(git ls-files 'src/*.[ch]' 'tests/unit/*.[ch]' 'fuzz/*.[ch]' 'bench/*.[ch]' 2>/dev/null)
if ! command -v clang-format >/dev/null; then
	echo "SKIP: clang-format (not installed)"; skip=$((skip + 1))
elif [ -z "$srcs" ]; then
	echo "SKIP: clang-format (not a git checkout)"; skip=$((skip + 1))
elif clang-format --dry-run --Werror $srcs >"$build/format.log" 2>&1; then
	echo "PASS: clang-format"; pass=$((pass + 1))
else
	echo "FAIL: clang-format (run 'make format'); first differences:"; head -n 20 "$build/format.log"
	fail=$((fail + 1))
fi

# The configuration man page is written from the schema: the shipped one must
# be what the generator writes now.
if "$build/p2sctl" config man | diff -u doc/p2sgw.json.5 - >"$build/man.diff" 2>&1; then
	echo "PASS: man-page-current"; pass=$((pass + 1))
else
	echo "FAIL: man-page-current (run '$build/p2sctl config man > doc/p2sgw.json.5'); first differences:"
	head -n 20 "$build/man.diff"
	fail=$((fail + 1))
fi

labs=${P2S_LABS:-}
[ -z "$labs" ] || echo "=== e2e labs limited to: $labs (P2S_LABS)"
for name in $labs; do # a misspelt name must not pass by running nothing
	[ -f "tests/e2e/$name.sh" ] || { echo "FAIL: P2S_LABS names no lab \"$name\""; fail=$((fail + 1)); }
done
for lab in tests/e2e/*.sh; do
	[ -f "$lab" ] || continue
	name=$(basename "$lab" .sh)
	[ -z "$labs" ] || [[ " $labs " == *" $name "* ]] || continue
	out="$build/e2e-$name.log"
	echo "=== e2e lab $name"
	timeout 900 bash "$lab" "$build" >"$out" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL|SKIP):' "$out"
	p=$(grep -c '^PASS:' "$out"); f=$(grep -c '^FAIL:' "$out"); s=$(grep -c '^SKIP:' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name exited $rc; last lines of $out:"; tail -n 40 "$out"; f=1
	elif [ "$f" -ne 0 ]; then
		echo "--- $out (last 60 lines)"; tail -n 60 "$out"
	fi
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
