#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# dnsd.py ADDR PORT LOG: a name server for the tests on ADDR:PORT (UDP),
# answering by the name's first label:
#   slow*  never answered (a lookup that can only time out)
#   fast*  A 10.9.8.7 (private: a strict check refuses it at once, so
#          nothing leaves the machine), no AAAA
#   pin*   A 127.0.0.1 to the first A query, A 127.0.0.2 to every later
#          one (a name that rebinds after it was checked), TTL 60, no AAAA
#   else   NXDOMAIN
# Logs "name qtype" per query to LOG; creates LOG.ready once it listens.
import socket, struct, sys

addr, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
open(log + ".ready", "w").close()
pin_asked = 0


def answer(qid, question, rcode, addr4=None):
    hdr = qid + bytes([0x81, 0x80 | rcode])
    if addr4 is None:
        return hdr + struct.pack(">HHHH", 1, 0, 0, 0) + question
    rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes(addr4)
    return hdr + struct.pack(">HHHH", 1, 1, 0, 0) + question + rr


while True:
    q, src = s.recvfrom(2048)
    if len(q) < 12:
        continue
    i, labels = 12, []
    while i < len(q) and q[i] != 0:
        n = q[i]
        labels.append(q[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += n + 1
    name = ".".join(labels).lower()
    qtype = struct.unpack(">H", q[i + 1:i + 3])[0] if i + 3 <= len(q) else 0
    question = q[12:i + 5]
    with open(log, "a") as f:
        f.write("%s %d\n" % (name, qtype))
    if name.startswith("slow"):
        continue
    if name.startswith("fast"):
        out = answer(q[:2], question, 0, [10, 9, 8, 7] if qtype == 1 else None)
    elif name.startswith("pin"):
        a4 = None
        if qtype == 1:
            pin_asked += 1
            a4 = [127, 0, 0, 1] if pin_asked == 1 else [127, 0, 0, 2]
        out = answer(q[:2], question, 0, a4)
    else:
        out = answer(q[:2], question, 3)
    s.sendto(out, src)
