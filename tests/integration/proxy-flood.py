#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# proxy-flood.py PROXY_PORT CREDENTIALS URL N: N requests for URL through
# the forward proxy on 127.0.0.1:PROXY_PORT with "Proxy-Authorization:
# Basic base64(CREDENTIALS)", on keep-alive connections, as fast as the
# proxy answers (at most 60 s); prints the statuses, e.g. "403=1500".
# For the flood tests (t-audit-flood.sh, t-authorizer-socket.sh).
import base64, socket, sys, time
proxy, cred, url, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
host = url.split("/")[2]
req = ("GET %s HTTP/1.1\r\nHost: %s\r\nProxy-Authorization: Basic %s\r\n\r\n"
       % (url, host, base64.b64encode(cred.encode()).decode())).encode()
end = time.monotonic() + 60
s, sent, codes = None, 0, {}
while sent < n and time.monotonic() < end:
    if s is None:
        s = socket.create_connection(("127.0.0.1", proxy), timeout=10)
        f = s.makefile("rb")
    s.sendall(req)
    line = f.readline()
    code = line.split()[1].decode() if len(line.split()) > 1 else "000"
    codes[code] = codes.get(code, 0) + 1
    length, close = 0, False
    while True:
        h = f.readline()
        if h in (b"\r\n", b""):
            break
        k, _, v = h.decode().partition(":")
        if k.lower() == "content-length":
            length = int(v)
        if k.lower() == "connection" and "close" in v.lower():
            close = True
    f.read(length)
    sent += 1
    if close or not line:
        s.close()
        s = None
print(" ".join("%s=%d" % kv for kv in sorted(codes.items())))
