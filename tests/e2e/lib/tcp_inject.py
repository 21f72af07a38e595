#!/usr/bin/env python3
"""A TCP relay in front of an OpenVPN-over-TCP server that can slip one bad
frame into the client's stream, at a frame boundary, on request.

  tcp_inject.py LISTEN_PORT SERVER_ADDR SERVER_PORT TRIGGER_FILE [HOLD_MS]

Connections are relayed one after another (the client reconnects through
it). When TRIGGER_FILE exists, its content names the frame sent to the
server after the client's next complete frame, and the file is removed:
"zero" (a zero-length frame) or "big" (a 3000-byte P_CONTROL_V1 packet,
longer than any control packet).

With HOLD_MS, the client's whole frames are held that long after the first
of them and sent to the server in one write, so several control packets
(a renegotiation's flight) reach the server in one read whatever the
client's socket flags."""
import os
import select
import socket
import sys
import time


def bad_frame(kind):
    if kind == "zero":
        return b"\x00\x00"
    body = bytes([4 << 3]) + b"\x55" * 2999  # P_CONTROL_V1, key id 0
    return len(body).to_bytes(2, "big") + body


def relay(cli, srv, trigger, hold):
    pending = b""  # the client's bytes not yet forming a whole frame
    held, since = b"", 0.0  # whole frames held back (HOLD_MS), from when
    socks = [cli, srv]
    while True:
        wait = 0.2 if not held else max(0.0, since + hold - time.monotonic())
        r, _, _ = select.select(socks, [], [], wait)
        if held and time.monotonic() >= since + hold:
            srv.sendall(held)
            held = b""
        if cli in r:
            data = cli.recv(65536)
            if not data:
                return
            pending += data
            out = b""
            while len(pending) >= 2:
                n = int.from_bytes(pending[:2], "big")
                if len(pending) < 2 + n:
                    break
                out += pending[: 2 + n]
                pending = pending[2 + n:]
                if os.path.exists(trigger):
                    with open(trigger) as f:
                        kind = f.read().strip()
                    os.unlink(trigger)
                    out += bad_frame(kind)
            if not hold:
                srv.sendall(out)
            elif out:
                since = since if held else time.monotonic()
                held += out
        if srv in r:
            data = srv.recv(65536)
            if not data:
                return
            cli.sendall(data)


def main():
    port, addr, sport, trigger = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    hold = int(sys.argv[5]) / 1000.0 if len(sys.argv) > 5 else 0.0
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4)
    for _ in range(100):  # bounded: a lab reconnects a handful of times
        cli, _ = ls.accept()
        try:
            srv = socket.create_connection((addr, sport), timeout=5)
            srv.settimeout(None)
            relay(cli, srv, trigger, hold)
            srv.close()
        except OSError:
            pass
        cli.close()


if __name__ == "__main__":
    main()
