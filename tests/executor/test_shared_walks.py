"""Fetches of one stage at the same path read the merged response once (issue 14, item 5),
and never a reading an answer has since made stale; against the four benchmark subgraphs as
real processes.

The last stage of the ``storefront`` benchmark query asks ``products`` (``name``) and
``inventory`` (``inStock``) about the same 700-odd products: both fetches use one walk of the
response and one grouping into representations. A walk is kept only until an answer is
merged: a fetch that comes again at a path after another answer added objects there must see
them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.executor.transport import AiohttpTransport
from gateway.pipeline import Gateway
from gateway.planner import FlattenNode, ParallelNode, SequenceNode
from gateway.planner.plan import QueryPlan
from gateway.supergraph import load_supergraph
from tests.support.benchmark_subgraphs import (
    BENCHMARKS,
    SUPERGRAPH,
    reference,
)
from tests.support.fixtures import write_supergraph

STOREFRONT = (BENCHMARKS / "queries" / "storefront.graphql").read_text(encoding="utf-8")
VARIABLES = {"first": 10}
PRODUCTS_OF_REVIEWS = ("topProducts", "@", "reviews", "@", "author", "reviews", "@", "product")


@pytest.fixture
async def gateway(benchmark_subgraphs: dict[str, str], tmp_path: Path) -> Any:
    path = write_supergraph(benchmark_subgraphs, tmp_path / "supergraph.graphql", source=SUPERGRAPH)
    gateway = Gateway(load_supergraph(path), transport=AiohttpTransport())
    yield gateway
    await gateway.close()


def flattens_at(node: Any, path: tuple[str, ...]) -> list[FlattenNode]:
    match node:
        case FlattenNode(path=found) if found == path:
            return [node]
        case SequenceNode(nodes=nodes) | ParallelNode(nodes=nodes):
            return [flatten for child in nodes for flatten in flattens_at(child, path)]
    return []


@pytest.mark.anyio
async def test_two_fetches_at_one_path_answer_as_the_monolith_does(gateway: Gateway) -> None:
    plan = gateway.plan(STOREFRONT, variables=VARIABLES)
    same_path = flattens_at(plan.node, PRODUCTS_OF_REVIEWS)
    assert sorted(f.node.service_name for f in same_path) == ["inventory", "products"]
    answer = await gateway.execute(STOREFRONT, VARIABLES)
    assert answer == reference(STOREFRONT, VARIABLES)
    products = [
        review["product"]
        for product in answer["data"]["topProducts"]
        for own in product["reviews"]
        for review in own["author"]["reviews"]
    ]
    assert len(products) > 100 and all(p["name"] and "inStock" in p for p in products)


@pytest.mark.anyio
async def test_a_path_walked_before_an_answer_added_objects_there_is_walked_again(
    gateway: Gateway,
) -> None:
    """The plan with its last stage's fetches run once more before the stage that fetches the
    reviews: there they find no product, afterwards every one."""
    parsed = gateway.document(STOREFRONT)
    operation = gateway.operation(parsed, None)
    values = gateway.coerce_variables(operation, VARIABLES)
    prepared = gateway.prepare(STOREFRONT, parsed, operation, values)
    assert prepared.plan.node is not None
    root, *stages = prepared.plan.node.nodes  # type: ignore[union-attr]
    early = flattens_at(prepared.plan.node, PRODUCTS_OF_REVIEWS)
    reordered = QueryPlan(SequenceNode((root, ParallelNode(tuple(early)), *stages)))

    data, errors = await gateway.executor.execute(reordered, values)
    shaped = prepared.shaper.shape(data, errors)
    expected = reference(STOREFRONT, VARIABLES)
    assert {"data": shaped, **({"errors": errors} if errors else {})} == expected
