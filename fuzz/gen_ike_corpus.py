import struct, hmac, hashlib, os, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
out = sys.argv[1]
def pl(nxt, body, crit=0): return struct.pack('!BBH', nxt, crit, 4 + len(body)) + body
def chain(items):
    # items: list of (type, body); returns (first, bytes)
    b = b''
    for i, (t, body) in enumerate(items):
        nxt = items[i+1][0] if i + 1 < len(items) else 0
        b += pl(nxt, body)
    return (items[0][0] if items else 0), b
def tf(last, t, i, bits=0):
    attr = struct.pack('!HH', 0x800e, bits) if bits else b''
    return struct.pack('!BBHBBH', 0 if last else 3, 0, 8 + len(attr), t, 0, i) + attr
def prop(last, num, proto, spi, tfs):
    body = b''.join(tf(k + 1 == len(tfs), *t) for k, t in enumerate(tfs))
    return struct.pack('!BBHBBBB', 0 if last else 2, 0, 8 + len(spi) + len(body), num, proto, len(spi), len(tfs)) + spi + body
ike_sa = prop(False, 1, 1, b'', [(1, 12, 128), (1, 12, 256), (3, 12), (3, 13), (2, 5), (2, 6), (4, 31), (4, 19), (4, 20), (4, 14)]) + \
         prop(True, 2, 1, b'', [(1, 20, 128), (1, 20, 256), (2, 5), (2, 6), (4, 19), (4, 14)])
esp_sa = prop(False, 1, 3, b'\xc1\xc2\xc3\xc4', [(1, 20, 256), (5, 0)]) + prop(True, 2, 3, b'\xc1\xc2\xc3\xc4', [(1, 12, 256), (3, 12), (3, 2), (5, 0)])
def notify(t, data=b'', proto=0, spi=b''): return struct.pack('!BBH', proto, len(spi), t) + spi + data
def hdr(nxt, exch, flags, mid, length, spir=0): return struct.pack('!QQBBBBII', 0x1122334455667788, spir, nxt, 0x20, exch, flags, mid, length)
def msg(exch, flags, mid, items, spir=0):
    first, body = chain(items)
    return hdr(first, exch, flags, mid, 28 + len(body), spir) + body
