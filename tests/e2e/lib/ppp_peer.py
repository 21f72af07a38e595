#!/usr/bin/env python3
"""The PPP side of an SSTP client, for the labs.

pppd cannot run here (no kernel PPP), so this plays its part: it runs the
real `sstpc --nolaunchpppd` with a socket on its stdin (sstpc reads and
writes the async-HDLC PPP stream there), speaks LCP, MS-CHAPv2 or EAP-TLS
and IPCP to the gateway through it, hands the MPPE keys to sstpc's plugin
socket (as pppd's sstp plugin does) so sstpc sends CALL_CONNECTED with a
crypto binding, and then carries IP packets between a TUN device and PPP.

Progress lines on stdout, for the lab to wait on:
  PPP: LCP open / PPP: auth ok / PPP: auth failed ... / PPP: keys handed to sstpc
  PPP: IPCP up <addr> dns <dns1>,<dns2> gw <gateway> / PPP: link down <why>
With --dns it asks for both DNS servers (RFC 1877 options 129 and 131), as
pppd's usepeerdns does, and stops asking for one the gateway rejects.
With --ipv6 it runs IPV6CP (RFC 5072) as pppd's +ipv6 does, then plays the
kernel's part: a link-local address from the negotiated identifier, a
Router Solicitation, and the address from the advertised /64 (SLAAC):
  PPP: IPV6CP up <iid> gw <iid> / PPP: RA prefix <p>/64 routes <p/len,...>
  PPP: IPv6 address <addr> / PPP: IPV6CP protocol-rejected
Without --ipv6 an IPV6CP request is Protocol-Rejected, as pppd does.
"""
import argparse
import fcntl
import hashlib
import hmac
import os
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import time

LCP, IPCP, CHAP, EAP, IPV4, CCP, IPV6CP, IPV6 = 0xC021, 0x8021, 0xC223, 0xC227, 0x0021, 0x80FD, 0x8057, 0x0057


def log(msg):
    print("PPP: " + msg, flush=True)


# ---- async-HDLC (RFC 1662) ---------------------------------------------------

def _fcs_table():
    t = []
    for b in range(256):
        v = b
        for _ in range(8):
            v = (v >> 1) ^ 0x8408 if v & 1 else v >> 1
        t.append(v)
    return t


FCS_TAB = _fcs_table()


def fcs16(data):
    f = 0xFFFF
    for b in data:
        f = (f >> 8) ^ FCS_TAB[(f ^ b) & 0xFF]
    return f


_ESC = re.compile(rb"[\x00-\x1f\x7d\x7e]")
_UNESC = re.compile(rb"\x7d(.)", re.S)


def hdlc_encode(frame):
    f = (~fcs16(frame)) & 0xFFFF
    raw = frame + struct.pack("<H", f)
    return b"\x7e" + _ESC.sub(lambda m: bytes([0x7D, m.group()[0] ^ 0x20]), raw) + b"\x7e"


class HdlcReader:
    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        parts = self.buf.split(b"\x7e")
        self.buf = parts.pop()
        out = []
        for p in parts:
            if not p:
                continue
            raw = _UNESC.sub(lambda m: bytes([m.group(1)[0] ^ 0x20]), p)
            if len(raw) < 4 or fcs16(raw) != 0xF0B8:
                continue
            out.append(raw[:-2])
        return out


# ---- MS-CHAPv2 (RFC 2759, RFC 3079) with the openssl CLI's legacy provider -----

def _openssl(args, data):
    return subprocess.run(["openssl"] + args + ["-provider", "legacy", "-provider", "default"],
                          input=data, capture_output=True, check=True).stdout


def md4(data):
    return _openssl(["dgst", "-md4", "-binary"], data)


def des_key(k7):
    bits = int.from_bytes(k7, "big")
    return bytes(((bits >> (49 - 7 * i)) & 0x7F) << 1 for i in range(8))


def des(k7, block):
    return _openssl(["enc", "-des-ecb", "-nopad", "-K", des_key(k7).hex()], block)


MAGIC1 = b"Magic server to client signing constant"
MAGIC2 = b"Pad to make it do more than one iteration"
MPPE_MAGIC1 = b"This is the MPPE Master Key"
SEND_MAGIC = b"On the client side, this is the send key; on the server side, it is the receive key."
RECV_MAGIC = b"On the client side, this is the receive key; on the server side, it is the send key."


