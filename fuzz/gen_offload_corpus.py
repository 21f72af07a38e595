#!/usr/bin/env python3
"""Seeds for fuzz_offload: TUN super-packets as the kernel hands them (TSO
over IPv4 and IPv6, USO, a single packet with its checksum left partial)
and a client burst for the coalescer (two flows, a gap, a PSH).
    fuzz/gen_offload_corpus.py fuzz/corpus/offload"""
import os
import struct
import sys


def csum(data, acc=0):
    if len(data) % 2:
        data += b"\0"
    for i in range(0, len(data), 2):
        acc += data[i] << 8 | data[i + 1]
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return acc


def pseudo(ip, proto, l4len):
    addrs = ip[12:20] if ip[0] >> 4 == 4 else ip[8:40]
    return csum(addrs + bytes([0, proto]) + struct.pack("!H", l4len))


def ip_header(v6, proto, l4len, ident=0x1234):
    if v6:
        return (struct.pack("!IHBB", 6 << 28, l4len, proto, 64)
                + bytes.fromhex("fd000000000000000000000000000001")
                + bytes.fromhex("fd000000000000000000000000000002"))
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + l4len, ident, 0x4000, 64,
                              proto, 0, bytes([10, 1, 0, 10]), bytes([172, 16, 201, 2])))
    struct.pack_into("!H", h, 10, ~csum(bytes(h)) & 0xFFFF)
    return bytes(h)


def tcp(v6, seq, payload, flags=0x10, ident=0x1234, partial=False):
    th = bytearray(struct.pack("!HHIIBBHHH", 5001, 49153, seq, 77, 8 << 4, flags, 501, 0, 0)
                   + bytes([1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 5]))
    ip = ip_header(v6, 6, len(th) + len(payload), ident)
    ph = pseudo(ip, 6, len(th) + len(payload))
    value = ph if partial else ~csum(bytes(th) + payload, ph) & 0xFFFF
    struct.pack_into("!H", th, 16, value)
    return ip + bytes(th) + payload


def vnet(flags, gso_type, hdr_len, gso_size, start, offset):
    return struct.pack("<BBHHHH", flags, gso_type, hdr_len, gso_size, start, offset)


def main(out):
    os.makedirs(out, exist_ok=True)
    body = bytes((i * 7) & 0xFF for i in range(4 * 1448 + 100))
    seeds = {}
    for v6, name, gso in ((False, "tso4", 1), (True, "tso6", 4)):
        pkt = tcp(v6, 1000, body, 0x18, partial=True)
        l4 = 40 if v6 else 20
        seeds[name] = b"\0" + vnet(1, gso, l4 + 32, 1448, l4, 16) + pkt
    udp_payload = bytes(3 * 1200 + 1)
    uh = struct.pack("!HHHH", 5001, 12345, 8 + len(udp_payload), 0)
    seeds["uso4"] = b"\0" + vnet(0, 5, 28, 1200, 20, 6) + ip_header(False, 17, len(uh) + len(udp_payload)) + uh + udp_payload
    seeds["single-partial"] = b"\0" + vnet(1, 0, 52, 0, 20, 16) + tcp(False, 5, bytes(333), partial=True)
    seeds["single-plain"] = b"\0" + vnet(0, 0, 0, 0, 0, 0) + tcp(True, 5, bytes(10))
    burst = b""
    seq4, seq6 = 1000, 9000
    for i in range(6):
        if i == 3:
            seq4 += 1448  # a gap
        burst += b"".join(struct.pack("!H", len(p)) + p for p in (
            tcp(False, seq4, body[:1448], ident=10 + i),
            tcp(True, seq6, body[:1448], 0x18 if i == 4 else 0x10)))
        seq4 += 1448
        seq6 += 1448
    seeds["clients-burst"] = b"\1" + burst
    acks = b""
    for ack in (100, 200, 150, 300, 400):
        p = bytearray(tcp(False, 5000, b""))
        struct.pack_into("!I", p, 28, ack)
        struct.pack_into("!H", p, 36, 0)
        struct.pack_into("!H", p, 36, ~csum(bytes(p[20:]), pseudo(bytes(p), 6, len(p) - 20)) & 0xFFFF)
        acks += struct.pack("!H", len(p)) + bytes(p)
    seeds["clients-acks"] = b"\1" + acks
    for name, data in seeds.items():
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus/offload")
