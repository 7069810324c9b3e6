"""The production shape as real processes, from the files ``deploy/`` ships.

Keys come from the init step exactly as the compose file runs it (``tandem keys provision``);
OA, ERP and the gateway replicas start with ``TANDEM_ENV=production`` from
``deploy/config/*.env`` plus ``secrets/database.env``, with the commands of the compose file.
Only these are changed for this machine (:func:`local`), and :func:`localized` fails if
anything else in the files still points elsewhere:

- addresses and ports: ``oa:4201``, ``erp:4202``, ``0.0.0.0`` and the gateway's port -> free
  ports of 127.0.0.1; ``redis://redis:6379/0`` -> the test Redis;
- databases: ``postgresql://tandem@postgres:5432/tandem_<name>`` -> scratch databases;
- paths: ``/run/secrets/`` -> the init step's directory, ``/app/`` (the image) -> the checkout;
- the identity provider: ``https://idp.example.com/...`` -> the suite's OpenID provider, the
  client id and secret it registered, ``https://tandem.example.com`` -> the first replica.

Added for tests only: a Redis key prefix of their own (events, sessions, policy channel), the
demo company (``TANDEM_OA_SEED``/``TANDEM_ERP_SEED``) and shorter event timings. Used by
``tests/deploy/test_production_shape.py`` (two replicas) and ``tests/security/production.py``
(one replica, filtered visibility, bearer tokens).
"""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.deploy.shape import (
    DEPLOY,
    IMAGE_ROOT,
    compose,
    env_file,
    provisioned_copy,
    subgraph_ready,
)
from tests.e2e.stack import (
    TEST_EVENT_TIMINGS,
    Service,
    scratch_database,
    service_env,
    tandem_command,
)
from tests.support.oidc.fixture import (
    OidcProvider,
    OidcUser,
    ProviderSettings,
    default_settings,
    running_oidc_provider,
)
from tests.support.processes import REPO_ROOT, free_port

__all__ = ["REDIS_URL", "Running", "command", "local", "localized", "running_production"]

REDIS_URL = "redis://127.0.0.1:6379/0"

Users = Sequence[OidcUser] | Callable[[Mapping[str, str]], Sequence[OidcUser]]
"""The provider's users, or how to make them from the scratch databases (once OA is seeded)."""


@dataclass
class Running:
    """The running shape: gateway replicas, OA and ERP, the provider, the databases."""

    replicas: tuple[Service, ...]
    subgraphs: tuple[Service, Service]
    provider: OidcProvider
    databases: dict[str, str]
    users: tuple[OidcUser, ...]


def local(value: str, table: Mapping[str, str]) -> str:
    for pattern, replacement in table.items():
        value = value.replace(pattern, replacement)
    return value


def localized(path: Path, table: Mapping[str, str]) -> dict[str, str]:
    """The env file's settings with the machine's addresses; nothing may point elsewhere."""
    settings = {name: local(value, table) for name, value in env_file(path).items()}
    stray = [
        f"{name}={value}"
        for name, value in settings.items()
        if re.search(r"example\.com|//(oa|erp|postgres|redis)[:/]|/run/secrets|0\.0\.0\.0", value)
    ]
    assert not stray, f"{path.name}: not localized: {stray}"
    return settings


def command(service: dict[str, Any], table: Mapping[str, str]) -> list[str]:
    """A compose service's command, run from the checkout instead of the image."""
    words = [local(word, table) for word in service["command"]]
    head = tandem_command() if words[0] == "tandem" else [sys.executable]
    return [*head, *words[1:]]


@contextmanager
def running_production(
    folder: Path,
    users: Users,
    *,
    replicas: int = 1,
    label: str = "deploy",
    gateway_settings: Mapping[str, str] | None = None,
    provider_settings: Callable[[ProviderSettings], ProviderSettings] | None = None,
) -> Iterator[Running]:
    """OA, ERP and ``replicas`` gateways in production mode, and a provider knowing ``users``."""
    deploy = provisioned_copy(folder / "deploy")
    secrets = deploy / "secrets"
    services = compose()["services"]
    prefix = f"tandem-test:{uuid.uuid4().hex[:10]}:"
    oa_port, erp_port = free_port(), free_port()
    ports = [free_port() for _ in range(replicas)]
    first = f"http://127.0.0.1:{ports[0]}"
    with ExitStack() as stack:
        databases = {
            name: stack.enter_context(scratch_database(f"{label}_{name}"))
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
        for name, port in (("oa", oa_port), ("erp", erp_port)):
            settings = localized(DEPLOY / "config" / f"{name}.env", table)
            service = Service(
                name,
                command(services[name], table | {"4201": str(port), "4202": str(port)}),
                service_env(
                    **settings,
                    **database_env,
                    **TEST_EVENT_TIMINGS,
                    TANDEM_EVENTS_PREFIX=prefix,
                    TANDEM_EVENTS_CONSUMER=f"{name}-1",
                    **{f"TANDEM_{name.upper()}_SEED": "1"},
                ),
                port,
                folder,
                subgraph_ready(secrets),  # HTTPS, as the gateway reaches them
            )
            service.start()
            stack.callback(service.stop)
            subgraphs.append(service)
        people = tuple(users(databases) if callable(users) else users)
        oidc = default_settings().with_changes(users=people)
        provider = stack.enter_context(
            running_oidc_provider(provider_settings(oidc) if provider_settings else oidc)
        )
        client = provider.register_web_client(
            [f"{first}/auth/callback"], post_logout_redirect_uris=[f"{first}/"]
        )
        (secrets / "oidc-client-secret").write_text(f"{client.client_secret}\n")
        identity = {
            "https://idp.example.com/realms/tandem": provider.issuer,
            "https://tandem.example.com": first,
        }
        gateways = []
        for index, port in enumerate(ports):
            settings = localized(DEPLOY / "config" / "gateway.env", table | identity)
            settings |= {
                "TANDEM_PORT": str(port),
                "TANDEM_OIDC_CLIENT_ID": client.client_id,
                "TANDEM_SESSION_KEY_PREFIX": f"{prefix}auth:",
                "TANDEM_POLICY_CHANNEL": f"{prefix}policy",
                **(gateway_settings or {}),
            }
            gateway = Service(
                "gateway" if replicas == 1 else f"gateway-{'abcdefgh'[index]}",
                command(services["gateway"], table),
                service_env(**settings, **database_env),
                port,
                folder,
                lambda client, url: client.get(f"{url}/ready").status_code == 200,
            )
            gateway.start()
            stack.callback(gateway.stop)
            gateways.append(gateway)
        yield Running(tuple(gateways), (subgraphs[0], subgraphs[1]), provider, databases, people)
