#!/bin/bash
# What p2sctl writes to disk: a certificate CN names a file inside --out and
# nowhere else, private keys, PKCS#12 bundles and profile packages are for
# their owner only whatever the umask, and a symlink planted where a key
# goes is not followed. No network needed.
set -u
BUILD=$(realpath "${1:-build}")
CTL=$BUILD/p2sctl
D=$(mktemp -d /tmp/p2s-cli.XXXX)
trap 'rm -rf "$D"' EXIT
FAILED=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1 ($2)"; FAILED=1; }

umask 022
"$CTL" pki create-root --name "Lab Root" --out "$D/root" >/dev/null || { fail cli-create-root "pki create-root failed"; exit 1; }
mkdir -p "$D/out"
"$CTL" pki issue-client --root "$D/root" --cn "../../escaped" --out "$D/out" --p12 --password pw >"$D/issue.log" 2>&1
if [ ! -e "$D/escaped.key" ] && [ ! -e "$D/../escaped.key" ] && ls "$D/out" | grep -q '^_\._\.\._escaped\.key$\|escaped\.key$'; then
	pass cli-cn-stays-inside
else
	fail cli-cn-stays-inside "expected the files inside $D/out, got: $(ls "$D" "$D/out" | tr '\n' ' ')"
fi
modes=$(stat -c '%a %n' "$D"/out/*.key "$D"/out/*.p12 "$D"/root/root.key 2>/dev/null | awk '{print $1}' | sort -u | tr '\n' ' ')
if [ "$modes" = "600 " ]; then pass cli-secrets-private
else fail cli-secrets-private "expected mode 600 for keys and bundles under umask 022, got: $modes"; fi
ln -s "$D/target" "$D/out/bob.key"
"$CTL" pki issue-client --root "$D/root" --cn bob --out "$D/out" >"$D/bob.log" 2>&1
if [ ! -e "$D/target" ]; then pass cli-key-symlink-refused
else fail cli-key-symlink-refused "the key was written through a symlink to $D/target"; fi
exit $FAILED
