"""Tokens for the tests: valid ones, and every kind of forgery the subgraphs must refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey

from tandem_shared.keys import generate_private_key
from tandem_shared.tokens import (
    ISSUER,
    TOKEN_TYPE,
    Principal,
    body_hash,
    mint_subgraph_token,
)

__all__ = ["ALICE", "forged_tokens", "sign", "unsigned"]

ALICE = Principal("emp-001", "Alice Li", ("employee", "manager"), "dep-01", "web")


def claims(audience: str, body: bytes = b"", **changes: Any) -> dict[str, Any]:
    """Valid claims for a request to ``audience`` with ``body``, with ``changes`` applied
    (None removes a claim)."""
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": audience,
        "sub": ALICE.subject,
        "name": ALICE.name,
        "roles": list(ALICE.roles),
        "department": ALICE.department,
        "client_id": ALICE.client_id,
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
        "bh": body_hash(body),
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def sign(private_key: str, payload: dict[str, Any], **header: Any) -> str:
    """``payload`` signed with ES256 by ``private_key``; ``header`` replaces header fields."""
    headers = {"alg": "ES256", "typ": TOKEN_TYPE, **header}
    return jwt.encode(headers, payload, ECKey.import_key(private_key), algorithms=["ES256"])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], payload: dict[str, Any], key: bytes | None = None) -> str:
    """A compact JWS built by hand: HS256 with ``key`` if given, else no signature at all."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    if key is None:
        return signing_input + "."
    digest = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(digest)}"


def forged_tokens(
    private_key: str, public_key: str, audience: str, body: bytes = b""
) -> dict[str, str]:
    """Tokens that must each be refused by a subgraph named ``audience`` on a request with
    ``body``, by what is wrong."""
    now = int(time.time())

    def mint(key: str = private_key, aud: str = audience, **more: Any) -> str:
        return mint_subgraph_token(key, aud, ALICE, body=body, **more)

    def valid(**changes: Any) -> dict[str, Any]:
        return claims(audience, body, **changes)

    return {
        "expired": mint(ttl=10, issued_at=now - 30),
        "wrong audience": mint(aud="another-subgraph"),
        "another body": mint_subgraph_token(private_key, audience, ALICE, body=body + b" "),
        "no body hash": sign(private_key, valid(bh=None)),
        "body hash not a string": sign(private_key, valid(bh=[body_hash(body)])),
        "audience list": sign(private_key, valid(aud=[audience, "erp"])),
        "wrong issuer": sign(private_key, valid(iss="someone-else")),
        "alg none": unsigned({"alg": "none", "typ": TOKEN_TYPE}, valid()),
        "HS256 with the public key": unsigned(
            {"alg": "HS256", "typ": TOKEN_TYPE}, valid(), key=public_key.encode()
        ),
        "another key": mint(key=generate_private_key()),
        "signature of another token": (
            mint().rsplit(".", 1)[0] + "." + mint(ttl=5).rsplit(".", 1)[1]
        ),
        "generic JWT type": sign(private_key, valid(), typ="JWT"),
        "lifetime too long": sign(private_key, valid(exp=now + 3600)),
        "issued in the future": sign(private_key, valid(iat=now + 3600, exp=now + 3630)),
        "no audience": sign(private_key, valid(aud=None)),
        "no issuer": sign(private_key, valid(iss=None)),
        "no jti": sign(private_key, valid(jti=None)),
        "no subject": sign(private_key, valid(sub=None)),
        "no expiry": sign(private_key, valid(exp=None)),
        "roles not a list": sign(private_key, valid(roles="admin")),
        "malformed": "not.a.token",
        "empty": "",
    }
