#!/usr/bin/env python3
"""Answers an openvpn client's password prompts through its management
interface, as a GUI client does, for the MFA lab.

ovpn_mgmt.py SOCKET USER PASSWORD CODE static|dynamic [SECONDS [RECONNECTS]]
  static:  the password goes out as SCRV1 (password and code together);
  dynamic: the password goes out plain; when the gateway answers with a
           CRV1 challenge, the code is sent as CRV1::<id>::<code>.
With RECONNECTS, the tunnel is restarted (SIGUSR1) that many times once
up; a client asked for its password again then fails ("asked again").
Prints what happened (challenge id and prompt, connected, refused) and
exits 0 once the tunnel is up (each time), 1 on refusal or timeout."""
import base64, socket, sys, time


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def b64(s):
    return base64.b64encode(s.encode()).decode()


def main():
    path, user, password, code, mode = sys.argv[1:6]
    limit = time.monotonic() + float(sys.argv[6] if len(sys.argv) > 6 else 40)
    reconnects = int(sys.argv[7]) if len(sys.argv) > 7 else 0
    ups = 0
    s = None
    while time.monotonic() < limit and s is None:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
        except OSError:
            s = None
            time.sleep(0.1)
    if s is None:
        print("no management socket")
        return 1
    s.settimeout(1.0)
    send = lambda line: s.sendall((line + "\n").encode())
    send("state on")
    send("hold release")
    crv1 = None
    buf = b""
    while time.monotonic() < limit:
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            line = line.decode(errors="replace").strip()
            if line.startswith(">HOLD:"):
                send("hold release")
            elif line.startswith(">PASSWORD:Verification Failed: 'Auth' ['CRV1:"):
                # CRV1:R,E:<id>:<base64 user>:<prompt>
                parts = line.split("CRV1:", 1)[1].rstrip("']").split(":", 3)
                crv1 = parts[1]
                print("challenge id %s prompt %s" % (crv1, parts[3]))
            elif line.startswith(">PASSWORD:Verification Failed"):
                print("refused")
                return 1
            elif line.startswith(">PASSWORD:Need 'Auth'"):
                if ups:
                    print("asked again after %d reconnect(s)" % (ups - 1))
                    return 1
                if crv1:
                    pw = "CRV1::%s::%s" % (crv1, code)
                elif mode == "static":
                    pw = "SCRV1:%s:%s" % (b64(password), b64(code))
                else:
                    pw = password
                send("username \"Auth\" " + quote(user))
                send("password \"Auth\" " + quote(pw))
            elif ">STATE:" in line and ",CONNECTED,SUCCESS" in line:
                ups += 1
                if ups > reconnects:
                    print("connected" + (" %d times" % ups if reconnects else ""))
                    return 0
                send("signal SIGUSR1")
    print("timed out")
    return 1


sys.exit(main())
