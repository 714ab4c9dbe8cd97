#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# slow-upstream.py PORT READY: an upstream on 127.0.0.1:PORT that accepts
# every connection and never answers (it holds them until it is stopped,
# which closes them); READY is created once it listens.  For the tenant
# tests (t-tenant-conns.sh, bench/tenant.sh).
import socket
import sys

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1024)
open(sys.argv[2], "w").close()
held = []
while True:
    c, _ = s.accept()
    held.append(c)
