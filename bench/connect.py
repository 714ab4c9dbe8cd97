#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# bench/connect.py PROXY_PORT TARGET_PORT SECONDS CONNS [PROXY_AUTH] [BIGPATH]
#
# CONNECT through the forward proxy on 127.0.0.1:PROXY_PORT to
# 127.0.0.1:TARGET_PORT: CONNS clients at once, each opening a tunnel,
# waiting for the 200 and closing it, for SECONDS; then, with BIGPATH, one
# tunnel fetching that path (GET over the tunnel) to time the bytes/s
# inside it (the best of five fetches).  Prints one JSON line: tunnels_per_s, failed, tunnel_bytes_per_s.
import asyncio
import json
import sys
import time


async def one(pp, tp, auth):
    r, w = await asyncio.open_connection("127.0.0.1", pp)
    req = "CONNECT 127.0.0.1:%s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n" % (tp, tp)
    if auth:
        req += "Proxy-Authorization: %s\r\n" % auth
    w.write((req + "\r\n").encode())
    await w.drain()
    line = await r.readline()
    while (await r.readline()) not in (b"\r\n", b""):
        pass
    return r, w, line.split(b" ")[1:2] == [b"200"]


async def client(pp, tp, auth, stop, st):
    while time.monotonic() < stop:
        try:
            r, w, ok = await one(pp, tp, auth)
            w.close()
        except OSError:
            ok = False
        st["ok" if ok else "failed"] += 1


async def bulk(pp, tp, auth, path):
    r, w, ok = await one(pp, tp, auth)
    if not ok:
        return 0.0
    w.write(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" %
             path).encode())
    t0, n = time.monotonic(), 0
    while True:
        b = await r.read(1 << 20)
        if not b:
            break
        n += len(b)
    w.close()
    return n / (time.monotonic() - t0)


async def main():
    pp, tp, secs, conns = sys.argv[1], sys.argv[2], float(sys.argv[3]), \
        int(sys.argv[4])
    auth = sys.argv[5] if len(sys.argv) > 5 else ""
    big = sys.argv[6] if len(sys.argv) > 6 else ""
    st = {"ok": 0, "failed": 0}
    t0 = time.monotonic()
    await asyncio.gather(*(client(pp, tp, auth, t0 + secs, st)
                           for _ in range(conns)))
    el = time.monotonic() - t0
    # the best of five (one fetch is a fraction of a second: noise)
    bps = max([await bulk(pp, tp, auth, big) for _ in range(5)]) \
        if big else 0.0
    print(json.dumps({"tunnels_per_s": round(st["ok"] / el, 1),
                      "failed": st["failed"],
                      "tunnel_bytes_per_s": round(bps)}))


asyncio.run(main())