def w(d, name, data): open(os.path.join(out, d, 'seed-' + name), 'wb').write(data)
ke = struct.pack('!HH', 19, 0) + bytes(range(64))
init = msg(34, 8, 0, [(33, ike_sa), (34, ke), (40, bytes(32)), (41, notify(16388, bytes(20))), (41, notify(16389, bytes(20))), (41, notify(16430)), (41, notify(16431, b'\x00\x02\x00\x03\x00\x04')), (41, notify(16406))])
w('ike_msg', 'init-strongswan-like', init)
w('ike_msg', 'init-cookie', msg(34, 8, 0, [(41, notify(16390, bytes(range(36)))), (33, ike_sa), (34, ke), (40, bytes(32))]))
w('ike_msg', 'init-invalid-ke-reply', msg(34, 0x20, 0, [(41, notify(17, b'\x00\x0e'))]))
ts_any = struct.pack('!B3x', 1) + struct.pack('!BBHHH', 7, 0, 16, 0, 65535) + bytes(4) + b'\xff' * 4
ts6 = struct.pack('!B3x', 1) + struct.pack('!BBHHH', 8, 0, 40, 0, 65535) + bytes(16) + b'\xff' * 16
cp = struct.pack('!B3x', 1) + struct.pack('!HH', 1, 0) + struct.pack('!HH', 3, 0) + struct.pack('!HH', 8, 0)
idi = struct.pack('!B3x', 9) + b'\x30\x10\x31\x0e\x30\x0c\x06\x03\x55\x04\x03\x0c\x05alice'
auth = struct.pack('!B3x', 14) + bytes([15]) + bytes.fromhex('300d06092a864886f70d01010b0500') + bytes(256)
inner_items = [(35, idi), (37, b'\x04' + bytes(300)), (41, notify(16384)), (38, b'\x04' + bytes(20)), (36, struct.pack('!B3x', 2) + b'gw.example'), (39, auth), (47, cp), (33, esp_sa), (44, ts_any), (45, ts_any), (41, notify(16396)), (41, notify(16395))]
first, inner = chain(inner_items)
w('ike_inner', 'auth-cert', bytes([first, 1]) + inner)
first, inner = chain([(35, struct.pack('!B3x', 3) + b'bob@example'), (47, cp), (33, esp_sa), (44, ts6), (45, ts_any)])
w('ike_inner', 'auth-eap-start', bytes([first, 1]) + inner)
first, inner = chain([(48, b'\x02\x01\x00\x0a\x01carol')])
w('ike_inner', 'auth-eap-identity', bytes([first, 1]) + inner)
first, inner = chain([(41, notify(16393, b'', 3, b'\xc1\xc2\xc3\xc4')), (33, esp_sa), (40, bytes(32)), (34, ke), (44, ts_any), (45, ts_any)])
w('ike_inner', 'create-child-rekey', bytes([first, 2]) + inner)
first, inner = chain([(42, struct.pack('!BBH', 3, 4, 1) + b'\xc1\xc2\xc3\xc4'), (42, struct.pack('!BBH', 1, 0, 0))])
w('ike_inner', 'info-delete', bytes([first, 3]) + inner)
first, inner = chain([(41, notify(16400)), (41, notify(16388, bytes(20))), (41, notify(16389, bytes(20)))])
w('ike_inner', 'info-mobike-update', bytes([first, 3]) + inner)
w('ike_msg', 'auth-sk', msg(35, 8, 1, [(46, bytes(8) + bytes(64) + bytes(16))], 0x99))
w('ike_msg', 'auth-skf', msg(35, 8, 1, [(53, b'\x00\x01\x00\x02' + bytes(8) + bytes(64) + bytes(16))], 0x99))
w('ike_msg', 'info-empty', msg(37, 8, 2, [(46, bytes(8) + bytes(16) + bytes(16))], 0x99))
# the SK of an encrypted message has next=IDi
m = bytearray(msg(35, 8, 1, [(46, bytes(8) + bytes(64) + bytes(16))], 0x99)); m[28] = 35; w('ike_msg', 'auth-sk-idi', bytes(m))
# ESP with the fuzz harness keys
km = bytes((i * 13 + 1) & 0xff for i in range(80))
payload = bytes.fromhex('4500001c000000004001f7ad0a0a0a010a01000a0800f7ff00000000')
spi = b'\xc0\xff\xee\x01'
for seq in (1, 2, 77):
    s = seq.to_bytes(4, 'big'); iv = bytes(4) + s
    pad = (4 - (len(payload) + 2) % 4) % 4
    pt = payload + bytes(range(1, pad + 1)) + bytes([pad, 4])
    w('esp', 'gcm-%d' % seq, b'\x00' + spi + s + iv + AESGCM(km[:32]).encrypt(km[32:36] + iv, pt, spi + s))
    pad = (16 - (len(payload) + 2) % 16) % 16
    pt = payload + bytes(range(1, pad + 1)) + bytes([pad, 4])
    iv = bytes(range(16))
    e = Cipher(algorithms.AES(km[:32]), modes.CBC(iv)).encryptor(); ct = e.update(pt) + e.finalize()
    p = spi + s + iv + ct
    w('esp', 'cbc-sha256-%d' % seq, b'\x01' + p + hmac.new(km[32:64], p, hashlib.sha256).digest()[:16])
    w('esp', 'cbc-sha1-%d' % seq, b'\x02' + p + hmac.new(km[32:52], p, hashlib.sha1).digest()[:12])
w('esp', 'keepalive', b'\x00\xff')