class MsChap:
    def __init__(self, user, password):
        self.user = user.encode()
        self.pwhash = md4(password.encode("utf-16-le"))

    def response(self, auth_chal):
        self.auth_chal = auth_chal
        self.peer_chal = os.urandom(16)
        ch = hashlib.sha1(self.peer_chal + auth_chal + self.user).digest()[:8]
        self.ch = ch
        z = self.pwhash + b"\0" * 5
        self.nt = des(z[0:7], ch) + des(z[7:14], ch) + des(z[14:21], ch)
        return self.peer_chal + b"\0" * 8 + self.nt + b"\0"

    def expected_success(self):
        hh = md4(self.pwhash)
        d = hashlib.sha1(hh + self.nt + MAGIC1).digest()
        return "S=" + hashlib.sha1(d + self.ch + MAGIC2).hexdigest().upper()

    def keys(self):
        """The client's (send, recv) MPPE keys, 16 bytes each."""
        hh = md4(self.pwhash)
        master = hashlib.sha1(hh + self.nt + MPPE_MAGIC1).digest()[:16]

        def start(magic):
            return hashlib.sha1(master + b"\0" * 40 + magic + b"\xf2" * 40).digest()[:16]
        return start(SEND_MAGIC), start(RECV_MAGIC)


# ---- sstpc -----------------------------------------------------------------

def plugin_send_keys(path, send, recv, deadline):
    """What sstp-pppd-plugin does once pppd has the MPPE keys."""
    payload = b""
    for typ, key in ((1, send), (2, recv)):
        payload += struct.pack("=HH", typ, len(key)) + key + b"\0" * ((-len(key)) % 4)
    msg = struct.pack("=IHH", 0x73737470, len(payload), 1) + payload
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)
    s.sendall(msg)
    s.settimeout(5)
    ack = s.recv(64)
    s.close()
    return len(ack) >= 8 and struct.unpack("=IHH", ack[:8])[2] == 3


# ---- TUN -------------------------------------------------------------------

