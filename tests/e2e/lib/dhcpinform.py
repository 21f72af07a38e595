#!/usr/bin/env python3
"""A DHCPINFORM as Windows' IKEv2 client sends it once the tunnel is up,
from the virtual IP through the tunnel, and what came back.
    dhcpinform.py VIP SERVER
Prints one line: "type=<n> dns=<a,b> routes121=<len:dst/via,...> routes249=<...>",
or "no answer" (exit 1)."""
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


def main():
    vip, server = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((vip, 68))
    xid = 0x5A5A1234
    ciaddr = struct.unpack("!I", socket.inet_aton(vip))[0]
    req = (struct.pack("!BBBBIHHI", 1, 1, 6, 0, xid, 0, 0, ciaddr) + bytes(12) +
           bytes.fromhex("02aabbccddee") + bytes(10 + 192) + b"\x63\x82\x53\x63" +
           bytes([53, 1, 8, 55, 4, 1, 6, 121, 249, 255]))
    s.sendto(req, (server, 67))
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
        got[opts[i]] = opts[i + 2:i + 2 + opts[i + 1]]
        i += 2 + opts[i + 1]
    dns = [socket.inet_ntoa(bytes(got.get(6, b"")[k:k + 4])) for k in range(0, len(got.get(6, b"")), 4)]
    print("type=%d dns=%s routes121=%s routes249=%s" % (
        got.get(53, b"\0")[0], ",".join(dns), routes(got.get(121, b"")), routes(got.get(249, b""))))


if __name__ == "__main__":
    main()
