#!/usr/bin/python3
"""Container tokens exactly as the original Python AuthService minted them.

Before sandgate, a platform ran a Python AuthService whose
generate_container_token() signed a container's identity with PyJWT
(ES256, the P-256 key in a PEM file).  Its payload has no sub, no aud and
no nbf, the hosts are one comma-separated string and the flags are the
strings "true"/"false":

    iss, iat, exp, jti (a UUID4), container_id, organization_uuid,
    allowed_hosts, enforce_container_binding, use_egress_gateway,
    enforce_centralized_egress, is_hipaa_regulated, is_pci_compliant

and its header is PyJWT's default, {"alg":"ES256","typ":"JWT"} (no kid).
AuthService below is that class, kept here so that the interoperability
test (tests/integration/t-interop.sh) proves that such tokens verify in
sandgate's compatibility mode (SANDGATE_ACCEPT_NO_AUD=1, see
docs/operations.md) and only there.  It needs Debian 12's python3-jwt and
python3-cryptography.

Command line (prints the token; with --facts "TOKEN JTI EXP"):

    original_authservice.py --key PEM --issuer ISS --container-id ID \
        --organization-uuid UUID --allowed-hosts a.com,*.b.com \
        [--duration-hours H] [--no-binding] [--hipaa] [--pci] \
        [--case CASE] [--claim NAME=JSON]... [--drop NAME]... [--facts]

--case makes one token that breaks exactly one rule a verifier must keep
(see CASES); --claim and --drop change the payload before signing.
"""
import argparse
import base64
import hashlib
import hmac
import json
import sys
import uuid
from datetime import datetime, timedelta, timezone

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


class AuthService:
    """The original token service: one signing key, one issuer."""

    def __init__(self, private_key_pem, issuer):
        self.private_key = private_key_pem
        self.issuer = issuer

    def generate_container_token(self, container_id, organization_uuid,
                                 allowed_hosts, duration_hours=4,
                                 enforce_container_binding=True,
                                 is_hipaa_regulated=False,
                                 is_pci_compliant=False):
        """A signed container token (str), as the original returned it."""
        return jwt.encode(
            self.container_payload(container_id, organization_uuid,
                                   allowed_hosts, duration_hours,
                                   enforce_container_binding,
                                   is_hipaa_regulated, is_pci_compliant),
            self.private_key, algorithm="ES256")

    def container_payload(self, container_id, organization_uuid,
                          allowed_hosts, duration_hours=4,
                          enforce_container_binding=True,
                          is_hipaa_regulated=False, is_pci_compliant=False):
        now = datetime.now(timezone.utc)
        # PyJWT turns the datetimes into integer seconds (RFC 7519 2,
        # NumericDate); the flags are strings, not JSON booleans.
        return {
            "iss": self.issuer,
            "iat": now,
            "exp": now + timedelta(hours=duration_hours),
            "jti": str(uuid.uuid4()),
            "container_id": container_id,
            "organization_uuid": organization_uuid,
            "allowed_hosts": ",".join(allowed_hosts),
            "enforce_container_binding":
                str(bool(enforce_container_binding)).lower(),
            "use_egress_gateway": "true",
            "enforce_centralized_egress": "true",
            "is_hipaa_regulated": str(bool(is_hipaa_regulated)).lower(),
            "is_pci_compliant": str(bool(is_pci_compliant)).lower(),
        }


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def numeric(payload):
    """The payload with datetimes as PyJWT would encode them."""
    out = dict(payload)
    for k in ("iat", "exp", "nbf"):
        if isinstance(out.get(k), datetime):
            out[k] = int(out[k].timestamp())
    return out


def sign_bytes(payload_bytes, key_pem):
    """ES256 over payload bytes PyJWT did not serialise itself."""
    return jwt.api_jws.PyJWS().encode(payload_bytes, key_pem,
                                      algorithm="ES256")


def hs256_public(payload, public_pem):
    """HS256 keyed with the public key's PEM text (algorithm confusion,
    RFC 8725 2.1).  PyJWT refuses to build it, so it is done by hand."""
    h = b64url(json.dumps({"alg": "HS256", "typ": "JWT"},
                          separators=(",", ":")).encode())
    p = b64url(json.dumps(numeric(payload), separators=(",", ":")).encode())
    s = hmac.new(public_pem, (h + "." + p).encode(), hashlib.sha256)
    return h + "." + p + "." + b64url(s.digest())


