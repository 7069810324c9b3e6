"""Requests signed as the gateway signs them: one token bound to the subgraph and the body."""

from __future__ import annotations

import json
from typing import Any

from tandem_shared.tokens import Principal, mint_subgraph_token

__all__ = ["signed"]


def signed(
    private_key: str, audience: str, principal: Principal, payload: Any, **mint: Any
) -> dict[str, Any]:
    """``content`` and ``headers`` for an httpx request posting ``payload`` as JSON to
    ``audience`` as ``principal`` (``mint``: ``ttl``, ``issued_at``)."""
    body = json.dumps(payload).encode()
    token = mint_subgraph_token(private_key, audience, principal, body=body, **mint)
    return {
        "content": body,
        "headers": {"authorization": f"Bearer {token}", "content-type": "application/json"},
    }
