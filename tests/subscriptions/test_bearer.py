"""Bearer tokens from a real OpenID provider in ``connection_init`` (where a browser or
Node application must put them: no headers on a WebSocket upgrade), with the npm
``graphql-ws`` client: an integrator's client-credentials token subscribes, and the
subscription reaches the owning subgraph as that integrator; a bad token closes the
connection 4401 ``UNAUTHENTICATED``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.subscriptions.conftest import SUPERGRAPH, Stack
from tests.subscriptions.test_npm_clients import node, run_client
from tests.subscriptions.test_websocket import TICKS
from tests.support.gateway_process import running_gateway
from tests.support.oidc.fixture import GATEWAY_RESOURCE, OidcProvider

__all__ = ["node"]  # a fixture this module uses


@pytest.fixture(scope="module")
def bearer_gateway(
    stack: Stack, oidc_provider: OidcProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A gateway accepting the provider's bearer tokens, in front of the stack's subgraphs;
    yields its WebSocket URL."""
    env = {
        "TANDEM_SUBGRAPH_URLS": f"clock={stack.clock},labels={stack.labels}",
        "TANDEM_GATEWAY_KEY_FILE": str(stack.key_file),
        "TANDEM_BEARER_ISSUER": oidc_provider.issuer,
        "TANDEM_BEARER_AUDIENCES": GATEWAY_RESOURCE,
        "TANDEM_DATA_DIR": str(tmp_path_factory.mktemp("bearer-data")),
    }
    with running_gateway(SUPERGRAPH, env=env) as url:
        yield "ws://" + url.removeprefix("http://")


def test_an_integrators_token_in_connection_init_subscribes_as_the_integrator(
    node: str, stack: Stack, bearer_gateway: str, oidc_provider: OidcProvider
) -> None:
    token = oidc_provider.client_credentials_token()["access_token"]
    printed = run_client(
        node,
        "ws",
        bearer_gateway,
        {"query": TICKS, "variables": {"count": 2}},
        {"authorization": f"Bearer {token}"},
    )
    assert printed == [
        *({"data": {"ticks": {"n": n, "label": f"label of tick-{n}"}}} for n in (1, 2)),
        {"complete": True},
    ]
    last = httpx.post(stack.clock, json={"query": "{ lastCaller }"}, timeout=10).json()
    assert last["data"]["lastCaller"]  # the token the clock verified named the integrator
    assert last["data"]["lastCaller"] not in ("vera", "audrey", "token-check")


def test_a_bad_token_in_connection_init_closes_4401_unauthenticated(
    node: str, bearer_gateway: str
) -> None:
    (printed,) = run_client(
        node,
        "ws",
        bearer_gateway,
        {"query": TICKS, "variables": {"count": 1}},
        {"authorization": "Bearer not-a-token"},
    )
    assert printed == {"error": {"code": 4401, "reason": "UNAUTHENTICATED"}}