def flip_signature(tok):
    head, sig = tok.rsplit(".", 1)
    i = len(sig) // 2
    return head + "." + sig[:i] + ("A" if sig[i] != "A" else "B") + \
        sig[i + 1:]


# One rule broken per case; everything else as the original.
CASES = ("expired", "wrong-key", "alg-none", "alg-hs256", "bad-signature",
         "bad-host", "long-lifetime", "duplicate-key", "future-iat",
         "no-jti", "other-issuer", "bool-flag")


def mint(args):
    with open(args.key, "rb") as f:
        key_pem = f.read()
    svc = AuthService(key_pem, args.issuer)
    hosts = args.allowed_hosts.split(",") if args.allowed_hosts else []
    case = args.case
    if case == "bad-host":
        # A wildcard over a public suffix: no verifier may accept it.
        hosts = ["*.com"]
    hours = 25 if case == "long-lifetime" else args.duration_hours
    payload = svc.container_payload(args.container_id,
                                    args.organization_uuid, hosts, hours,
                                    not args.no_binding, args.hipaa,
                                    args.pci)
    now = payload["iat"]
    if case == "expired":
        payload["iat"] = now - timedelta(hours=2)
        payload["exp"] = now - timedelta(hours=1)
    elif case == "future-iat":
        payload["iat"] = now + timedelta(hours=1)
    elif case == "no-jti":
        del payload["jti"]
    elif case == "other-issuer":
        payload["iss"] = "https://evil.test"
    elif case == "bool-flag":
        payload["enforce_container_binding"] = True
    for kv in args.claim:
        k, v = kv.split("=", 1)
        payload[k] = json.loads(v)
    for k in args.drop:
        payload.pop(k, None)

    if case == "wrong-key":
        other = ec.generate_private_key(ec.SECP256R1())
        key_pem = other.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
    if case == "alg-none":
        tok = jwt.encode(numeric(payload), None, algorithm="none")
    elif case == "alg-hs256":
        pub = serialization.load_pem_private_key(key_pem, None).public_key()
        tok = hs256_public(payload, pub.public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo))
    elif case == "duplicate-key":
        # A dict cannot hold a member twice: splice a second container_id
        # into the serialised payload (RFC 7519 4: reject or use the
        # last; sandgate rejects).
        body = json.dumps(numeric(payload), separators=(",", ":"))
        body = '{"container_id":"sandbox_other",' + body[1:]
        tok = sign_bytes(body.encode(), key_pem)
    else:
        # What generate_container_token() does with the payload.
        tok = jwt.encode(payload, key_pem, algorithm="ES256")
    if case == "bad-signature":
        tok = flip_signature(tok)
    p = numeric(payload)
    return tok, p.get("jti", "-"), p.get("exp", "-")


def main(argv):
    ap = argparse.ArgumentParser(
        description="Mint a container token as the original Python "
        "AuthService did (PyJWT, ES256, no sub/aud/nbf).")
    ap.add_argument("--key", required=True, help="signing key (PEM)")
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--container-id", required=True)
    ap.add_argument("--organization-uuid", required=True)
    ap.add_argument("--allowed-hosts", default="",
                    help="comma-separated, as the original joined them")
    ap.add_argument("--duration-hours", type=float, default=4)
    ap.add_argument("--no-binding", action="store_true",
                    help='enforce_container_binding "false"')
    ap.add_argument("--hipaa", action="store_true")
    ap.add_argument("--pci", action="store_true")
    ap.add_argument("--case", choices=CASES)
    ap.add_argument("--claim", action="append", default=[],
                    metavar="NAME=JSON", help="set a claim before signing")
    ap.add_argument("--drop", action="append", default=[], metavar="NAME",
                    help="remove a claim before signing")
    ap.add_argument("--facts", action="store_true",
                    help='print "TOKEN JTI EXP"')
    args = ap.parse_args(argv)
    tok, jti, exp = mint(args)
    print("%s %s %s" % (tok, jti, exp) if args.facts else tok)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
