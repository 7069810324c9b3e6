"""Signing the short-lived identity token every subgraph request carries (DESIGN.md, Identity).

Tokens are ES256 JWTs with ``aud`` = the subgraph's name and ``bh`` = the hash of the request
body, living 10 seconds, so a token copied off the wire is refused by another subgraph, with
another body or after its life (issue 10, item 2). One token per request means one signature
per subgraph request (``tandem_shared/tokens.py`` has the measurements;
``benchmarks/subgraph_tokens.py`` measures them again).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tandem_shared.keys import load_or_create_dev_key
from tandem_shared.tokens import DEFAULT_TTL, Principal, mint_subgraph_token

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
    """Mints the identity token of one request: a principal, a subgraph, a body."""

    def __init__(self, private_key: str, *, ttl: int = DEFAULT_TTL):
        self.private_key = private_key
        self.ttl = ttl

    def authorization(self, principal: Principal, subgraph: str, body: bytes) -> str:
        """The ``Authorization`` header value for a request to ``subgraph`` with ``body``."""
        token = mint_subgraph_token(self.private_key, subgraph, principal, self.ttl, body=body)
        return f"Bearer {token}"
