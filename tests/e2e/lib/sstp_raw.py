#!/usr/bin/env python3
"""One SSTP call spoken without sstpc, taken all the way to CONNECTED: TLS,
HTTP, CALL_CONNECT, LCP, MS-CHAPv2, the crypto binding (computed here from
the MS-CHAPv2 keys and the gateway's certificate, as sstp-client does) and
IPCP. Then, after --hold seconds, it breaks the SSTP framing inside the TLS
stream (a header whose version is not 1.0) and reports what the gateway
does: "connected <address>", then "garbage sent", then "got <message>" for
each SSTP control message and "eof" when the gateway closes."""
import argparse
import hashlib
import hmac
import os
import socket
import ssl
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ppp_peer import CHAP, LCP, MsChap, cp  # noqa: E402
from sstp_flood import CONNECT_REQUEST, REQ, read_exact, send_ppp  # noqa: E402

IPCP = 0x8021
CALL_CONNECT_ACK, CALL_CONNECTED = 2, 4
NAMES = {5: "CALL_ABORT", 6: "CALL_DISCONNECT", 7: "CALL_DISCONNECT_ACK", 8: "ECHO_REQUEST",
         9: "ECHO_RESPONSE"}


def read_pkt(t):
    hdr = read_exact(t, 4)
    return hdr[1] & 1, read_exact(t, (struct.unpack(">H", hdr[2:])[0] & 0xFFF) - 4)


def connected_msg(nonce, cert_hash, hlak):
    """CALL_CONNECTED with its crypto binding attribute (SHA-256)."""
    head = struct.pack(">BBHHH", 0x10, 1, 112, CALL_CONNECTED, 1)
    attr = struct.pack(">BBH", 0, 3, 104) + b"\0\0\0\x02" + nonce + cert_hash
    cmk = hmac.new(hlak, b"SSTP inner method derived CMK" + bytes([32, 0, 1]), hashlib.sha256).digest()
    mac = hmac.new(cmk, head + attr + bytes(32), hashlib.sha256).digest()
    return head + attr + mac


def call(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(a.ca)
    t = ctx.wrap_socket(socket.create_connection((a.addr, 443), timeout=20), server_hostname="gw.p2s.test")
    cert_hash = hashlib.sha256(t.getpeercert(binary_form=True)).digest()
    t.sendall(REQ)
    head = b""
    while b"\r\n\r\n" not in head:
        head += read_exact(t, 1)
    t.sendall(CONNECT_REQUEST)
    chap = MsChap(a.user, a.password)
    send_ppp(t, LCP, cp(1, 1, b"\x05\x06\x11\x22\x33\x44"))
    nonce = addr = None
    ipcp_ours = ipcp_theirs = False
    for _ in range(100):
        ctrl, body = read_pkt(t)
        if ctrl:
            if struct.unpack(">H", body[:2])[0] == CALL_CONNECT_ACK:
                nonce = body[12:44]
            continue
        proto = struct.unpack(">H", body[2:4])[0]
        code, ident, data = body[4], body[5], body[8:]
        if proto == LCP and code == 1:
            send_ppp(t, LCP, cp(2, ident, data))
        elif proto == CHAP and code == 1:
            send_ppp(t, CHAP, cp(2, ident, bytes([49]) + chap.response(data[1:17]) + a.user.encode()))
        elif proto == CHAP and code == 3:
            send, recv = chap.keys()
            t.sendall(connected_msg(nonce, cert_hash, send + recv))
            send_ppp(t, IPCP, cp(1, 1, b"\x03\x06\0\0\0\0"))
        elif proto == CHAP and code == 4:
            return t, None
        elif proto == IPCP and code == 1:
            send_ppp(t, IPCP, cp(2, ident, data))
            ipcp_theirs = True
        elif proto == IPCP and code == 3:  # Nak: our address
            addr = data[2:6]
            send_ppp(t, IPCP, cp(1, 2, b"\x03\x06" + addr))
        elif proto == IPCP and code == 2 and addr:
            ipcp_ours = True
        if ipcp_ours and ipcp_theirs:
            return t, socket.inet_ntoa(addr)
    return t, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--hold", type=float, default=3)
    a = ap.parse_args()
    t, addr = call(a)
    if not addr:
        print("not connected", flush=True)
        return 1
    print("connected", addr, flush=True)
    time.sleep(a.hold)
    t.sendall(b"\x20\x00\x00\x08garbage!")
    print("garbage sent", flush=True)
    t.settimeout(10)
    try:
        while True:
            ctrl, body = read_pkt(t)
            if ctrl:
                kind = struct.unpack(">H", body[:2])[0]
                print("got", NAMES.get(kind, kind), flush=True)
    except (OSError, EOFError):
        print("eof", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
