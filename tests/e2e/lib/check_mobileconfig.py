#!/usr/bin/env python3
"""Checks an Apple configuration profile for the IKEv2 VPN the way the
devices read it (plistlib): the payload layout, the IKEv2 keys and values
Apple's client accepts, the root as DER, unique well-formed UUIDs.

    check_mobileconfig.py PROFILE FQDN [ROOT_PEM]

Exit 0 and no output when it holds; otherwise one line saying what was
expected and what the profile has."""
import plistlib
import re
import ssl
import sys

APPLE_CIPHERS = {"DES", "3DES", "AES-128", "AES-256", "AES-128-GCM", "AES-256-GCM", "ChaCha20Poly1305"}
APPLE_INTEGRITY = {"SHA1-96", "SHA1-160", "SHA2-256", "SHA2-384", "SHA2-512"}
APPLE_GROUPS = {1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 31, 32}
UUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")


def check(path, fqdn, root_pem):
    with open(path, "rb") as f:
        top = plistlib.load(f)
    if top.get("PayloadType") != "Configuration" or top.get("PayloadVersion") != 1:
        return "expected a top-level Configuration payload, version 1"
    payloads = top.get("PayloadContent", [])
    uuids = [top.get("PayloadUUID")] + [p.get("PayloadUUID") for p in payloads]
    if not all(isinstance(u, str) and UUID.match(u) for u in uuids) or len(set(uuids)) != len(uuids):
        return "expected unique upper-case UUIDs, got %s" % uuids
    by_type = {p.get("PayloadType"): p for p in payloads}
    root = by_type.get("com.apple.security.root")
    if root is None or not isinstance(root.get("PayloadContent"), bytes):
        return "expected a com.apple.security.root payload with DER data"
    if root_pem:
        der = ssl.PEM_cert_to_DER_cert(open(root_pem).read())
        if root["PayloadContent"] != der:
            return "expected the root payload to be %s" % root_pem
    vpn = by_type.get("com.apple.vpn.managed")
    if vpn is None or vpn.get("VPNType") != "IKEv2":
        return "expected a com.apple.vpn.managed payload of VPNType IKEv2"
    ike = vpn.get("IKEv2", {})
    for key in ("RemoteAddress", "RemoteIdentifier"):
        if ike.get(key) != fqdn:
            return "expected IKEv2.%s = %s, got %r" % (key, fqdn, ike.get(key))
    if ike.get("AuthenticationMethod") not in ("Certificate", "None", "SharedSecret"):
        return "unexpected AuthenticationMethod %r" % ike.get("AuthenticationMethod")
    if "PayloadCertificateUUID" in ike and ike["PayloadCertificateUUID"] not in uuids:
        return "PayloadCertificateUUID names no payload of the profile"
    for sa in ("IKESecurityAssociationParameters", "ChildSecurityAssociationParameters"):
        p = ike.get(sa)
        if not isinstance(p, dict):
            return "expected IKEv2.%s" % sa
        if p.get("EncryptionAlgorithm") not in APPLE_CIPHERS:
            return "%s.EncryptionAlgorithm %r is not one Apple knows" % (sa, p.get("EncryptionAlgorithm"))
        if p.get("IntegrityAlgorithm") not in APPLE_INTEGRITY:
            return "%s.IntegrityAlgorithm %r is not one Apple knows" % (sa, p.get("IntegrityAlgorithm"))
        if "DiffieHellmanGroup" in p and p["DiffieHellmanGroup"] not in APPLE_GROUPS:
            return "%s.DiffieHellmanGroup %r is not one Apple offers" % (sa, p["DiffieHellmanGroup"])
        if not 10 <= p.get("LifeTimeInMinutes", 0) <= 1440:
            return "%s.LifeTimeInMinutes outside 10..1440" % sa
    return None


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip().splitlines()[-4].strip())
        return 2
    try:
        why = check(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else None)
    except Exception as e:  # an unreadable plist is the finding
        why = "%s: %s" % (type(e).__name__, e)
    if why:
        print("%s: %s" % (sys.argv[1], why))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
