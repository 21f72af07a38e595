#!/usr/bin/env python3
"""A DHCPINFORM as Windows' IKEv2 and SSTP clients send it once the tunnel
is up, from the virtual IP through the tunnel, and what came back.
    dhcpinform.py VIP SERVER [--dev IFACE] [--kind inform|badmagic|truncated|foreign]
SERVER may be 255.255.255.255 (with --dev: out of that interface, as Windows
broadcasts on its PPP adapter). --kind sends a packet the gateway must not
answer: a wrong magic cookie, options running past the end, or another
client's address in ciaddr.
Prints one line: "type=<n> dns=<a,b> routes121=<len:dst/via,...> routes249=<...>
domain=<15> search=<119, comma separated>", or "no answer" (exit 1)."""
import argparse
import select
import socket
import struct
import sys


def routes(v):
    out, i = [], 0
    while i < len(v):
        w = v[i]
        sig = (w + 7) // 8
        dst = bytes(v[i + 1:i + 1 + sig]) + bytes(4 - sig)
        via = v[i + 1 + sig:i + 5 + sig]
        out.append("%s/%d via %s" % (socket.inet_ntoa(dst), w, socket.inet_ntoa(bytes(via))))
        i += 5 + sig
    return ",".join(out)


def names(v):
    """RFC 1035 labels (RFC 3397), uncompressed or with pointers."""
    out, i = [], 0
    while i < len(v):
        labels, j, hops = [], i, 0
        while j < len(v) and v[j] and hops < 64:
            if v[j] & 0xC0 == 0xC0:
                j, hops = ((v[j] & 0x3F) << 8) | v[j + 1], hops + 1
                continue
            labels.append(bytes(v[j + 1:j + 1 + v[j]]).decode(errors="replace"))
            j += 1 + v[j]
        out.append(".".join(labels))
        k = i  # the end of this name in the list itself
        while k < len(v) and v[k] and v[k] & 0xC0 != 0xC0:
            k += 1 + v[k]
        i = k + (2 if k < len(v) and v[k] else 1)
    return ",".join(out)


def request(vip, xid, kind):
    ciaddr = socket.inet_aton("172.31.255.254" if kind == "foreign" else vip)
    opts = bytes([53, 1, 8, 55, 6, 1, 6, 15, 119, 121, 249, 255])
    magic = b"\x63\x82\x53\x64" if kind == "badmagic" else b"\x63\x82\x53\x63"
    if kind == "truncated":
        opts = bytes([53, 1, 8, 55, 40, 1, 6])
    return (struct.pack("!BBBBIHH", 1, 1, 6, 0, xid, 0, 0) + ciaddr + bytes(12) +
            bytes.fromhex("02aabbccddee") + bytes(10 + 192) + magic + opts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vip")
    ap.add_argument("server")
    ap.add_argument("--dev")
    ap.add_argument("--kind", default="inform", choices=["inform", "badmagic", "truncated", "foreign"])
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.dev:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.dev.encode())
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.bind((a.vip, 68))
    xid = 0x5A5A1234
    s.sendto(request(a.vip, xid, a.kind), (a.server, 67))
    if not select.select([s], [], [], 5)[0]:
        print("no answer")
        sys.exit(1)
    d = s.recv(2048)
    opts, i, got = d[240:], 0, {}
    if len(d) < 240 or struct.unpack("!I", d[4:8])[0] != xid:
        print("not our answer")
        sys.exit(1)
    while i + 1 < len(opts) and opts[i] != 255:
        if opts[i] == 0:
            i += 1
            continue
        # repeated codes are one option, concatenated (RFC 3396)
        got[opts[i]] = got.get(opts[i], b"") + opts[i + 2:i + 2 + opts[i + 1]]
        i += 2 + opts[i + 1]
    dns = [socket.inet_ntoa(bytes(got.get(6, b"")[k:k + 4])) for k in range(0, len(got.get(6, b"")), 4)]
    print("type=%d dns=%s routes121=%s routes249=%s domain=%s search=%s" % (
        got.get(53, b"\0")[0], ",".join(dns), routes(got.get(121, b"")), routes(got.get(249, b"")),
        got.get(15, b"").decode(errors="replace"), names(got.get(119, b""))))


if __name__ == "__main__":
    main()
