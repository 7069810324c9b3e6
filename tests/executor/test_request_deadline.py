"""One deadline per client request, and a failed subgraph not asked again (issue 11).

``tests/support/alternating_supergraph.graphql`` has a mutation field in each of two graphs,
so ``mutation { a: poke ping b: poke pong c: poke }`` is five fetches in sequence, three of
them to graph ``one`` (GraphQL spec, "Mutation": root fields run serially). ``one`` goes to
the fault proxy's ``hang`` mode; ``two`` to a canned good answer. The proxy counts what
arrives, so "not asked again" is asserted by count, not by clock.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.executor.execute import PlanExecutor
from gateway.executor.transport import AiohttpTransport
from gateway.http import create_app
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from tests.support.fault_proxy import FaultProxy
from tests.support.fixtures import write_supergraph

ALTERNATING = Path(__file__).parents[1] / "support" / "alternating_supergraph.graphql"
MUTATION = "mutation { a: poke ping b: poke pong c: poke }"
SUBGRAPH_TIMEOUT = 1.5
_tags = itertools.count()


async def run(
    proxy: FaultProxy, tmp_path: Path, transport: AiohttpTransport, **options: Any
) -> tuple[dict[str, Any], float, str, str]:
    """Send :data:`MUTATION`: the body, the seconds taken, and the tags of ``one``/``two``."""
    one, two = f"one{next(_tags)}", f"two{next(_tags)}"
    supergraph = write_supergraph(
        {
            "one": proxy.url("hang", one),
            "two": proxy.answering({"data": {"ping": "ping!", "pong": "pong!"}}, two),
        },
        tmp_path / "alternating.graphql",
        source=ALTERNATING,
    )
    gateway = Gateway(load_supergraph(supergraph), transport=transport, **options)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(create_app(gateway)), base_url="http://tandem.test"
        ) as client:
            started = time.monotonic()
            response = await client.post("/graphql", json={"query": MUTATION})
            elapsed = time.monotonic() - started
    finally:
        await gateway.close()
    assert response.status_code == 200, response.text
    return response.json(), elapsed, one, two


@pytest.mark.anyio
async def test_hung_subgraph_costs_one_timeout_for_three_sequential_fetches(
    proxy: FaultProxy, tmp_path: Path
) -> None:
    transport = AiohttpTransport(timeout=30.0, timeouts={"one": SUBGRAPH_TIMEOUT})
    body, elapsed, one, two = await run(proxy, tmp_path, transport)
    assert body["data"] == {"a": None, "ping": "ping!", "b": None, "pong": "pong!", "c": None}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["a"], "SUBGRAPH_TIMEOUT"),
        (["b"], "SUBGRAPH_TIMEOUT"),
        (["c"], "SUBGRAPH_TIMEOUT"),
    ]
    assert "not asked again" in body["errors"][1]["message"]
    assert proxy.count(one) == 1  # b and c never went out: one timeout, not one per fetch
    assert proxy.count(two) == 2
    assert elapsed < 15.0  # generous: catches a hang (the transport's own timeout is 30 s)


@pytest.mark.anyio
async def test_request_deadline_stops_the_whole_plan(proxy: FaultProxy, tmp_path: Path) -> None:
    """The deadline (1 s) is far below the subgraph timeout (30 s): it decides, and nothing
    after it is sent, not even to the healthy subgraph."""
    body, elapsed, one, two = await run(
        proxy, tmp_path, AiohttpTransport(timeout=30.0), request_deadline=1.0
    )
    assert body["data"] == {"a": None, "ping": None, "b": None, "pong": None, "c": None}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        ([key], "GATEWAY_TIMEOUT") for key in ("a", "ping", "b", "pong", "c")
    ]
    assert body["errors"][0]["extensions"]["serviceName"] == "one"
    assert proxy.count(one) == 1
    assert proxy.count(two) == 0
    assert elapsed < 15.0  # generous: the subgraph timeout alone would be 30 s per fetch


def test_request_deadline_must_be_positive() -> None:
    with pytest.raises(ValueError, match="deadline"):
        PlanExecutor(AiohttpTransport(), {}, frozenset(), deadline=0)
