"""EAP-TLS peer (RFC 5216) for lib/ppp_peer.py: a TLS 1.2 client over
memory BIOs with the user's certificate, its records carried in EAP-TLS
fragments. The MSK is TLS-PRF(master secret, "client EAP encryption",
client random | server random); Python's ssl module has no exporter, so the
master secret comes from its key log and the server random from the
ServerHello seen on the wire."""
import hashlib
import hmac
import os
import ssl
import struct
import tempfile

L, M, S = 0x80, 0x40, 0x20
FRAG = 1000


def tls12_prf(secret, label, seed, n, hash_name):
    seed = label + seed
    out, a = b"", seed
    while len(out) < n:
        a = hmac.new(secret, a, hash_name).digest()
        out += hmac.new(secret, a + seed, hash_name).digest()
    return out[:n]


class EapTlsClient:
    def __init__(self, cert, key, ca):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert, key)
        ctx.load_verify_locations(ca)
        fd, self.keylog = tempfile.mkstemp(prefix="eaptls-keylog")
        os.close(fd)
        ctx.keylog_filename = self.keylog
        self.inb, self.outb = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.inb, self.outb, server_hostname="gw.p2s.test")
        self.rx = b""        # the server's flight being reassembled
        self.server_bytes = b""
        self.tx = b""        # our flight still to send
        self.done = False

    def _handshake(self):
        try:
            self.tls.do_handshake()
            self.done = True
        except ssl.SSLWantReadError:
            pass

    def _fragment(self):
        n = min(FRAG, len(self.tx))
        flags = 0
        head = b""
        if len(self.tx) > FRAG and not getattr(self, "sent_l", False):
            flags |= L
            head = struct.pack(">I", len(self.tx))
            self.sent_l = True
        if len(self.tx) > FRAG:
            flags |= M
        out = bytes([flags]) + head + self.tx[:n]
        self.tx = self.tx[n:]
        return out

    def request(self, data):
        """One EAP-TLS request's type data in; the response's type data out."""
        flags = data[0] if data else 0
        body = data[1:]
        if flags & L:
            body = body[4:]
        if flags & S:
            self._handshake()
            self.tx = self.outb.read()
            self.sent_l = False
            return self._fragment()
        self.rx += body
        if flags & M:
            return b"\x00"  # ack this fragment
        if not self.rx:  # the gateway acked our fragment
            return self._fragment() if self.tx else b"\x00"
        self.server_bytes += self.rx
        self.inb.write(self.rx)
        self.rx = b""
        self._handshake()
        self.tx = self.outb.read()
        self.sent_l = False
        return self._fragment() if self.tx else b"\x00"

    def msk(self):
        cr = ms = None
        for line in open(self.keylog):
            p = line.split()
            if len(p) == 3 and p[0] == "CLIENT_RANDOM":
                cr, ms = bytes.fromhex(p[1]), bytes.fromhex(p[2])
        os.unlink(self.keylog)
        # ServerHello: record header 5, handshake header 4, version 2, random 32
        b = self.server_bytes
        assert b[0] == 0x16 and b[5] == 0x02, "first server record is not a ServerHello"
        sr = b[11:43]
        h = "sha384" if self.tls.cipher()[0].endswith("SHA384") else "sha256"
        return tls12_prf(ms, b"client EAP encryption", cr + sr, 64, h)
