"""A production-mode stack for the security tests, as real processes.

``production_stack()`` starts what ``tests/deploy/test_production_shape.py`` starts, from the
same ``deploy/`` files (keys from ``tandem keys provision``, ``TANDEM_ENV=production``, the
default policy, PostgreSQL and Redis), with one gateway replica, filtered schema visibility
and the suite's real OpenID provider. Callers act as people through bearer access tokens the
provider issues for the gateway's resource (authorization code + PKCE, a browserless login),
so any role is one :func:`person` away. Extra gateway settings (``TANDEM_*``) may be given.

Each stack has its own scratch databases, Redis key prefix and provider; start one per test
module (it takes a few seconds) and share it between the module's tests.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.deploy.shape import (
    DEPLOY,
    IMAGE_ROOT,
    compose,
    env_file,
    provisioned_copy,
    subgraph_ready,
)
from tests.deploy.test_production_shape import command, localized
from tests.e2e.stack import TEST_EVENT_TIMINGS, Service, scratch_database, service_env
from tests.support.oidc import browser
from tests.support.oidc.fixture import (
    GATEWAY_RESOURCE,
    OidcProvider,
    OidcUser,
    default_settings,
    running_oidc_provider,
)
from tests.support.processes import REPO_ROOT, free_port

__all__ = ["REDIS_URL", "ProductionStack", "person", "production_stack"]

REDIS_URL = "redis://127.0.0.1:6379/0"
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
    """OA, ERP and one gateway in production mode, and a provider knowing ``users``."""
    deploy = provisioned_copy(folder / "deploy")
    secrets = deploy / "secrets"
    services = compose()["services"]
    prefix = f"tandem-test:{uuid.uuid4().hex[:10]}:"
    oa_port, erp_port, port = free_port(), free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        databases = {
            name: stack.enter_context(scratch_database(f"security_{name}"))
            for name in ("oa", "erp", "policy", "audit")
        }
        table = {
            f"postgresql://tandem@postgres:5432/tandem_{name}": url
            for name, url in databases.items()
        } | {
            "redis://redis:6379/0": REDIS_URL,
            "://oa:4201": f"://127.0.0.1:{oa_port}",
            "://erp:4202": f"://127.0.0.1:{erp_port}",
            "/run/secrets/": f"{secrets}/",
            f"{IMAGE_ROOT}/": f"{REPO_ROOT}/",
            "0.0.0.0": "127.0.0.1",
        }
        database_env = env_file(secrets / "database.env")
        subgraphs = []
        for name, sub_port in (("oa", oa_port), ("erp", erp_port)):
            settings = localized(DEPLOY / "config" / f"{name}.env", table)
            words = command(services[name], table | {"4201": str(sub_port), "4202": str(sub_port)})
            service = Service(
                name,
                words,
                service_env(
                    **settings,
                    **database_env,
                    **TEST_EVENT_TIMINGS,
                    TANDEM_EVENTS_PREFIX=prefix,
                    TANDEM_EVENTS_CONSUMER=f"{name}-1",
                    **{f"TANDEM_{name.upper()}_SEED": "1"},
                ),
                sub_port,
                folder,
                subgraph_ready(secrets),  # HTTPS, as the gateway reaches them
            )
            service.start()
            stack.callback(service.stop)
            subgraphs.append(service)
        provider_settings = default_settings().with_changes(
            users=tuple(users), access_token_ttl=TOKEN_LIFE
        )
        provider = stack.enter_context(running_oidc_provider(provider_settings))
        client = provider.register_web_client(
            [f"{base}/auth/callback"], post_logout_redirect_uris=[f"{base}/"]
        )
        (secrets / "oidc-client-secret").write_text(f"{client.client_secret}\n")
        identity = {
            "https://idp.example.com/realms/tandem": provider.issuer,
            "https://tandem.example.com": base,
        }
        settings = localized(DEPLOY / "config" / "gateway.env", table | identity)
        settings |= {
            "TANDEM_PORT": str(port),
            "TANDEM_OIDC_CLIENT_ID": client.client_id,
            "TANDEM_SCHEMA_VISIBILITY": "filtered",
            "TANDEM_SESSION_KEY_PREFIX": f"{prefix}auth:",
            "TANDEM_POLICY_CHANNEL": f"{prefix}policy",
            **(gateway_settings or {}),
        }
        gateway = Service(
            "gateway",
            command(services["gateway"], table),
            service_env(**settings, **database_env),
            port,
            folder,
            lambda client, url: client.get(f"{url}/ready").status_code == 200,
        )
        gateway.start()
        stack.callback(gateway.stop)
        yield ProductionStack(gateway, (subgraphs[0], subgraphs[1]), provider, databases)
