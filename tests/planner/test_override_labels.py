"""Progressive ``@override(label:)``: labels decided per request, part of the plan cache key.

The supergraph moves ``Product.price`` from a to b behind ``percent(25)`` and
``Product.stock`` behind the named label ``new-stock``; a request names labels through the
header set by ``override_label_header``.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import httpx

from gateway.executor.transport import SubgraphRequest
from gateway.http import create_app
from gateway.pipeline import Gateway
from gateway.planner.overrides import OverrideLabels, parse_label_header
from gateway.supergraph import load_supergraph

SUPERGRAPH = load_supergraph(Path(__file__).parent / "supergraphs" / "progressive_override.graphql")
QUERY = "{ products { name price stock } }"


class ProductsTransport:
    """Subgraphs a and b answering what the plans of ``QUERY`` ask; records who was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def send(self, request: SubgraphRequest) -> dict[str, Any]:
        self.asked.append(request.service_name)
        if "_entities" in request.query:
            count = len((request.variables or {})["representations"])
            asked = request.query.split("_entities")[1]
            entity = {k: v for k, v in {"price": 20, "stock": 200}.items() if k in asked}
            return {"data": {"_entities": [entity] * count}}
        product = {"__typename": "Product", "id": "p1", "name": "pen", "price": 10, "stock": 100}
        return {"data": {"products": [product]}}

    async def close(self) -> None:
        return None


def test_the_supergraphs_labels_are_read() -> None:
    labels = OverrideLabels.of(SUPERGRAPH)
    assert labels.percentages == (("percent(25)", 25.0),)
    assert labels.named == frozenset({"new-stock"})


def test_a_request_activates_only_labels_the_supergraph_uses() -> None:
    labels = OverrideLabels.of(SUPERGRAPH)
    never = random.Random(0)
    never.random = lambda: 0.99  # type: ignore[method-assign]
    assert labels.decide(parse_label_header("new-stock, other"), never) == {"new-stock"}
    assert labels.decide((), never) == frozenset()


def test_a_percent_label_is_active_for_about_that_share_of_requests() -> None:
    labels = OverrideLabels.of(SUPERGRAPH)
    chance = random.Random(7)
    active = sum("percent(25)" in labels.decide((), chance) for _ in range(4000))
    assert 800 < active < 1200


def test_the_label_header_moves_the_field_for_that_request_only() -> None:
    transport = ProductsTransport()
    gateway = Gateway(SUPERGRAPH, transport=transport)
    gateway.override_labels = OverrideLabels((), gateway.override_labels.named)  # no draws
    app = create_app(gateway, override_label_header="x-override-labels")

    async def ask(headers: dict[str, str]) -> Any:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://tandem.test"
        ) as client:
            response = await client.post("/graphql", json={"query": QUERY}, headers=headers)
        return response.json()

    named = asyncio.run(ask({"x-override-labels": "new-stock"}))
    assert named == {"data": {"products": [{"name": "pen", "price": 10, "stock": 200}]}}
    assert transport.asked == ["a", "b"]
    transport.asked.clear()
    plain = asyncio.run(ask({}))
    assert plain == {"data": {"products": [{"name": "pen", "price": 10, "stock": 100}]}}
    assert transport.asked == ["a"]


def test_without_the_header_setting_request_labels_are_ignored() -> None:
    transport = ProductsTransport()
    gateway = Gateway(SUPERGRAPH, transport=transport)
    gateway.override_labels = OverrideLabels((), gateway.override_labels.named)
    app = create_app(gateway)

    async def ask() -> Any:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://tandem.test"
        ) as client:
            response = await client.post(
                "/graphql", json={"query": QUERY}, headers={"x-override-labels": "new-stock"}
            )
        return response.json()

    assert asyncio.run(ask())["data"]["products"][0]["stock"] == 100
    assert transport.asked == ["a"]
