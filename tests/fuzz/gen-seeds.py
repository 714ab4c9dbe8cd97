#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""Write the unsigned seed corpora of the fuzz targets (tests/fuzz/build.sh
runs it; gen-tokens writes the signed ones).

    gen-seeds.py TOP OUTDIR

Sources: the Wycheproof JWS, JWK and P1363 vectors and RFC 7515 A.3 in
tests/data/vectors, the hostile cases of docs/security.md (sections 3 and
4, by their IDs) as the unit tests use them, and a few well-formed inputs
of every target (an inspect answer that passes, a stored session, Redis and
Docker replies).  One file per seed, named by its origin.
"""
import base64
import hashlib
import json
import os
import sys

NOW = 1767225600
ISS = "sandgate-fuzz"
CID = "sandbox_fuzzAAAAAAAAAAAAAAAAAA"
JTI = "fuzz-jti-0001"
ORG = "123e4567-e89b-12d3-a456-426614174000"

top, out = sys.argv[1], sys.argv[2]
vec = os.path.join(top, "tests", "data", "vectors")
count = 0


def put(target, name, data):
    global count
    if isinstance(data, str):
        # "\xff" means the byte 0xff; other characters are UTF-8
        try:
            data = data.encode("latin-1")
        except UnicodeEncodeError:
            data = data.encode("utf-8")
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    if not safe:
        safe = "seed"
    path = os.path.join(d, safe[:60])
    if os.path.exists(path):
        path += "-" + hashlib.sha1(data).hexdigest()[:8]
    with open(path, "wb") as f:
        f.write(data)
    count += 1


def b64u(b):
    if isinstance(b, str):
        b = b.encode()
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# ---- tokens: Wycheproof JWS, RFC 7515 A.3, the E-catalogue ----------------

jws = json.load(open(os.path.join(vec, "wycheproof", "json_web_signature_test.json")))
segments = set()
for g in jws["testGroups"]:
    for t in g["tests"]:
        s = t["jws"]
        put("token", "wycheproof-%s-%d" % (g.get("comment", "g"), t["tcId"]), s)
        if not s.startswith("{"):
            for seg in s.split("."):
                segments.add(seg)

a3 = json.load(open(os.path.join(vec, "rfc7515-a3.json")))
tok = a3["compact_jws"]
put("token", "rfc7515-a3", tok)
h, p, s = tok.split(".")
put("token_signed", "rfc7515-a3", a3["protected_header_json"] + "\n" + a3["payload"])
for seg in (h, p, s):
    segments.add(seg)

catalogue = {
    "E1-empty": "", "E1-dot": ".", "E1-dots": "..", "E1-3dots": "...",
    "E2-two": h + "." + p, "E2-empty-sig": h + "." + p + ".",
    "E3-four": tok + ".", "E3-five": tok + ".x", "E3-jwe": "a.b.c.d.e",
    "E4-no-header": "." + p + "." + s, "E4-no-payload": h + ".." + s,
    "E5-json": json.dumps({"payload": p, "signatures": [{"protected": h, "signature": s}]}),
    "E6-pad": h + "=." + p + "." + s, "E6-inner-pad": h + "." + p[:8] + "=" + p[8:] + "." + s,
    "E7-std": tok.replace("-", "+").replace("_", "/"),
    "E8-space": " " + tok, "E8-tab": tok + "\t", "E8-crlf": h + "." + p[:5] + "\r\n" + p[5:] + "." + s,
    "E9-nul": h + "." + p + "\x00." + s, "E9-high": h + "\xc3\xa9." + p + "." + s,
    "E9-pct": h + "%2e" + p + "." + s,
    "E10-mod4": h + "." + p + "." + s + "A",
    "E11-noncanonical": h + "." + p + "." + s[:-1] + ("R" if s[-1] == "Q" else "Q"),
    "E12-long": h + "." + "A" * 9000 + "." + s,
    "E12-dots": "." * 2000,
    "S1-psychic": h + "." + p + "." + "A" * 86,
    "A1-none": b64u('{"alg":"none"}') + "." + p + ".",
    "A5-case": "eyJBTEciOiJub25lIiwiYWxnIjoiRVMyNTYifQ." + p + "." + s,
}
for name, t in catalogue.items():
    put("token", name, t)

# ---- base64url -------------------------------------------------------------

for i, seg in enumerate(sorted(segments)):
    if seg:
        put("b64url", "segment-%d" % i, seg)
for name, t in {"pad1": "QQ=", "pad2": "QQ==", "std": "+/+/", "mod4-1": "QUFBQ",
                "noncanon-2": "QR", "noncanon-3": "QUI", "canon-3": "QUE",
                "ws": "QU FB", "nul": "QU\x00B", "basic": "Y29udGFpbmVyX3g6and0X3k=",
                "high": "QU\xffB"}.items():
    put("b64url", name, t)

# ---- JSON and claims (security.md 3.5-3.7) ---------------------------------

json_cases = {
    "J1-dup": '{"container_id":"a","container_id":"b"}',
    "J2-case": '{"exp":1,"Exp":2}',
    "J3-garbage": '{"exp":1}xyz', "J3-two": '{"exp":1}{"exp":2}',
    "J4-nul": '{"exp":1}\x00{"exp":2}',
    "J5-u0000": '{"container_id":"abc\\u0000evil"}',
    "J6-ff": '{"a":"\xff"}', "J6-overlong": '{"a":"\xc0\xaf"}', "J6-cont": '{"a":"\x80"}',
    "J7-lone": '{"a":"\\ud800x"}', "J7-low": '{"a":"\\udc00"}',
    "J7-pair": '{"a":"\\ud83d\\ude00"}',
    "J8-inf": '{"exp":1e400}', "J9-big": '{"exp":99999999999999999999}',
    "J9-2p53": '{"exp":9007199254740993}',
    "J10-zero": '{"exp":0123}', "J11-nan": '{"exp":NaN}', "J11-comma": '{"a":1,}',
    "J11-quote": "{'a':1}", "J11-comment": '{"a":1/*x*/}',
    "J12-deep": "[" * 40 + "]" * 40, "J12-deeper": "[" * 2000,
    "J13-bom": '\xef\xbb\xbf{"a":1}',
    "J14-decimal": '{"a":1.5,"b":-0,"c":1E+2,"d":-1.25e-3}',
    "ws": ' {\r\n\t"a" : [ true , false , null ] } ',
    "nested": '{"a":{"b":{"c":[1,{"d":"e"}]}}}',
    "many": "{" + ",".join('"k%d":%d' % (i, i) for i in range(40)) + "}",
    "many-dup": "{" + ",".join('"k%d":%d' % (i, i) for i in range(40)) + ',"K7":1}',
    "escapes": '{"a":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9"}',
    "string": '"x"', "number": "-0.0e0", "array": "[]",
}
for name, t in json_cases.items():
    put("json", name, t)
    put("claims", name, t)
    put("session", name, t)


# The policy overlay (fuzz_policy): PATCH bodies and stored forms.
policy_cases = {
    "empty": '{"hosts":[]}',
    "one": '{"hosts":["api.example.com"]}',
    "rules": '{"hosts":[{"host":"api.example.com","methods":["GET","POST"],'
             '"paths":["/v1/","/health"]},{"host":"a.cdn.example.net",'
             '"methods":["CONNECT"]}],"expires_at":1900000000}',
    "widen": '{"hosts":["evil.example.com","*.example.net"]}',
    "unknown": '{"hosts":[],"allow":true}',
    "dot": '{"hosts":[{"host":"api.example.com","paths":["/a/../b"]}]}',
    "stored": '{"hosts":[{"host":"api.example.com","methods":["GET"]}],'
              '"grants":[{"host":"a.cdn.example.net","expires_at":50,'
              '"by":"ops"}],"set_by":"ops","set_at":1,"rev":2}',
    "stored-nohosts": '{"grants":[],"set_by":"ops","set_at":1,"rev":1}',
}
for name, t in policy_cases.items():
    put("policy", name, t)


def container(**kw):
    c = {"iss": ISS, "sub": "user1", "aud": "sandgate-egress", "iat": NOW - 60,
         "nbf": NOW - 60, "exp": NOW + 3600, "jti": JTI, "container_id": CID,
         "organization_uuid": ORG, "allowed_hosts": "github.com,*.example.org:8443",
         "enforce_container_binding": "true", "use_egress_gateway": "true",
         "enforce_centralized_egress": "true", "is_hipaa_regulated": "false",
         "is_pci_compliant": "false"}
    for k, v in kw.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def operator(**kw):
    c = {"iss": ISS, "sub": "ops", "aud": "sandgate-api", "iat": NOW - 60,
         "nbf": NOW - 60, "exp": NOW + 3600, "jti": "op-1",
         "scope": "tokens:issue sessions:read"}
    c.update(kw)
    return {k: v for k, v in c.items() if v is not None}


claims = {
    "valid-container": container(), "valid-operator": operator(),
    "no-aud": container(aud=None), "aud-array": container(aud=["sandgate-egress", "x"]),
    "T1-no-exp": container(exp=None), "T2-exp-now": container(exp=NOW),
    "T2-leeway": container(exp=NOW - 29), "T2-past-leeway": container(exp=NOW - 31),
    "T3-exp-string": container(exp=str(NOW + 3600)), "T3-exp-true": container(exp=True),
    "T4-exp-neg": container(exp=-1), "T4-exp-2038": container(exp=2147483648),
    "T5-exp-frac": container(exp=NOW + 0.5), "T6-no-iat": container(iat=None),
    "T6-future-iat": container(iat=NOW + 31), "T6-iat-after-exp": container(iat=NOW + 10, exp=NOW + 5),
    "T6-lifetime": container(iat=NOW - 60, exp=NOW + 86400), "T7-nbf": container(nbf=NOW + 31),
    "T7-nbf-string": container(nbf="0"), "C1-bool": container(enforce_container_binding=True),
    "C1-TRUE": container(enforce_container_binding="TRUE"),
    "C1-missing": container(enforce_container_binding=None),
    "C2-egress": container(use_egress_gateway="yes"),
    "C3-cid-empty": container(container_id=""), "C3-cid-space": container(container_id=CID + " "),
    "C5-hosts-array": container(allowed_hosts=["github.com"]),
    "C5-hosts-empty": container(allowed_hosts=""), "C5-hosts-comma": container(allowed_hosts=","),
    "C5-hosts-trailing": container(allowed_hosts="github.com,"),
    "C5-hosts-upper": container(allowed_hosts="GITHUB.COM,github.com."),
    "C5-hosts-star": container(allowed_hosts="*.com"),
    "C5-hosts-url": container(allowed_hosts="https://github.com"),
    "C5-hosts-ip": container(allowed_hosts="127.0.0.1,[::1]:443"),
    "C6-org": container(organization_uuid="org\r\nFLUSHALL"),
    "C6-jti": container(jti="x EX 0"), "C7-iss": container(iss="sandgate-fuzz/"),
    "C7-iss-array": container(iss=[ISS]), "C9-extra": container(admin=True),
    "C10-crlf": container(sub="x\r\nX-Container-ID: victim"),
    "op-no-scope": operator(scope=None), "op-bad-scope": operator(scope="root"),
    "op-empty-scope": operator(scope=""), "op-as-container": operator(aud="sandgate-egress"),
    "op-metrics": operator(scope="metrics:read"),
}
for name, c in claims.items():
    put("claims", name, json.dumps(c, separators=(",", ":")))
    put("json", "claims-" + name, json.dumps(c))

hdr = '{"alg":"ES256","typ":"JWT"}'
pay = json.dumps(container(), separators=(",", ":"))
for name, hh in {
    "A1-none": '{"alg":"none"}', "A1-None": '{"alg":"None"}', "A2-null": '{"alg":null}',
    "A2-num": '{"alg":256}', "A2-array": '{"alg":["ES256"]}', "A2-space": '{"alg":"ES256 "}',
    "A2-lower": '{"alg":"es256"}', "A2-nul": '{"alg":"ES256\\u0000x"}',
    "A3-es384": '{"alg":"ES384"}', "A4-hs256": '{"alg":"HS256"}',
    "A6-dup": '{"alg":"ES256","alg":"none"}', "A7-array": "[]", "A7-garbage": '{"alg":"ES256"}x',
    "A7-bom": '\xef\xbb\xbf{"alg":"ES256"}', "A9-cty": '{"alg":"ES256","cty":"JWT"}',
    "A9-zip": '{"alg":"ES256","zip":"DEF"}', "A9-b64": '{"alg":"ES256","b64":false,"crit":["b64"]}',
    "K1-jwk": '{"alg":"ES256","jwk":{"kty":"EC"}}', "K3-x5u": '{"alg":"ES256","x5u":"http://127.0.0.1/"}',
    "K4-kid": '{"alg":"ES256","kid":"/proc/self/environ"}',
    "K5-kid-sql": '{"alg":"ES256","kid":"x\' OR \'1\'=\'1"}',
    "K5-kid-long": '{"alg":"ES256","kid":"' + "k" * 200 + '"}',
    "K5-kid-crlf": '{"alg":"ES256","kid":"a\\r\\nb"}',
    "K7-crit-empty": '{"alg":"ES256","crit":[]}', "A8-typ": '{"alg":"ES256","typ":"jwt"}',
}.items():
    put("token_signed", name, hh + "\n" + pay)
for name, c in claims.items():
    put("token_signed", "claims-" + name, hdr + "\n" + json.dumps(c))

# ---- hosts and targets (security.md 4.1, 4.2, C5) --------------------------

lists = ["github.com", "*.github.com", "github.com:8443", "GitHub.COM.", "192.0.2.1",
         "[2001:db8::1]:443", "*.example.org,github.com,10.0.0.1:22", "localhost",
         "xn--gthub-n4a.com", "a-b.c-d.example", "*.co.uk", "", "*", "*.com",
         "github.com..", "github.com:0443", "127.1", "0x7f000001", "[fe80::1%25eth0]",
         "github.com,,x.com", ",".join("h%d.example" % i for i in range(300))]
targets = [
    "CONNECT github.com:443", "CONNECT github.com", "CONNECT github.com:443/x",
    "CONNECT http://github.com:443", "http://github.com/", "https://github.com/x?y",
    "HTTP://GitHub.COM.:80/", "https://www.github.com/", "http://evilgithub.com/",
    "http://github.com.evil.com/", "http://evil.com/github.com", "http://evil.com?github.com",
    "http://github.com@evil.com/", "http://github.com:443@evil.com/", "http://user:pass@evil.com/",
    "http://evil.com#@github.com/", "http://evil.com\\@github.com/", "http://evil.com%23github.com/",
    "http://github.com../", "CONNECT github.com:22", "CONNECT github.com:0443",
    "CONNECT github.com:+443", "CONNECT github.com:65979", "CONNECT github.com:",
    "CONNECT github.com:443:80", "CONNECT [::1]:443", "CONNECT [::ffff:127.0.0.1]:443",
    "CONNECT [::ffff:7f00:1]:443", "CONNECT [64:ff9b::7f00:1]:443", "CONNECT [2002:7f00:1::]:443",
    "CONNECT [fe80::1%25eth0]:443", "CONNECT 2130706433:443", "CONNECT 017700000001:443",
    "CONNECT 0x7f000001:443", "CONNECT 0x7f.1:443", "CONNECT 0177.0.0.1:443",
    "CONNECT 127.1:443", "CONNECT 127.000.000.001:443", "CONNECT 0:443", "CONNECT 0.0.0.0:443",
    "CONNECT 140.82.112.3:443", "CONNECT g\u0456thub.com:443", "CONNECT \uff47ithub.com:443",
    "CONNECT github\u3002com:443", "CONNECT xn--gthub-n4a.com:443", "CONNECT x.github.com.evil.com:443",
    "CONNECT 192.0.2.1:443", "https://[2001:db8::1]/", "http://[2001:db8::1]:443/",
    "*", "/origin", "ftp://github.com/", "http://", "http://:80/", "https://github.com:/",
]
for i, l in enumerate(lists):
    for j, t in enumerate(targets):
        if (i * 7 + j) % 5 == 0 or i < 3:
            put("hosts", "l%d-t%d" % (i, j), l + "\n" + t)
    put("hosts", "list-%d" % i, l)
methods = ["CONNECT", "GET"]
for j, t in enumerate(targets):
    if t.startswith("CONNECT "):
        put("target", "t%d" % j, b"\x00" + t[8:].encode())
    else:
        put("target", "t%d" % j, b"\x01" + t.encode())
for name, t in {"lower-connect": b"\x03github.com:443", "post": b"\x02http://github.com/",
                "empty-method": b"\x04http://github.com/"}.items():
    put("target", name, t)

# ---- FastCGI requests -------------------------------------------------------

reqs = {
    "get": "REQUEST_METHOD=GET\nREQUEST_URI=/v1/sessions?user_id=user1\nQUERY_STRING=user_id=user1\nSG_KIND=operator\nSG_SCOPE=sessions:read",
    "post-json": "REQUEST_METHOD=POST\nREQUEST_URI=/v1/sandboxes\nCONTENT_TYPE=application/json; charset=utf-8\nCONTENT_LENGTH=27\n\n{\"user_id\":\"u\",\"x\":[1,2]}",
    "post-bad-json": "REQUEST_METHOD=POST\nREQUEST_URI=/v1/tokens\nCONTENT_TYPE=application/json\n\n{\"a\":1}x",
    "post-ct": "REQUEST_METHOD=POST\nREQUEST_URI=/v1/tokens\nCONTENT_TYPE=text/plain\n\n{}",
    "ct-quoted": "REQUEST_METHOD=POST\nREQUEST_URI=/x\nCONTENT_TYPE=Application/JSON ; Charset=\"UTF-8\"\n\n{}",
    "script-name": "REQUEST_METHOD=GET\nSCRIPT_NAME=/v1\nPATH_INFO=/sessions/x",
    "traversal": "REQUEST_METHOD=GET\nREQUEST_URI=/v1/../etc/passwd",
    "dot": "REQUEST_METHOD=GET\nREQUEST_URI=/v1/./sessions",
    "double-slash": "REQUEST_METHOD=GET\nREQUEST_URI=//v1/sessions",
    "pct": "REQUEST_METHOD=GET\nREQUEST_URI=/v1/sessions/%2e%2e",
    "backslash": "REQUEST_METHOD=GET\nREQUEST_URI=/v1\\sessions",
    "connect": "REQUEST_METHOD=CONNECT\nREQUEST_URI=github.com:443\nFCGI_ROLE=AUTHORIZER",
    "absolute": "REQUEST_METHOD=GET\nREQUEST_URI=http://github.com/x",
    "dup-param": "REQUEST_METHOD=GET\nREQUEST_URI=/x\nSG_KIND=operator\nSG_KIND=container",
    "dup-same": "REQUEST_METHOD=GET\nREQUEST_URI=/x\nSG_KIND=operator\nSG_KIND=operator\nSG_SCOPE=sessions:read",
    "query-dup": "REQUEST_METHOD=GET\nREQUEST_URI=/v1/sessions\nQUERY_STRING=user_id=a&user%5Fid=b",
    "query-nul": "REQUEST_METHOD=GET\nREQUEST_URI=/v1/sessions\nQUERY_STRING=user_id=a%00b",
    "query-plus": "REQUEST_METHOD=GET\nREQUEST_URI=/v1/sessions\nQUERY_STRING=a=1&&user_id=a+b%41&",
    "query-bad": "REQUEST_METHOD=GET\nREQUEST_URI=/v1/sessions\nQUERY_STRING=user_id=%4",
    "query-long": "REQUEST_METHOD=GET\nREQUEST_URI=/v1/sessions\nQUERY_STRING=user_id=" + "a" * 300,
    "cl-bad": "REQUEST_METHOD=POST\nREQUEST_URI=/x\nCONTENT_LENGTH=+5",
    "cl-big": "REQUEST_METHOD=POST\nREQUEST_URI=/x\nCONTENT_LENGTH=99999999999999999999999",
    "cl-ok": "REQUEST_METHOD=POST\nREQUEST_URI=/x\nCONTENT_LENGTH=65536",
    "echo-crlf": "REQUEST_METHOD=GET\nREQUEST_URI=/x\nHTTP_X_ECHO=a\rX-Injected: 1",
    "echo-tab": "REQUEST_METHOD=GET\nREQUEST_URI=/x\nHTTP_X_ECHO=a\tb\x7f",
    "long-path": "REQUEST_METHOD=GET\nREQUEST_URI=/" + "a" * 1100,
    "empty": "",
}
for name, r in reqs.items():
    put("http_req", name, r)
for name, r in {
    "E13-lower": "FUZZ_CFG=0\nREQUEST_METHOD=GET\nREQUEST_URI=/v1/sessions\nHTTP_AUTHORIZATION=bearer abc.def.ghi",
    "E13-two-sp": "FUZZ_CFG=0\nREQUEST_METHOD=GET\nREQUEST_URI=/v1/sessions\nHTTP_AUTHORIZATION=Bearer  abc.def.ghi",
    "E14-comma": "FUZZ_CFG=0\nREQUEST_METHOD=GET\nREQUEST_URI=/v1/sessions\nHTTP_AUTHORIZATION=Bearer a.b.c, Bearer d.e.f",
    "basic-bad": "FUZZ_CFG=0\nREQUEST_METHOD=CONNECT\nREQUEST_URI=github.com:443\nHTTP_PROXY_AUTHORIZATION=Basic eA",
    "basic-noprefix": "FUZZ_CFG=0\nREQUEST_METHOD=CONNECT\nREQUEST_URI=github.com:443\nHTTP_PROXY_AUTHORIZATION=Basic " + base64.b64encode(b"sandbox_x:abc").decode(),
}.items():
    put("verify", name, r)

# ---- token-issuer requests and sandbox-create bodies -------------------------

op = "SG_KIND=operator\nSG_SUB=ops\nSG_SCOPE=tokens:issue sessions:read\n"
post = "REQUEST_METHOD=POST\nREQUEST_URI=/v1/tokens\nCONTENT_TYPE=application/json\n"
tbody = {"container_id": CID, "user_id": "user1", "organization_uuid": ORG,
         "allowed_hosts": ["github.com", "*.example.org:8443", "[2001:db8::1]"],
         "duration_hours": 2, "enforce_binding": False}
for name, (env, body) in {
    "ok": (op + post, tbody), "defaults": (op + post, {k: tbody[k] for k in
                                          ("container_id", "user_id", "organization_uuid", "allowed_hosts")}),
    "no-hosts": (op + post, dict(tbody, allowed_hosts=[])),
    "upper-uuid": (op + post, dict(tbody, organization_uuid=ORG.upper())),
    "host-norm": (op + post, dict(tbody, allowed_hosts=["GitHub.COM.", "*.Example.org"])),
    "bad-host": (op + post, dict(tbody, allowed_hosts=["github.com,evil.com"])),
    "long-ttl": (op + post, dict(tbody, duration_hours=25)),
    "frac-ttl": (op + post, dict(tbody, duration_hours=1.5)),
    "binding-str": (op + post, dict(tbody, enforce_binding="false")),
    "extra": (op + post, dict(tbody, admin=True)),
    "crlf-id": (op + post, dict(tbody, user_id="u\r\nx")),
    "no-scope": ("SG_KIND=operator\nSG_SCOPE=sessions:read\n" + post, tbody),
    "container": ("SG_KIND=container\nSG_SCOPE=tokens:issue\n" + post, tbody),
    "anonymous": (post, tbody),
    "get": (op + "REQUEST_METHOD=GET\nREQUEST_URI=/v1/tokens\n", None),
    "jwks": ("REQUEST_METHOD=GET\nREQUEST_URI=/.well-known/jwks.json\n", None),
    "health": ("REQUEST_METHOD=GET\nREQUEST_URI=/healthz/token-issuer\n", None),
}.items():
    put("issuer", name, env + ("\n" + json.dumps(body) if body is not None else ""))
    if body is not None:
        put("http_req", "issuer-" + name, env + "\n" + json.dumps(body))

cbody = {"user_id": "user1", "organization_uuid": ORG, "allowed_hosts": ["github.com"],
         "duration_hours": 2, "image": "python:3.12-slim", "is_hipaa_regulated": False,
         "is_pci_compliant": True}
for name, body in {
    "ok": cbody, "minimal": {"user_id": "u", "organization_uuid": ORG, "allowed_hosts": []},
    "image-default": dict(cbody, image="sandgate-sandbox:latest"),
    "image-digest": dict(cbody, image="registry.example/x@sha256:" + "0" * 64),
    "image-other": dict(cbody, image="alpine"), "user-dots": dict(cbody, user_id="../root"),
    "hosts-str": dict(cbody, allowed_hosts="github.com"),
    "hosts-many": dict(cbody, allowed_hosts=["h%d.example" % i for i in range(260)]),
    "ttl-0": dict(cbody, duration_hours=0), "ttl-big": dict(cbody, duration_hours=1e9),
    "hipaa-str": dict(cbody, is_hipaa_regulated="true"), "unknown": dict(cbody, privileged=True),
    "secrets": dict(cbody, allowed_hosts=["api.example.com", "*.x.org:8443"], secrets=[
        {"name": "EXAMPLE", "host": "api.example.com", "header": "Authorization",
         "value": "Bearer sk-test-0123456789"},
        {"name": "X_2", "host": "a.x.org:8443", "header": "X-Key", "value": "k-0123456789abc"}]),
    "secret-host": dict(cbody, secrets=[{"name": "A", "host": "evil.example", "header": "A",
                                         "value": "v"}]),
    "secret-put": {"host": "api.example.com", "header": "Authorization", "value": "Bearer x"},
}.items():
    put("create_spec", name, json.dumps(body))

# ---- Docker answers ----------------------------------------------------------


def http(status, body, extra=""):
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    return ("HTTP/1.1 %d X\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s"
            % (status, extra, len(body.encode()), body))


cid64 = "a" * 64
docker = {
    "ping": (0, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"),
    "info": (1, http(200, {"Runtimes": {"runc": {"path": "runc"}, "runsc": {"path": "/usr/bin/runsc"}}})),
    "info-no-runsc": (1, http(200, {"Runtimes": {"runc": {}}})),
    "image": (2, http(200, {"Id": "sha256:" + cid64})),
    "image-404": (2, http(404, {"message": "No such image: x"})),
    "create": (3, http(201, {"Id": cid64, "Warnings": []})),
    "create-warn": (3, http(201, {"Id": cid64, "Warnings": ["Your kernel does not support memory limit"]})),
    "create-badid": (3, http(201, {"Id": "../../x"})),
    "create-409": (3, http(409, {"message": "Conflict. The container name \"/sandbox_x\" is already in use"})),
    "create-400": (3, http(400, {"message": "bad\r\nparameter\x1b[31m"})),
    "start-304": (4, "HTTP/1.1 304 Not Modified\r\n\r\n"),
    "start-204": (4, "HTTP/1.1 204 No Content\r\n\r\n"),
    "inspect": (5, http(200, {"Id": cid64, "State": {"Running": True}})),
    "inspect-chunked": (5, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n"),
    "stop-500": (6, http(500, {"message": "driver failed"})),
    "remove-404": (7, http(404, {"message": "No such container"})),
    "list": (8, http(200, [{"Id": cid64, "Labels": {"sandgate.container_id": "sandbox_x"}}])),
    "list-bad": (8, http(200, "[{]")),
    "connect": (9, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    "version-short": (10, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}"),
    "version-close": (10, "HTTP/1.0 200 OK\r\n\r\n{\"Version\":\"20.10\"}"),
    "garbage": (10, "HTTP/1.1 99999 X\r\n\r\n"),
    "not-http": (10, "SSH-2.0-OpenSSH\r\n"),
}
for name, (op, ans) in docker.items():
    put("docker_reply", name, bytes([op]) + ans.encode("latin-1"))


def inspect(net):
    hc = {"Privileged": False, "ReadonlyRootfs": True, "CapDrop": ["ALL"],
          "CapAdd": ["CAP_CHOWN", "SETUID", "SETGID", "NET_BIND_SERVICE"],
          "SecurityOpt": ["no-new-privileges:true"], "PidsLimit": 100,
          "Memory": 4294967296, "MemorySwap": 4294967296, "NanoCpus": 2000000000,
          "NetworkMode": net, "Runtime": "runsc"}
    j = {"Id": cid64, "Name": "/sandbox_x", "State": {"Running": True},
         "Config": {"User": "65534:65534", "Labels": {"sandgate.container_id": "sandbox_x"}},
         "HostConfig": hc}
    if net != "none":
        j["NetworkSettings"] = {"Networks": {net: {"IPAddress": "172.18.0.5"}}}
    return j


put("docker_inspect", "none", json.dumps(inspect("none")))
put("docker_inspect", "egress", json.dumps(inspect("sandgate-egress")))
j = inspect("none")
j["HostConfig"]["Privileged"] = True
put("docker_inspect", "privileged", json.dumps(j))
j = inspect("none")
j["HostConfig"]["CapAdd"] = ["SYS_ADMIN"]
put("docker_inspect", "capadd", json.dumps(j))

# ---- sessions and Redis replies ----------------------------------------------

sess = {"container_id": CID, "user_id": "user1", "organization_uuid": ORG, "jti": JTI,
        "token_sha256": "a" * 64, "allowed_hosts": ["github.com", "*.example.org:8443"],
        "container_ip": "172.18.0.5", "docker_id": cid64, "image": "sandgate-sandbox:latest",
        "created_at": NOW - 60, "expires_at": NOW + 3600}
put("session", "valid", json.dumps(sess))
for name, ch in {"no-ip": {"container_ip": ""}, "v6": {"container_ip": "::1"},
                 "no-hosts": {"allowed_hosts": []}, "host-comma": {"allowed_hosts": ["a.com,b.com"]},
                 "bad-ip": {"container_ip": "1.2.3"}, "upper-sha": {"token_sha256": "A" * 64},
                 "times": {"created_at": NOW + 10, "expires_at": NOW}, "extra": {"x": 1},
                 "frac": {"expires_at": NOW + 0.5}, "image": {"image": "a b"}}.items():
    s = dict(sess)
    s.update(ch)
    put("session", name, json.dumps(s))


def bulk(s):
    b = s.encode() if isinstance(s, str) else s
    return b"$%d\r\n%s\r\n" % (len(b), b)


sj = json.dumps(sess, separators=(",", ":"))
SEP = b"\n--\n"
redis = {
    "ping": (0, b"+PONG\r\n"), "ping-err": (0, b"-LOADING Redis is loading\r\n"),
    "get": (1, bulk(sj)), "get-nil": (1, b"$-1\r\n"), "get-int": (1, b":1\r\n"),
    "get-readonly": (1, b"-READONLY You can't write against a read only replica.\r\n"),
    "get-bad": (1, bulk('{"container_id":"x"}')), "get-partial": (1, b"$100\r\nabc"),
    "get-db": (17, b"+OK\r\n" + SEP + bulk(sj)), "get-db-err": (17, b"-ERR DB index is out of range\r\n"),
    "put": (2, b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n:1\r\n:1\r\n"),
    "put-oom": (2, b"+OK\r\n+QUEUED\r\n-OOM command not allowed\r\n"),
    "put-execabort": (2, b"+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n-EXECABORT Transaction discarded\r\n"),
    "del": (3, bulk(sj) + SEP + b":1\r\n:1\r\n"), "del-user": (4, b":1\r\n:1\r\n"),
    "list": (5, b"*1\r\n" + bulk(CID) + SEP + b"*1\r\n" + bulk(sj)),
    "list-gone": (5, b"*2\r\n" + bulk(CID) + bulk("sandbox_gone") + SEP + bulk(sj) + b"$-1\r\n" + SEP + b":1\r\n"),
    "list-badid": (5, b"*1\r\n" + bulk("bad id!") + SEP + b":1\r\n"),
    "count": (6, b"*1\r\n" + bulk(CID) + SEP + bulk(sj)),
    "prune": (7, b"*2\r\n" + bulk("0") + b"*1\r\n" + bulk("sandgate:user:user1") + SEP +
              b"*1\r\n" + bulk(CID) + SEP + bulk(sj)),
    "prune-cursor": (7, b"*2\r\n" + bulk("17") + b"*0\r\n" + SEP + b"*2\r\n" + bulk("0") + b"*0\r\n"),
    "resp3": (1, b"%1\r\n+a\r\n:1\r\n"), "moved": (1, b"-MOVED 3999 127.0.0.1:6381\r\n"),
    "noauth": (1, b"-NOAUTH Authentication required.\r\n"),
}
for name, (op, ans) in redis.items():
    put("redis_reply", name, bytes([op]) + ans)

# ---- ES256 and JWK sets ------------------------------------------------------

p1363 = json.load(open(os.path.join(vec, "wycheproof", "ecdsa_secp256r1_sha256_p1363_test.json")))
first = p1363["testGroups"][0]
for t in first["tests"]:
    sig = bytes.fromhex(t["sig"])
    msg = bytes.fromhex(t["msg"])
    if len(sig) < 80:
        put("es256", "p1363-%d" % t["tcId"], bytes([len(sig)]) + sig + msg)

jwk = json.load(open(os.path.join(vec, "wycheproof", "json_web_key_test.json")))
for g in jwk["testGroups"]:
    for k in ("private", "public"):
        if k in g:
            v = g[k]
            put("jwks", "wycheproof-%s-%s" % (g.get("comment", "g"), k),
                json.dumps(v if "keys" in v else {"keys": [v]}))
for g in p1363["testGroups"][:4]:
    if "publicKeyJwk" in g:
        put("jwks", "p1363-jwk", json.dumps({"keys": [g["publicKeyJwk"]]}))
put("jwks", "a3", json.dumps({"keys": [a3["public_jwk"]]}))
put("jwks", "a3-private", json.dumps({"keys": [a3["jwk"]]}))
put("jwks", "dup-kid", json.dumps({"keys": [dict(a3["public_jwk"], kid="k"), dict(a3["public_jwk"], kid="k")]}))

# ---- secrets (lib/secret.c) -------------------------------------------------

sec = {"name": "EXAMPLE", "host": "api.example.com", "header": "Authorization",
       "value": "Bearer sk-test-0123456789"}
put("secret", "one", json.dumps([sec]))
put("secret", "port", json.dumps([dict(sec, host="api.example.com:8443", header="x-api-key")]))
put("secret", "crlf", json.dumps([dict(sec, value="a\r\nX: y")]))
put("secret", "extra", json.dumps([dict(sec, extra=1)]))
put("secret", "record", json.dumps({"v": 1, "kid": "0" * 16, "host": "api.example.com",
    "header": "Authorization", "nonce": "AAAAAAAAAAAAAAAA", "ct": "A" * 40}))

print("gen-seeds.py: %d seed files" % count)
