"""Entity fetches of one subgraph at different paths of a stage go as one request (issue 14,
item 3), against the four benchmark subgraphs as real processes.

The ``people`` benchmark query needs ``inventory`` twice in its last stage (``inStock`` of the
recently viewed products, ``stock`` of the reviewed ones): the plan batches both into one
request, the answer equals what graphql-core gives over the same data as one monolithic
schema, and the inventory subgraph counts exactly one request for it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.executor.transport import AiohttpTransport
from gateway.pipeline import Gateway
from gateway.planner import BatchNode, ParallelNode, SequenceNode
from gateway.supergraph import load_supergraph
from tests.support.fault_proxy import FaultProxy, running_fault_proxy
from tests.support.fixtures import write_supergraph
from tests.support.processes import free_port
from tests.support.spawn import REPO_ROOT, running

BENCHMARKS = REPO_ROOT / "benchmarks"
SUPERGRAPH = BENCHMARKS / "supergraph.graphql"
PEOPLE = (BENCHMARKS / "queries" / "people.graphql").read_text(encoding="utf-8")
NAMES = ("accounts", "products", "inventory", "reviews")

sys.path.insert(0, str(BENCHMARKS / "subgraphs"))
from reference import build_reference_schema, reference_response  # noqa: E402


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def subgraphs() -> Iterator[dict[str, str]]:
    """The benchmark subgraphs, each in its own process: name -> GraphQL URL."""
    with contextlib.ExitStack() as stack:
        urls: dict[str, str] = {}
        for name in NAMES:
            port = free_port()

            def command(name: str = name, port: int = port) -> tuple[Sequence[str], Any]:
                line = [sys.executable, str(BENCHMARKS / "subgraphs" / "server.py"), name,
                        "--port", str(port)]  # fmt: skip
                return line, lambda: _stats(f"http://127.0.0.1:{port}") is not None

            stack.enter_context(running(f"benchmark subgraph {name}", command))
            urls[name] = f"http://127.0.0.1:{port}/graphql"
        yield urls


def _stats(url: str) -> dict[str, int] | None:
    try:
        answer = httpx.get(f"{url.removesuffix('/graphql')}/stats", timeout=5.0)
    except httpx.TransportError:
        return None
    return dict(answer.json())


def requests_served(url: str) -> int:
    stats = _stats(url)
    assert stats is not None
    return stats["hits"] + stats["misses"]


def gateway_over(urls: dict[str, str], tmp_path: Path) -> Gateway:
    path = write_supergraph(urls, tmp_path / "supergraph.graphql", source=SUPERGRAPH)
    return Gateway(load_supergraph(path), transport=AiohttpTransport())


def batches(node: Any) -> list[BatchNode]:
    match node:
        case BatchNode():
            return [node]
        case SequenceNode(nodes=nodes) | ParallelNode(nodes=nodes):
            return [batch for child in nodes for batch in batches(child)]
    return []


@pytest.mark.anyio
async def test_two_paths_of_one_subgraph_in_one_request(
    subgraphs: dict[str, str], tmp_path: Path
) -> None:
    gateway = gateway_over(subgraphs, tmp_path)
    variables = {"first": 12}
    try:
        [batch] = batches(gateway.plan(PEOPLE, variables=variables).node)
        assert batch.service_name == "inventory"
        assert [part.path for part in batch.parts] == [
            ("users", "@", "recentlyViewed", "@"),
            ("users", "@", "reviews", "@", "product"),
        ]
        before = {name: requests_served(url) for name, url in subgraphs.items()}
        answer = await gateway.execute(PEOPLE, variables)
        after = {name: requests_served(url) for name, url in subgraphs.items()}
    finally:
        await gateway.close()
    reference = reference_response(
        build_reference_schema(SUPERGRAPH.read_text(encoding="utf-8")), PEOPLE, variables
    )
    assert answer == reference
    users = answer["data"]["users"]
    assert any(user["recentlyViewed"] for user in users)  # both paths had objects to fetch
    assert any(review["product"]["stock"] for user in users for review in user["reviews"])
    assert after["inventory"] - before["inventory"] == 1
    assert {name: after[name] - before[name] for name in NAMES} == {
        "accounts": 1,
        "products": 2,
        "inventory": 1,
        "reviews": 1,
    }


@pytest.fixture(scope="module")
def proxy(subgraphs: dict[str, str]) -> Iterator[FaultProxy]:
    with running_fault_proxy(subgraphs["inventory"]) as running_proxy:
        yield running_proxy


@pytest.mark.anyio
async def test_a_batchs_errors_land_at_the_paths_of_their_own_part(
    subgraphs: dict[str, str], proxy: FaultProxy, tmp_path: Path
) -> None:
    """An error at ``_e1`` belongs to the second part's objects, a path-less one to every
    part; ``data: null`` leaves the fields null with the subgraph's errors saying why."""
    answer = {
        "data": None,
        "errors": [
            {"message": "stock ledger offline", "path": ["_e1", 0, "stock"]},
            {"message": "inventory degraded"},
        ],
    }
    gateway = gateway_over(
        {**subgraphs, "inventory": proxy.answering(answer, "batch-errors")}, tmp_path
    )
    try:
        result = await gateway.execute(PEOPLE, {"first": 1})
    finally:
        await gateway.close()
    assert proxy.count("batch-errors") == 1
    errors = result["errors"]
    ledger = [e for e in errors if e["message"] == "stock ledger offline"]
    degraded = [e for e in errors if e["message"] == "inventory degraded"]
    assert len(ledger) >= 1
    for error in ledger:  # at a reviewed product's stock, never at a recently viewed one
        assert error["path"][:3] == ["users", 0, "reviews"]
        assert error["path"][-2:] == ["product", "stock"]
    # one path-less error per part, each at an object of its own part
    assert sorted(tuple(e["path"][:3]) for e in degraded) == [
        ("users", 0, "recentlyViewed"),
        ("users", 0, "reviews"),
    ]
    # ``inStock: Boolean!`` left null: the nulls reach up to the nullable ``data``
    assert result["data"] is None
