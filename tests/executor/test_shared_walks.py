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

import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.executor.transport import AiohttpTransport
from gateway.pipeline import Gateway
from gateway.planner import FlattenNode, ParallelNode, SequenceNode
from gateway.planner.plan import QueryPlan
from gateway.supergraph import load_supergraph
from tests.support.fixtures import write_supergraph
from tests.support.processes import free_port
from tests.support.spawn import REPO_ROOT, running

BENCHMARKS = REPO_ROOT / "benchmarks"
SUPERGRAPH = BENCHMARKS / "supergraph.graphql"
STOREFRONT = (BENCHMARKS / "queries" / "storefront.graphql").read_text(encoding="utf-8")
VARIABLES = {"first": 10}
NAMES = ("accounts", "products", "inventory", "reviews")
PRODUCTS_OF_REVIEWS = ("topProducts", "@", "reviews", "@", "author", "reviews", "@", "product")

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
                return line, lambda: _answers(f"http://127.0.0.1:{port}/stats")

            stack.enter_context(running(f"benchmark subgraph {name}", command))
            urls[name] = f"http://127.0.0.1:{port}/graphql"
        yield urls


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5.0).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
async def gateway(subgraphs: dict[str, str], tmp_path: Path) -> Any:
    path = write_supergraph(subgraphs, tmp_path / "supergraph.graphql", source=SUPERGRAPH)
    gateway = Gateway(load_supergraph(path), transport=AiohttpTransport())
    yield gateway
    await gateway.close()


def reference() -> dict[str, Any]:
    schema = build_reference_schema(SUPERGRAPH.read_text(encoding="utf-8"))
    return reference_response(schema, STOREFRONT, VARIABLES)  # type: ignore[no-any-return]


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
    assert answer == reference()
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
    assert {"data": shaped, **({"errors": errors} if errors else {})} == reference()
