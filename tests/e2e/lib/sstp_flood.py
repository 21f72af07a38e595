#!/usr/bin/env python3
"""Opens N SSTP calls to the gateway at once and holds them, each taken
through TLS, HTTP, CALL_CONNECT and PPP up to the MS-CHAPv2 verdict (which is
where the gateway admits a session within its SSTP cap). Speaks SSTP itself,
without sstpc: 129 sstpc + PPP peers would not fit this machine.
Prints one line per call: "<i> ok", "<i> refused <CHAP failure message>" or
"<i> error <what>", then "held" and waits for stdin to close."""
import argparse
import os
import socket
import ssl
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ppp_peer import CHAP, LCP, MsChap, cp  # noqa: E402

REQ = (b"SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\n"
       b"Host: gw.p2s.test\r\nContent-Length: 18446744073709551615\r\n"
       b"SSTPCORRELATIONID: {flood}\r\n\r\n")
CONNECT_REQUEST = bytes.fromhex("1001000e0001000100010006" + "0001")


def read_exact(t, n):
    b = b""
    while len(b) < n:
        d = t.recv(n - len(b))
        if not d:
            raise EOFError("connection closed")
        b += d
    return b


def send_ppp(t, proto, payload):
    frame = b"\xff\x03" + struct.pack(">H", proto) + payload
    t.sendall(struct.pack(">BBH", 0x10, 0, len(frame) + 4) + frame)


def one_call(ctx, addr, user, password):
    t = ctx.wrap_socket(socket.create_connection((addr, 443), timeout=20),
                        server_hostname="gw.p2s.test")
    t.sendall(REQ)
    head = b""
    while b"\r\n\r\n" not in head:
        head += read_exact(t, 1)
    if not head.startswith(b"HTTP/1.1 200"):
        return t, "error HTTP " + head.split(b"\r\n")[0].decode()
    t.sendall(CONNECT_REQUEST)
    chap = MsChap(user, password)
    send_ppp(t, LCP, cp(1, 1, b"\x05\x06\x11\x22\x33\x44"))
    for _ in range(50):
        hdr = read_exact(t, 4)
        body = read_exact(t, (struct.unpack(">H", hdr[2:])[0] & 0xFFF) - 4)
        if hdr[1] & 1:
            continue  # CALL_CONNECT_ACK, echoes
        proto = struct.unpack(">H", body[2:4])[0]
        code, ident = body[4], body[5]
        data = body[8:]
        if proto == LCP and code == 1:
            send_ppp(t, LCP, cp(2, ident, data))
        elif proto == CHAP and code == 1:
            value = chap.response(data[1:17])
            send_ppp(t, CHAP, cp(2, ident, bytes([49]) + value + user.encode()))
        elif proto == CHAP and code == 3:
            return t, "ok"
        elif proto == CHAP and code == 4:
            return t, "refused " + data.decode(errors="replace")
    return t, "error no verdict"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--user", required=True, help="a %d in it is the call's number")
    ap.add_argument("--password", required=True)
    ap.add_argument("-n", type=int, default=129)
    a = ap.parse_args()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(a.ca)
    held = []
    for i in range(1, a.n + 1):
        try:
            user = a.user % i if "%" in a.user else a.user
            t, verdict = one_call(ctx, a.addr, user, a.password)
            held.append(t)
        except (OSError, EOFError) as e:
            verdict = "error " + str(e)
        print(i, verdict, flush=True)
    print("held", flush=True)
    sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main())