def tun_open(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", name.encode(), 0x0001 | 0x1000))
    return fd


# ---- IPv6 neighbour discovery (RFC 4861), the kernel's part -----------------

def icmp6_sum(src, dst, msg):
    s = sum(struct.unpack("!16H", src + dst)) + len(msg) + 58
    m = msg + (b"\0" if len(msg) % 2 else b"")
    s += sum(struct.unpack("!%dH" % (len(m) // 2), m))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def router_solicit(src):
    dst = socket.inet_pton(socket.AF_INET6, "ff02::2")
    msg = bytearray(b"\x85\0\0\0\0\0\0\0")
    struct.pack_into("!H", msg, 2, icmp6_sum(src, dst, bytes(msg)))
    return struct.pack("!IHBB", 6 << 28, len(msg), 58, 255) + src + dst + bytes(msg)


def router_advert(pkt):
    """(prefix of the autonomous /64 or None, [route prefixes]) of an RA."""
    if len(pkt) < 56 or pkt[6] != 58 or pkt[40] != 134:
        return None
    if icmp6_sum(pkt[8:24], pkt[24:40], pkt[40:]) != 0 or pkt[7] != 255:
        return None
    prefix, routes, i = None, [], 56
    while i + 2 <= len(pkt) and pkt[i + 1]:
        t, n = pkt[i], pkt[i + 1] * 8
        o = pkt[i:i + n]
        if t == 3 and len(o) == 32 and o[2] == 64 and o[3] & 0x40:
            prefix = o[16:24]
        elif t == 24 and len(o) >= 8:
            p = (o[8:] + bytes(16))[:16]
            routes.append("%s/%d" % (socket.inet_ntop(socket.AF_INET6, p), o[2]))
        i += n
    return prefix, routes


# ---- the PPP peer ------------------------------------------------------------

def cp(code, ident, data=b""):
    return struct.pack(">BBH", code, ident, 4 + len(data)) + data


def opts(data):
    out, i = [], 0
    while i + 2 <= len(data):
        t, n = data[i], data[i + 1]
        if n < 2 or i + n > len(data):
            break
        out.append((t, data[i + 2:i + n]))
        i += n
    return out


class Peer:
    def __init__(self, a, sock):
        self.a = a
        self.sock = sock
        self.rd = HdlcReader()
        self.ident = 1
        self.magic = os.urandom(4)
        self.lcp_ours = self.lcp_theirs = False
        self.ipcp_ours = self.ipcp_theirs = False
        self.addr = b"\0\0\0\0"
        self.dns = {129: b"\0\0\0\0", 131: b"\0\0\0\0"} if a.dns else {}
        self.gw = b"\0\0\0\0"
        self.want_auth = b"\xc2\x23\x81" if a.auth == "mschapv2" else b"\xc2\x27"
        self.mschap = MsChap(a.user, a.password) if a.auth == "mschapv2" else None
        self.eaptls = None
        self.tun = None
        self.iid = os.urandom(8)  # pppd picks a random one too
        self.v6_ours = self.v6_theirs = False
        self.gw_iid = None
        self.v6_addr = None
        self.rs_left = None
        self.done = None
        self.keys = None
        self.echo_next = None  # --lcp-echo: when the next Echo-Request goes

    def send(self, proto, payload):
        self.sock.sendall(hdlc_encode(b"\xff\x03" + struct.pack(">H", proto) + payload))

    def next_id(self):
        self.ident = (self.ident + 1) & 0xFF
        return self.ident

    def start(self):
        self.lcp_req()

    def lcp_req(self):
        self.lcp_id = self.next_id()
        self.send(LCP, cp(1, self.lcp_id, b"\x01\x04\x05\xdc\x05\x06" + self.magic))

    def ipcp_req(self):
        self.ipcp_id = self.next_id()
        data = b"\x03\x06" + self.addr
        for t, v in self.dns.items():
            data += bytes([t, 6]) + v
        self.send(IPCP, cp(1, self.ipcp_id, data))

    def ipv6cp_req(self):
        self.ipv6cp_id = self.next_id()
        self.send(IPV6CP, cp(1, self.ipv6cp_id, b"\x01\x0a" + self.iid))

    # -- input
    def input(self, frame):
        if frame[:2] == b"\xff\x03":
            frame = frame[2:]
        if len(frame) < 2:
            return
        proto, info = struct.unpack(">H", frame[:2])[0], frame[2:]
        if proto == IPV4:
            if self.tun is not None:
                os.write(self.tun, info)
            return
        if proto == IPV6:
            self.ipv6_in(info)
            return
        if proto == IPV6CP and not self.a.ipv6:
            # pppd without IPv6: Protocol-Reject (RFC 1661 5.7)
            self.send(LCP, cp(8, self.next_id(), struct.pack(">H", proto) + info))
            return
        if len(info) < 4:
            return
        code, ident, ln = struct.unpack(">BBH", info[:4])
        data = info[4:ln]
        {LCP: self.lcp, CHAP: self.chap, EAP: self.eap, IPCP: self.ipcp, IPV6CP: self.ipv6cp}.get(
            proto, lambda c, i, d: None)(code, ident, data)

    def lcp(self, code, ident, data):
        if code == 1:
            rej = b"".join(bytes([t, len(v) + 2]) + v for t, v in opts(data) if t not in (1, 2, 3, 5))
            auth = [v for t, v in opts(data) if t == 3]
            if rej:
                self.send(LCP, cp(4, ident, rej))
            elif auth and auth[0] != self.want_auth:
                self.send(LCP, cp(3, ident, bytes([3, len(self.want_auth) + 2]) + self.want_auth))
            else:
                self.send(LCP, cp(2, ident, data))
                self.lcp_theirs = True
        elif code == 2 and ident == self.lcp_id:
            self.lcp_ours = True
        elif code in (3, 4) and ident == self.lcp_id:
            self.lcp_req()
        elif code == 5:
            self.send(LCP, cp(6, ident))
            self.down("the gateway terminated the link")
        elif code == 9:
            self.send(LCP, cp(10, ident, self.magic + data[4:]))
        elif code == 10:
            log("LCP echo reply %d" % ident)
        elif code == 8 and data[:2] == b"\x80\x57":
            log("IPV6CP protocol-rejected")
        if code in (1, 2) and self.lcp_ours and self.lcp_theirs and not getattr(self, "lcp_open", 0):
            self.lcp_open = 1
            log("LCP open")

    def chap(self, code, ident, data):
        if not self.mschap:
            return
        if code == 1 and len(data) >= 17 and data[0] == 16:
            value = self.mschap.response(data[1:17])
            body = bytes([49]) + value + self.a.user.encode()
            self.send(CHAP, cp(2, ident, body))
        elif code == 3:
            msg = data.decode(errors="replace")
            if not msg.startswith(self.mschap.expected_success()):
                log("auth failed: the gateway's authenticator response is wrong: " + msg)
                self.down("bad authenticator response")
                return
            log("auth ok (MS-CHAPv2)")
            self.authenticated(*self.mschap.keys())
        elif code == 4:
            log("auth failed: " + data.decode(errors="replace"))
            self.down("authentication failed")

    def eap(self, code, ident, data):
        if code == 1 and data[:1] == b"\x01":
            self.send(EAP, cp(2, ident, b"\x01" + self.a.user.encode()))
        elif code == 1 and data[:1] == b"\x0d":
            if self.eaptls is None:
                import eaptls_peer
                self.eaptls = eaptls_peer.EapTlsClient(self.a.cert, self.a.key, self.a.ca)
            out = self.eaptls.request(data[1:])
            self.send(EAP, cp(2, ident, b"\x0d" + out))
        elif code == 1 and data[:1] == b"\x04" and self.a.auth == "eapmd5" and len(data) > 2:
            chal = data[2:2 + data[1]]
            v = hashlib.md5(bytes([ident]) + self.a.password.encode() + chal).digest()
            self.send(EAP, cp(2, ident, b"\x04\x10" + v + self.a.user.encode()))
        elif code == 1:  # Nak: propose the one method we do
            self.send(EAP, cp(2, ident, b"\x03" + (b"\x04" if self.a.auth == "eapmd5" else b"\x0d")))
        elif code == 3:
            log("auth ok (EAP)")
            # EAP-MD5 derives no keys: the binding then uses a zero HLAK
            msk = self.eaptls.msk() if self.eaptls else b"\0" * 64
            # what pppd's EAP-TLS client hands its plugin: send key from
            # MSK[0:], receive key from MSK[32:], 16 bytes each
            self.authenticated(msk[0:16], msk[32:48])
        elif code == 4:
            log("auth failed: EAP-Failure")
            self.down("authentication failed")

    def authenticated(self, send, recv):
        if self.a.wrong_keys:
            send, recv = os.urandom(16), os.urandom(16)
        self.keys = (send, recv)
        path = "/var/run/sstpc/sstpc-" + self.a.ipparam
        ok = plugin_send_keys(path, send, recv, time.time() + 10)
        log("keys handed to sstpc" + ("" if ok else " (no ACK)"))
        self.ipcp_req()
        if self.a.ipv6:
            self.ipv6cp_req()

    def ipcp(self, code, ident, data):
        if code == 1:
            for t, v in opts(data):
                if t == 3:
                    self.gw = v
            self.send(IPCP, cp(2, ident, data))
            self.ipcp_theirs = True
        elif code == 2 and ident == self.ipcp_id:
            self.ipcp_ours = True
        elif code == 3 and ident == self.ipcp_id:
            for t, v in opts(data):
                if t == 3:
                    self.addr = v
                if t in self.dns:
                    self.dns[t] = v
            self.ipcp_req()
        elif code == 4 and ident == self.ipcp_id:
            for t, v in opts(data):
                self.dns.pop(t, None)
            self.ipcp_req()
        if self.ipcp_ours and self.ipcp_theirs and self.tun is None:
            self.ip_up()

    def ipv6cp(self, code, ident, data):
        if code == 1:
            for t, v in opts(data):
                if t == 1:
                    self.gw_iid = v
            self.send(IPV6CP, cp(2, ident, data))
            self.v6_theirs = True
        elif code == 2 and ident == self.ipv6cp_id:
            self.v6_ours = True
        elif code == 3 and ident == self.ipv6cp_id:
            for t, v in opts(data):
                if t == 1 and len(v) == 8:
                    self.iid = v  # the identifier the gateway steers us to
            self.ipv6cp_req()
        if self.v6_ours and self.v6_theirs and self.v6_addr is None:
            self.v6_addr = ""
            log("IPV6CP up %s gw %s" % (self.iid.hex(), (self.gw_iid or b"").hex()))
            self.v6_link()

    def v6_link(self):
        """What the kernel does once pppd configures the link-local address:
        up to 5 Router Solicitations, 2 s apart, until an advertisement
        (IPv6 flows only once IPCP is up too)."""
        if self.v6_addr is None or self.tun is None or self.rs_left is not None:
            return
        self.ll = b"\xfe\x80" + bytes(6) + self.iid
        subprocess.run(["ip", "-6", "addr", "add", socket.inet_ntop(socket.AF_INET6, self.ll) + "/64",
                        "dev", self.a.tun, "nodad"], check=True)
        self.rs_left, self.rs_next = 5, 0

    def tick(self):
        if self.a.lcp_echo and self.echo_next and time.time() >= self.echo_next:
            self.send(LCP, cp(9, self.next_id(), self.magic))
            self.echo_next = time.time() + self.a.lcp_echo
        if self.rs_left and not self.v6_addr and time.time() >= self.rs_next:
            self.send(IPV6, router_solicit(self.ll))
            self.rs_left -= 1
            self.rs_next = time.time() + 2

    def ipv6_in(self, pkt):
        ra = router_advert(pkt)
        if ra is None:
            if self.tun is not None:
                os.write(self.tun, pkt)
            return
        prefix, routes = ra
        log("RA prefix %s/64 routes %s" % (
            socket.inet_ntop(socket.AF_INET6, (prefix or bytes(8)) + bytes(8)), ",".join(routes) or "-"))
        if prefix is None or self.v6_addr:
            return
        self.v6_addr = socket.inet_ntop(socket.AF_INET6, prefix + self.iid)
        if self.tun is not None:
            subprocess.run(["ip", "-6", "addr", "add", self.v6_addr + "/128", "dev", self.a.tun, "nodad"],
                           check=True)
            for r in self.a.route6:
                subprocess.run(["ip", "-6", "route", "add", r, "dev", self.a.tun], check=True)
        log("IPv6 address " + self.v6_addr)

    def ip_up(self):
        addr = socket.inet_ntoa(self.addr)
        if self.a.tun:
            self.tun = tun_open(self.a.tun)
            subprocess.run(["ip", "addr", "add", addr + "/32", "dev", self.a.tun], check=True)
            subprocess.run(["ip", "link", "set", self.a.tun, "up", "mtu", "1400"], check=True)
            for r in self.a.route:
                subprocess.run(["ip", "route", "add", r, "dev", self.a.tun], check=True)
        dns = ",".join(socket.inet_ntoa(self.dns[t]) for t in (129, 131) if t in self.dns)
        log("IPCP up %s dns %s gw %s" % (addr, dns or "-", socket.inet_ntoa(self.gw)))
        if self.a.lcp_echo:
            self.echo_next = time.time() + self.a.lcp_echo
        self.v6_link()

    def down(self, why):
        if self.done is None:
            self.done = why
            log("link down: " + why)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--ipparam", required=True)
    ap.add_argument("--auth", choices=["mschapv2", "eaptls", "eapmd5"], default="mschapv2")
    ap.add_argument("--user", default="")
    ap.add_argument("--password", default="")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--tun")
    ap.add_argument("--route", action="append", default=[])
    ap.add_argument("--dns", action="store_true")
    ap.add_argument("--ipv6", action="store_true")
    ap.add_argument("--route6", action="append", default=[])
    ap.add_argument("--wrong-keys", action="store_true")
    ap.add_argument("--sstpc-log", default="/dev/null")
    ap.add_argument("--timeout", type=float, default=0, help="exit after this many seconds")
    ap.add_argument("--lcp-echo", type=float, default=0, help="LCP Echo-Request every this many seconds")
    a = ap.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

    os.makedirs("/var/run/sstpc", exist_ok=True)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    logf = open(a.sstpc_log, "w")
    proc = subprocess.Popen(["sstpc", "--nolaunchpppd", "--ca-cert", a.ca, "--ipparam", a.ipparam,
                             "--log-level", os.environ.get("SSTPC_LOG_LEVEL", "4"), "--log-stderr", a.server],
                            stdin=theirs, stdout=logf, stderr=logf)
    theirs.close()
    peer = Peer(a, ours)
    stop = []
    signal.signal(signal.SIGTERM, lambda *x: stop.append(1))
    signal.signal(signal.SIGINT, lambda *x: stop.append(1))
    started = False
    t_end = time.time() + a.timeout if a.timeout else None
    try:
        while not stop and peer.done is None:
            if t_end and time.time() > t_end:
                peer.down("timeout")
                break
            fds = [ours] + ([peer.tun] if peer.tun is not None else [])
            r, _, _ = select.select(fds, [], [], 0.5)
            peer.tick()
            if proc.poll() is not None and ours not in r:
                # what sstpc relayed before it went is read first
                peer.down("sstpc exited with %d" % proc.returncode)
                break
            if ours in r:
                data = ours.recv(65536)
                if not data:
                    peer.down("sstpc closed the PPP stream")
                    break
                # speak only once sstpc relays PPP (the gateway's first
                # Configure-Request), as a pppd on its pty would
                if not started:
                    peer.start()
                    started = True
                for f in peer.rd.feed(data):
                    peer.input(f)
            if peer.tun is not None and peer.tun in r:
                for _ in range(64):
                    try:
                        pkt = os.read(peer.tun, 65536)
                    except BlockingIOError:
                        break
                    if pkt[0] >> 4 == 4:
                        peer.send(IPV4, pkt)
                    elif peer.v6_addr is not None:
                        peer.send(IPV6, pkt)
                    if not select.select([peer.tun], [], [], 0)[0]:
                        break
    finally:
        if peer.done is None:
            try:
                peer.send(LCP, cp(5, peer.next_id()))
                time.sleep(0.3)
            except OSError:
                pass
            peer.down("stopped")
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
