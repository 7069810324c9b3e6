"""The gateway's caches stay bounded: one cache type (``gateway/caching.py``), in entries and
in estimated bytes, and the executor keeps no more than a gateway with that plan cache."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from gateway.caching import BoundedCache
from gateway.executor.transport import SubgraphRequest
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph

COMPANY = Path(__file__).parents[1] / "planner" / "supergraphs" / "company.graphql"


def test_caches_are_bounded_in_bytes_as_well_as_entries() -> None:
    cache: BoundedCache[str, str] = BoundedCache(100, max_bytes=1000)
    for key in "abcd":
        cache.put(key, key, weight=300)
    assert [key in cache for key in "abcd"] == [False, True, True, True]  # "a" left first
    assert cache.bytes == 900
    cache.get("b")
    cache.put("e", "e", weight=300)
    assert [key in cache for key in "bcde"] == [True, False, True, True]  # "c": least used
    assert cache.put("huge", "huge", weight=5000) == "huge"  # answered, never kept
    assert "huge" not in cache and cache.bytes == 900
    cache.put("b", "b", weight=100)  # replacing an entry replaces its weight
    assert cache.bytes == 700
    counted: BoundedCache[int, int] = BoundedCache(2)
    for key in range(3):
        counted.put(key, key)
    assert len(counted) == 2 and 0 not in counted and counted.get(2) == 2


def test_a_cache_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError, match="at least one entry"):
        BoundedCache(0)


class ShippingTransport:
    """The company supergraph's shipping and stock subgraphs, answering what the plan of
    ``{ shipments { id item { cN: shippingCost(zone: "EU") } } }`` asks (root fetch, then two
    entity fetches)."""

    async def send(self, request: SubgraphRequest) -> dict[str, Any]:
        if "_entities" not in request.query:
            item = {"__typename": "Item", "warehouse": {"code": "W1"}, "bin": "B7"}
            return {"data": {"shipments": [{"id": "S1", "item": item}]}}
        count = len((request.variables or {})["representations"])
        alias = re.search(r"(c\d+): shippingCost", request.query)
        entity = {alias.group(1): 4.5} if alias else {"weight": 2.0}
        return {"data": {"_entities": [entity] * count}}

    async def close(self) -> None:
        return None


def test_500_distinct_operations_leave_the_executor_no_more_than_the_plan_cache() -> None:
    gateway = Gateway(load_supergraph(COMPANY), transport=ShippingTransport(), cache_size=10)

    async def run_all() -> list[dict[str, Any]]:
        return [
            await gateway.execute(
                f'{{ shipments {{ id item {{ c{n}: shippingCost(zone: "EU") }} }} }}'
            )
            for n in range(500)
        ]

    responses = asyncio.run(run_all())
    assert responses[0] == {"data": {"shipments": [{"id": "S1", "item": {"c0": 4.5}}]}}
    assert responses[499] == {"data": {"shipments": [{"id": "S1", "item": {"c499": 4.5}}]}}
    assert len(gateway.executor.builders) <= 10
    for cache in (gateway._documents, gateway._normalized, gateway._prepared):
        assert len(cache) <= 10
