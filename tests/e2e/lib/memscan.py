#!/usr/bin/env python3
"""memscan.py PID KEY.pem | memscan.py PID --string TEXT: how many of a private key's secrets are in the
memory of process PID. Looks for the key file's PEM body lines, its DER,
and the private exponent (RSA) or scalar (EC) as OpenSSL holds it in a
BIGNUM (little-endian limbs: the big-endian bytes reversed) and big-endian.
Prints "found N of M: names" and exits 0 if any was found, 1 if none, 2 if
the search itself failed. Regions over 1 GiB (a sanitizer's shadow memory)
are skipped; the rest is read in 1 MiB chunks that overlap by 64 bytes."""
import re
import subprocess
import sys


def secret_bytes(key):
    text = subprocess.run(["openssl", "pkey", "-in", key, "-noout", "-text"],
                          capture_output=True, text=True, check=True).stdout
    m = re.search(r"^(privateExponent|priv):\s*\n((?:\s+[0-9a-f:]+\n)+)", text, re.M)
    raw = bytes.fromhex(re.sub(r"[^0-9a-f]", "", m.group(2)))
    return raw.lstrip(b"\0")


def patterns(key):
    pem = open(key).read().splitlines()
    body = [l for l in pem if l and not l.startswith("-----")]
    der = subprocess.run(["openssl", "pkey", "-in", key, "-outform", "DER"],
                         capture_output=True, check=True).stdout
    d = secret_bytes(key)
    pats = {"pem-line-%d" % i: l.encode() for i, l in enumerate(body[1:4])}
    pats["der"] = der[:64]
    pats["secret-le"] = d[::-1][:32]
    pats["secret-be"] = d[:32]
    return pats


def regions(pid):
    for line in open("/proc/%d/maps" % pid):
        f = line.split()
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        name = f[5] if len(f) > 5 else ""
        if "r" in f[1] and name not in ("[vvar]", "[vsyscall]", "[vdso]"):
            yield lo, hi


CHUNK = 1 << 20
OVERLAP = 64  # longer than any pattern


def chunks(mem, lo, hi):
    at = lo
    while at < hi:
        try:
            mem.seek(at)
            data = mem.read(min(CHUNK + OVERLAP, hi - at))
        except (OSError, ValueError):
            return
        if not data:
            return
        yield data
        at += CHUNK


def main():
    pid, key = int(sys.argv[1]), sys.argv[2]
    pats = {"string": sys.argv[3].encode()} if key == "--string" else patterns(key)
    found, scanned = set(), 0
    with open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for lo, hi in regions(pid):
            if hi - lo > (1 << 30):
                continue
            for data in chunks(mem, lo, hi):
                scanned += len(data)
                found.update(n for n, p in pats.items() if p in data)
    print("found %d of %d in %d KiB: %s" % (len(found), len(pats), scanned >> 10,
                                           " ".join(sorted(found)) or "none"))
    return 0 if found else 1


try:
    sys.exit(main())
except Exception as e:  # a failed search must not read as "not found"
    print("memscan failed: %r" % e)
    sys.exit(2)
