"""A production-mode stack for the security tests, as real processes.

``production_stack()`` starts what ``tests/deploy/test_production_shape.py`` starts
(``tests/deploy/running.py``), from the same ``deploy/`` files (keys from ``tandem keys
provision``, ``TANDEM_ENV=production``, the default policy, PostgreSQL and Redis), with one
gateway replica, filtered schema visibility
and the suite's real OpenID provider. Callers act as people through bearer access tokens the
provider issues for the gateway's resource (authorization code + PKCE, a browserless login),
so any role is one :func:`person` away. Extra gateway settings (``TANDEM_*``) may be given.

Each stack has its own scratch databases, Redis key prefix and provider; start one per test
module (it takes a few seconds) and share it between the module's tests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.deploy.running import REDIS_URL, running_production
from tests.e2e.stack import Service
from tests.support.oidc import browser
from tests.support.oidc.fixture import GATEWAY_RESOURCE, OidcProvider, OidcUser

__all__ = ["REDIS_URL", "ProductionStack", "person", "production_stack"]

TOKEN_LIFE = 1800  # seconds: longer than any module's tests, so no token expires midway


def person(sub: str, *roles: str, department: str = "dept-01", name: str | None = None) -> OidcUser:
    """A user of the provider whose tokens say ``sub``, ``roles`` and ``department``."""
    return OidcUser(
        username=sub,
        password=f"{sub}-correct-horse-7",
        sub=sub,
        claims={
            "name": name or sub,
            "email": f"{sub}@tandem.test",
            "groups": list(roles),
            "roles": list(roles),
            "department": department,
        },
    )


@dataclass
class ProductionStack:
    """The running stack: the gateway, the provider, and the databases behind them."""

    gateway: Service
    subgraphs: tuple[Service, Service]
    provider: OidcProvider
    databases: dict[str, str]
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict)

    def token(self, who: str) -> str:
        """A bearer access token for ``who`` (signed in at the provider once, then cached)."""
        cached = self._tokens.get(who)
        if cached is not None and cached[1] > time.monotonic() + 60:
            return cached[0]
        user = self.provider.user(who)
        request = self.provider.authorization_request(resource=GATEWAY_RESOURCE)
        with browser.user_agent() as agent:
            callback = browser.login(request.url, user.username, user.password, client=agent)
        tokens = self.provider.exchange_code(request, callback)
        token: str = tokens["access_token"]
        self._tokens[who] = (token, time.monotonic() + float(tokens.get("expires_in", 60)))
        return token

    def post(
        self, who: str | None, query: str, *, path: str = "/graphql", **variables: Any
    ) -> tuple[int, dict[str, Any]]:
        """POST a GraphQL document as ``who`` (None: no token); the status and the body."""
        headers = {} if who is None else {"authorization": f"Bearer {self.token(who)}"}
        response = httpx.post(
            f"{self.gateway.base_url}{path}",
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=30,
        )
        body: dict[str, Any] = response.json()
        return response.status_code, body

    def admin(self, who: str, query: str, **variables: Any) -> tuple[int, dict[str, Any]]:
        """The same through the policy admin API (``/admin/graphql``)."""
        return self.post(who, query, path="/admin/graphql", **variables)

    def logs(self) -> str:
        return self.gateway.output()


@contextmanager
def production_stack(
    folder: Path,
    users: Sequence[OidcUser],
    *,
    gateway_settings: Mapping[str, str] | None = None,
) -> Iterator[ProductionStack]:
    """OA, ERP and one gateway in production mode with filtered schema visibility, and a
    provider knowing ``users`` whose access tokens outlive the module's tests."""
    with running_production(
        folder,
        users,
        label="security",
        gateway_settings={"TANDEM_SCHEMA_VISIBILITY": "filtered", **(gateway_settings or {})},
        provider_settings=lambda settings: settings.with_changes(access_token_ttl=TOKEN_LIFE),
    ) as running:
        yield ProductionStack(
            running.replicas[0], running.subgraphs, running.provider, running.databases
        )
