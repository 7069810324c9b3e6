"""Which client headers reach which subgraph (issue 15, item 5), seen by the subgraph.

The ``faulty`` graph goes through the fault proxy, which keeps the headers of the last request
of each tag: what the rules pass on arrives, what they do not (the client's credentials above
all) does not, and ``authorization`` is always the gateway's identity token.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import httpx
import pytest

from gateway.auth.subgraph_tokens import SubgraphTokens
from gateway.executor.transport import AiohttpTransport
from gateway.headers import HeaderRules, HeaderRulesError
from gateway.http import create_app
from gateway.pipeline import Gateway
from gateway.settings import Settings
from gateway.supergraph import load_supergraph
from tandem_shared.keys import load_or_create_dev_key
from tandem_shared.tokens import Principal
from tests.support.fault_proxy import FaultProxy
from tests.support.fixtures import write_supergraph
from tests.support.integration_fixtures import FAULTY_SUPERGRAPH

QUERY = "{ announcements }"
ALICE = Principal(subject="emp-001", name="Alice", roles=("employee",))
CLIENT = {
    "accept-language": "zh-CN",
    "x-tenant-id": "acme",
    "x-tenant-region": "cn-east",
    "x-debug": "1",
    "authorization": "Bearer the-clients-own-token",
    "cookie": "tandem_session=secret",
}
_tags = itertools.count()


def gateway_with(proxy: FaultProxy, tmp_path: Path, rules: list[str]) -> tuple[Gateway, str]:
    tag = f"headers{next(_tags)}"
    supergraph = write_supergraph(
        {"faulty": proxy.url("pass", tag)}, tmp_path / f"{tag}.graphql", source=FAULTY_SUPERGRAPH
    )
    tokens = SubgraphTokens(load_or_create_dev_key(tmp_path / "gateway-key.pem"))
    gateway = Gateway(
        load_supergraph(supergraph),
        transport=AiohttpTransport(),
        tokens=tokens,
        header_rules=HeaderRules(rules),
    )
    return gateway, tag


@pytest.mark.anyio
async def test_the_rules_decide_what_a_subgraph_receives(proxy: FaultProxy, tmp_path: Path) -> None:
    gateway, tag = gateway_with(
        proxy,
        tmp_path,
        [
            "*:forward:accept-language",
            "faulty:forward:x-tenant-*",
            "faulty:remove:x-tenant-region",
            "faulty:rename:authorization=x-client-authorization",
            "faulty:insert:x-source=tandem",
            "people:forward:x-debug",  # another subgraph's rule: not for faulty
        ],
    )
    try:
        answer = await gateway.execute(QUERY, principal=ALICE, client_headers=CLIENT)
    finally:
        await gateway.close()
    assert "errors" not in answer, answer
    received = proxy.headers(tag)
    assert received["accept-language"] == "zh-CN"
    assert received["x-tenant-id"] == "acme"
    assert "x-tenant-region" not in received
    assert "x-debug" not in received
    assert received["x-source"] == "tandem"
    assert received["x-client-authorization"] == "Bearer the-clients-own-token"
    assert "cookie" not in received
    # the gateway's identity token for this subgraph, never the client's
    assert received["authorization"].startswith("Bearer ey")
    assert "the-clients-own-token" not in received["authorization"]


@pytest.mark.anyio
async def test_without_rules_no_client_header_goes_on(proxy: FaultProxy, tmp_path: Path) -> None:
    gateway, tag = gateway_with(proxy, tmp_path, [])
    try:
        await gateway.execute(QUERY, principal=ALICE, client_headers=CLIENT)
    finally:
        await gateway.close()
    received = proxy.headers(tag)
    assert not set(received) & {"accept-language", "x-tenant-id", "x-debug", "cookie"}
    assert "the-clients-own-token" not in received["authorization"]


@pytest.mark.anyio
async def test_a_prefix_never_passes_credentials(proxy: FaultProxy, tmp_path: Path) -> None:
    gateway, tag = gateway_with(proxy, tmp_path, ["*:forward:*"])
    try:
        await gateway.execute(QUERY, client_headers=CLIENT)  # anonymous: no identity token
    finally:
        await gateway.close()
    received = proxy.headers(tag)
    assert received["x-debug"] == "1"
    assert "cookie" not in received
    assert "authorization" not in received


@pytest.mark.anyio
async def test_the_http_layer_hands_the_requests_headers_on(
    proxy: FaultProxy, tmp_path: Path
) -> None:
    gateway, tag = gateway_with(proxy, tmp_path, ["*:forward:accept-language"])
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(create_app(gateway)), base_url="http://tandem.test"
        ) as client:
            response = await client.post(
                "/graphql", json={"query": QUERY}, headers={"Accept-Language": "en-GB"}
            )
    finally:
        await gateway.close()
    assert response.status_code == 200, response.text
    assert proxy.headers(tag)["accept-language"] == "en-GB"


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("forward:x-a", "expected SUBGRAPH:ACTION:ARGUMENT"),
        ("*:copy:x-a", "the action must be one of"),
        ("*:forward:authorization", "sets 'authorization'"),
        ("*:rename:x-token=authorization", "identity token"),
        ("*:insert:content-type=text/plain", "sets 'content-type'"),
        ("*:insert:x-a", "expected insert:NAME=VALUE"),
        ("*:forward:x a", "is not a header name"),
        (":forward:x-a", "no subgraph"),
    ],
)
def test_a_rule_that_cannot_be_followed_is_named(rule: str, problem: str) -> None:
    with pytest.raises(HeaderRulesError, match=problem):
        HeaderRules([rule])
    with pytest.raises(ValueError, match="subgraph_headers"):
        Settings(subgraph_headers=rule)
