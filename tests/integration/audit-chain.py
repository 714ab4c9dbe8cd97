#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Edit an exported audit trail (JSON lines, lib/chain.h) the ways an
# attacker would, for t-audit-chain.sh:
#   audit-chain.py MODE IN OUT N
#   tamper   change record N's target, keep its chain fields
#   remove   drop record N
#   reorder  swap records N and N+1
#   append   add a copy of record N at the end (after the seal)
#   rechain  change record N's target and recompute every digest and
#            prev from N on (the chain is consistent: only the seal can
#            tell)
# The digest is recomputed here from docs/contract.md's definition,
# independently of the C code.
import hashlib
import json
import sys

RESERVED = ("seq", "prev", "digest")


def digest(fields):
    b = b""
    for k in sorted(k for k in fields if k not in RESERVED):
        b += k.encode() + b"\0" + fields[k].encode() + b"\0"
    return hashlib.sha256(b).hexdigest()


mode, src, dst, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
recs = [json.loads(l) for l in open(src) if l.strip()]
i = n - 1
if mode == "tamper":
    recs[i]["fields"]["target"] = "evil.example:443"
elif mode == "remove":
    del recs[i]
elif mode == "reorder":
    recs[i], recs[i + 1] = recs[i + 1], recs[i]
elif mode == "append":
    recs.append(json.loads(json.dumps(recs[i])))
elif mode == "rechain":
    recs[i]["fields"]["target"] = "evil.example:443"
    for j in range(i, len(recs)):
        f = recs[j]["fields"]
        f["prev"] = recs[j - 1]["fields"]["digest"] if j else "0" * 64
        f["digest"] = digest(f)
elif mode == "check":
    # every stored digest is the one this definition gives
    bad = [r["id"] for r in recs if digest(r["fields"]) != r["fields"]["digest"]]
    print("mismatch", len(bad))
    sys.exit(0)
with open(dst, "w") as o:
    for r in recs:
        o.write(json.dumps(r, separators=(",", ":")) + "\n")
