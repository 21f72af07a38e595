#!/usr/bin/env python3
"""A forger for the RADIUS lab, not a RADIUS server: it answers every
Access-Request with an Access-Accept made with a secret that is not the
gateway's (Response Authenticator and Message-Authenticator both), the shape
of an on-path attacker's reply. The gateway must drop each one.

  radius-forger.py PORT WRONG_SECRET
"""
import hashlib, hmac, socket, struct, sys


def forge(req, secret):
    code, ident = 2, req[1]
    req_auth = req[4:20]
    attrs = bytes([8, 6, 172, 16, 201, 99])          # Framed-IP-Address
    attrs += bytes([80, 18]) + bytes(16)             # Message-Authenticator, zero for now
    length = 20 + len(attrs)
    head = struct.pack("!BBH", code, ident, length)
    ma = hmac.new(secret, head + req_auth + attrs, hashlib.md5).digest()
    attrs = attrs[:-16] + ma
    resp_auth = hashlib.md5(head + req_auth + attrs + secret).digest()
    return head + resp_auth + attrs


def main():
    port, secret = int(sys.argv[1]), sys.argv[2].encode()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    print("forging replies on 127.0.0.1:%d" % port, flush=True)
    while True:
        req, peer = s.recvfrom(4096)
        if len(req) >= 20 and req[0] == 1:
            s.sendto(forge(req, secret), peer)
            print("forged an Access-Accept for id %d" % req[1], flush=True)


if __name__ == "__main__":
    sys.exit(main())
