# SPDX-License-Identifier: ISC
# A FastCGI AUTHORIZER request, as mod_sandgate_authz sends one, to a
# socket: "unix:/path" or "host:port".  Prints the answer's Status line,
# then "value" when a Variable-SG_BROKER_VALUE header came back, then the
# "error" of a JSON body; with --secret S, "leak" when S is anywhere in
# the answer.  For t-secrets-module.sh (the broker's hand-off rule).
#   python3 fcgi-authz.py SOCKET URI CREDENTIALS [--secret S]
import socket, struct, sys

def rec(t, body, rid=1):
    return struct.pack(">BBHHBx", 1, t, rid, len(body), 0) + body

def nv(k, v):
    k, v = k.encode(), v.encode()
    def ln(n):
        return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
    return ln(len(k)) + ln(len(v)) + k + v

def main():
    where, uri, cred = sys.argv[1], sys.argv[2], sys.argv[3]
    secret = sys.argv[5] if len(sys.argv) > 5 and sys.argv[4] == "--secret" else None
    if where.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX)
        s.connect(where[5:])
    else:
        h, p = where.rsplit(":", 1)
        s = socket.create_connection((h, int(p)), 5)
    s.settimeout(10)
    params = b"".join(nv(k, v) for k, v in (
        ("FCGI_ROLE", "AUTHORIZER"), ("FCGI_APACHE_ROLE", "AUTHENTICATOR"),
        ("GATEWAY_INTERFACE", "CGI/1.1"), ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("REQUEST_METHOD", "GET"), ("REQUEST_URI", uri), ("QUERY_STRING", ""),
        ("REMOTE_ADDR", "127.0.0.1"), ("REMOTE_PORT", "40000"),
        ("HTTP_PROXY_AUTHORIZATION", cred)))
    s.sendall(rec(1, struct.pack(">HB5x", 2, 0)) + rec(4, params) +
              rec(4, b"") + rec(5, b""))
    # Not FCGI_KEEP_CONN: the answer ends with the connection.
    buf = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    out = b""
    while len(buf) >= 8:
        _, t, _, n, pad = struct.unpack(">BBHHBx", buf[:8])
        if t == 6:
            out += buf[8:8 + n]
        buf = buf[8 + n + pad:]
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    print(next((l for l in lines if l.startswith("Status:")), "Status: none"))
    if any(l.startswith("Variable-SG_BROKER_VALUE:") for l in lines):
        print("value")
    if b'"error"' in body:
        import json
        print(json.loads(body)["error"])
    if secret is not None and secret.encode() in out:
        print("leak")

main()
