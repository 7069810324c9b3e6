"""Reading a compact JWT's header and claims in tests, without verifying (joserfc's parser)."""

from __future__ import annotations

import json
from typing import Any

from joserfc.jws import JWSRegistry, extract_compact

__all__ = ["unverified_claims", "unverified_header"]


class _Lenient(JWSRegistry):
    max_header_length = 8192


_REGISTRY = _Lenient(strict_check_header=False)


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header of ``token``, not verified."""
    return dict(extract_compact(token.encode(), registry=_REGISTRY).headers())


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of ``token``, not verified."""
    claims = json.loads(extract_compact(token.encode(), registry=_REGISTRY).payload)
    assert isinstance(claims, dict)
    return claims
