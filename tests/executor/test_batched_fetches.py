"""Entity fetches of one subgraph at different paths of a stage go as one request (issue 14,
item 3), against the four benchmark subgraphs as real processes.

The ``people`` benchmark query needs ``inventory`` twice in its last stage (``inStock`` of the
recently viewed products, ``stock`` of the reviewed ones): the plan batches both into one
request, the answer equals what graphql-core gives over the same data as one monolithic
schema, and the inventory subgraph counts exactly one request for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.executor.transport import AiohttpTransport
from gateway.pipeline import Gateway
from gateway.planner import BatchNode, ParallelNode, SequenceNode
from gateway.supergraph import load_supergraph
from tests.support.benchmark_subgraphs import (
    BENCHMARKS,
    NAMES,
    SUPERGRAPH,
    reference,
    requests_served,
)
from tests.support.fault_proxy import FaultProxy, running_fault_proxy
from tests.support.fixtures import write_supergraph

PEOPLE = (BENCHMARKS / "queries" / "people.graphql").read_text(encoding="utf-8")


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
    benchmark_subgraphs: dict[str, str], tmp_path: Path
) -> None:
    gateway = gateway_over(benchmark_subgraphs, tmp_path)
    variables = {"first": 12}
    try:
        [batch] = batches(gateway.plan(PEOPLE, variables=variables).node)
        assert batch.service_name == "inventory"
        assert [part.path for part in batch.parts] == [
            ("users", "@", "recentlyViewed", "@"),
            ("users", "@", "reviews", "@", "product"),
        ]
        before = {name: requests_served(url) for name, url in benchmark_subgraphs.items()}
        answer = await gateway.execute(PEOPLE, variables)
        after = {name: requests_served(url) for name, url in benchmark_subgraphs.items()}
    finally:
        await gateway.close()
    assert answer == reference(PEOPLE, variables)
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
def inventory_proxy(benchmark_subgraphs: dict[str, str]) -> Iterator[FaultProxy]:
    with running_fault_proxy(benchmark_subgraphs["inventory"]) as running_proxy:
        yield running_proxy


@pytest.mark.anyio
async def test_a_batchs_errors_land_at_the_paths_of_their_own_part(
    benchmark_subgraphs: dict[str, str], inventory_proxy: FaultProxy, tmp_path: Path
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
        {**benchmark_subgraphs, "inventory": inventory_proxy.answering(answer, "batch-errors")},
        tmp_path,
    )
    try:
        result = await gateway.execute(PEOPLE, {"first": 1})
    finally:
        await gateway.close()
    assert inventory_proxy.count("batch-errors") == 1
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
