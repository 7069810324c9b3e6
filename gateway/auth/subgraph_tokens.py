"""Signing the short-lived identity token every subgraph request carries (DESIGN.md, Identity).

Tokens are ES256 JWTs with ``aud`` = the subgraph's name, so a token minted for one subgraph is
refused by another. Signing costs far more than a request's other work, so a token is reused
for the same principal and subgraph until half its lifetime has passed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from subgraphs.common.keys import load_or_create_dev_key
from subgraphs.common.tokens import DEFAULT_TTL, Principal, mint_subgraph_token

from ..errors import TandemError

__all__ = ["SubgraphTokens", "load_gateway_key"]


def load_gateway_key(environ: Mapping[str, str]) -> str:
    """The gateway's PEM private key: ``TANDEM_GATEWAY_KEY_FILE``, or in development a key
    generated once under ``TANDEM_DATA_DIR`` (default ``.tandem``) that the subgraphs share."""
    env = environ
    path = env.get("TANDEM_GATEWAY_KEY_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="ascii")
        except OSError as error:
            raise TandemError(
                f"setting gateway_key_file (TANDEM_GATEWAY_KEY_FILE): cannot read {path}: "
                f"{error.strerror}"
            ) from None
    if env.get("TANDEM_ENV", "development").strip().lower() == "production":
        raise TandemError(
            "setting gateway_key_file (TANDEM_GATEWAY_KEY_FILE): required in production "
            "(`tandem keys provision` makes one; see deploy/)"
        )
    data_dir = Path(env.get("TANDEM_DATA_DIR") or ".tandem")
    return load_or_create_dev_key(data_dir / "dev-gateway-key.pem")


class SubgraphTokens:
    """Mints (and briefly reuses) the identity token for a principal and a subgraph."""

    def __init__(self, private_key: str, *, ttl: int = DEFAULT_TTL, max_cached: int = 10_000):
        self.private_key = private_key
        self.ttl = ttl
        self.max_cached = max_cached
        self._cache: dict[tuple[Principal, str], tuple[str, float]] = {}

    def authorization(self, principal: Principal, subgraph: str) -> str:
        """The ``Authorization`` header value for a request to ``subgraph``."""
        now = time.monotonic()
        cached = self._cache.get((principal, subgraph))
        if cached is not None and cached[1] > now:
            return cached[0]
        token = f"Bearer {mint_subgraph_token(self.private_key, subgraph, principal, self.ttl)}"
        if len(self._cache) >= self.max_cached:
            self._cache.clear()
        self._cache[(principal, subgraph)] = (token, now + self.ttl / 2)
        return token
