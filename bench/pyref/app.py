# SPDX-License-Identifier: ISC
"""The reference a user would otherwise deploy for sandgate's API decision.

A Flask app whose decorator decodes the Bearer token with PyJWT (ES256
only), compares X-Container-ID with the token's container_id when
enforce_container_binding is "true", and answers 401, 403 or 204.  Run by
bench/python-ref.sh under gunicorn (sync workers, as many as token-verify
has processes), all from Debian 12's packages: python3-flask, python3-jwt
(which uses python3-cryptography, i.e. OpenSSL, for ES256) and gunicorn.

It does less than token-verify does for the same request: no route or
scope check beyond the binding, no session (revocation) lookup in Redis,
no decision log, no metrics, no audit trail, no cache.

Settings (environment): PYREF_PUBLIC_KEY (PEM file), PYREF_ISSUER,
PYREF_AUDIENCE (default "sandgate-egress", the container tokens' aud).
"""
import functools
import os

import jwt
from flask import Flask, Response, request

with open(os.environ["PYREF_PUBLIC_KEY"], encoding="ascii") as f:
    PUBLIC_KEY = f.read()
ISSUER = os.environ["PYREF_ISSUER"]
AUDIENCE = os.environ.get("PYREF_AUDIENCE", "sandgate-egress")
CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}

app = Flask(__name__)


def require_container_token(view):
    """401 without a valid ES256 token, 403 when the binding fails."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return Response(status=401, headers=CHALLENGE)
        try:
            claims = jwt.decode(
                auth[len("Bearer "):],
                PUBLIC_KEY,
                algorithms=["ES256"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "jti"]},
            )
        except jwt.PyJWTError:
            return Response(status=401, headers=CHALLENGE)
        if (claims.get("enforce_container_binding") == "true" and
                request.headers.get("X-Container-ID") !=
                claims.get("container_id")):
            return Response(status=403)
        return view(claims, *args, **kwargs)

    return wrapper


@app.route("/v1/sessions/<container_id>")
@require_container_token
def session(claims, container_id):
    return Response(status=204)
