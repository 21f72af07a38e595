#!/usr/bin/env python3
"""A test token issuer for the labs: an RSA key (made with the openssl CLI), its
JWKS, and signed access tokens shaped like Entra ID's, good or deliberately bad.

  issuer.py init DIR [--kid KID]
  issuer.py token DIR [--kid KID] [--alg RS256|HS256|none] [--tamper]
                      [--claims JSON]   (merged over good defaults)
  issuer.py serve WWW --cert PEM --key PEM [--bind ADDR] [--port N]
                      (the tenant's OpenID Connect metadata and keys, over HTTPS)
"""
import argparse, base64, hashlib, hmac, json, os, subprocess, sys, time

TENANT = "11111111-2222-3333-4444-555555555555"
AUDIENCE = "c632b3df-fb67-4d84-bdcf-b95ad541b5c8"
ISSUER = "https://sts.windows.net/%s/" % TENANT


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def init(d, kid):
    os.makedirs(d, exist_ok=True)
    key = os.path.join(d, "key.pem")
    subprocess.run(["openssl", "genrsa", "-out", key, "2048"], check=True,
                   stderr=subprocess.DEVNULL)
    subprocess.run(["openssl", "rsa", "-in", key, "-pubout", "-out",
                    os.path.join(d, "pub.pem")], check=True, stderr=subprocess.DEVNULL)
    out = subprocess.run(["openssl", "rsa", "-in", key, "-noout", "-modulus"],
                         check=True, capture_output=True, text=True).stdout
    n = bytes.fromhex(out.strip().split("=", 1)[1])
    jwks = {"keys": [{"kty": "RSA", "use": "sig", "kid": kid,
                      "n": b64url(n), "e": b64url((65537).to_bytes(3, "big"))}]}
    with open(os.path.join(d, "jwks.json"), "w") as f:
        json.dump(jwks, f)


def sign_rs256(d, data):
    return subprocess.run(["openssl", "dgst", "-sha256", "-sign", os.path.join(d, "key.pem")],
                          input=data, check=True, capture_output=True).stdout


def token(d, kid, alg, claims, tamper):
    now = int(time.time())
    payload = {"aud": AUDIENCE, "iss": ISSUER, "tid": TENANT, "iat": now - 60,
               "nbf": now - 60, "exp": now + 3600, "oid": "0a0a0a0a-0000-4000-8000-000000000001",
               "upn": "user@contoso.com", "ver": "1.0"}
    payload.update(claims)
    header = {"typ": "JWT", "alg": alg, "kid": kid}
    signing = (b64url(json.dumps(header).encode()) + "." +
               b64url(json.dumps(payload).encode())).encode()
    if alg == "RS256":
        sig = sign_rs256(d, signing)
    elif alg == "HS256":  # the classic confusion: the public key as an HMAC secret
        sig = hmac.new(open(os.path.join(d, "pub.pem"), "rb").read(), signing,
                       hashlib.sha256).digest()
    else:
        sig = b""
    if tamper:  # the same signature over a changed payload
        payload["upn"] = "admin@contoso.com"
        signing = (b64url(json.dumps(header).encode()) + "." +
                   b64url(json.dumps(payload).encode())).encode()
    return signing.decode() + "." + b64url(sig)


def serve(www, bind, port, cert, key):
    import functools, http.server, ssl
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=www)
    httpd = http.server.ThreadingHTTPServer((bind, port), handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    print("serving %s on https://%s:%d" % (www, bind, port), flush=True)
    httpd.serve_forever()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["init", "token", "serve"])
    p.add_argument("dir")
    p.add_argument("--kid", default="lab-key-1")
    p.add_argument("--alg", default="RS256")
    p.add_argument("--claims", default="{}")
    p.add_argument("--tamper", action="store_true")
    p.add_argument("--bind", default="0.0.0.0")
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--cert")
    p.add_argument("--key")
    a = p.parse_args()
    if a.cmd == "init":
        init(a.dir, a.kid)
    elif a.cmd == "serve":
        serve(a.dir, a.bind, a.port, a.cert, a.key)
    else:
        print(token(a.dir, a.kid, a.alg, json.loads(a.claims), a.tamper))


if __name__ == "__main__":
    sys.exit(main())
