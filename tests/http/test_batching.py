"""Request batching: a JSON list of operations in one POST, answered by a list in order, each
operation read, limited and run on its own (``gateway/http/batching.py``), against the gateway
``build_app`` makes and the demo subgraphs as real processes."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from gateway.auth.integrators import MemoryRateLimiter, RateLimited, RedisRateLimiter
from tests.persisted.support import FIRST, WHO, apq, error_of, serving, who_answer

pytestmark = pytest.mark.anyio

ON = {"batching": True, "batching_max_size": 3}
WHO_FIRST = {"query": WHO, "variables": {"id": FIRST.id}}
TYPENAME = {"query": "{ __typename }"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiohttp runs on asyncio only


def codes(entry: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in entry.get("errors", ())]


async def test_batches_are_refused_unless_enabled(demo_supergraph: Path, tmp_path: Path) -> None:
    async with serving(demo_supergraph, tmp_path) as client:
        refused = await client.post("/graphql", json=[WHO_FIRST])
    assert refused.status_code == 400
    error = error_of(refused)
    assert error["extensions"]["code"] == "BAD_REQUEST" and "not enabled" in error["message"]


async def test_a_batch_is_answered_in_order_each_operation_on_its_own(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    batch = [WHO_FIRST, {"query": "{ nope }"}, TYPENAME]
    async with serving(demo_supergraph, tmp_path, **ON) as client:
        response = await client.post("/graphql", json=batch)
    assert response.status_code == 200
    first, invalid, last = response.json()
    assert first == who_answer()
    assert codes(invalid) == ["GRAPHQL_VALIDATION_FAILED"] and "data" not in invalid
    assert last == {"data": {"__typename": "Query"}}


async def test_each_operation_is_held_to_the_operation_limits(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    """One operation over a limit is refused; its neighbours, within it, run."""
    deep = {"query": "{ employees { department { members { name } } } }"}
    async with serving(demo_supergraph, tmp_path, limit_depth_anonymous=2, **ON) as client:
        response = await client.post("/graphql", json=[TYPENAME, deep, WHO_FIRST])
    shallow, refused, who = response.json()
    assert shallow == {"data": {"__typename": "Query"}} and who == who_answer()
    assert codes(refused) == ["OPERATION_LIMIT_EXCEEDED"]
    assert refused["errors"][0]["extensions"]["limit"] == "depth"


@pytest.mark.parametrize(
    ("batch", "status", "code"),
    [
        ([TYPENAME] * 4, 400, "BATCH_TOO_LARGE"),
        ([], 400, "BAD_REQUEST"),
        ([{"query": "{ __typename }", "padding": "x" * 600_000}] * 2, 413, "PAYLOAD_TOO_LARGE"),
    ],
    ids=["over the maximum", "empty", "over the body limit"],
)
async def test_a_batch_is_refused_as_a_whole_when_it_is_too_large_or_empty(
    demo_supergraph: Path, tmp_path: Path, batch: list[Any], status: int, code: str
) -> None:
    async with serving(demo_supergraph, tmp_path, **ON) as client:
        refused = await client.post("/graphql", json=batch)
    assert refused.status_code == status
    error = error_of(refused)
    assert error["extensions"]["code"] == code
    if code == "BATCH_TOO_LARGE":
        assert error["extensions"]["maximum"] == 3


async def test_an_entry_that_is_not_an_operation_gets_its_own_error(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    async with serving(demo_supergraph, tmp_path, **ON) as client:
        response = await client.post("/graphql", json=[7, {"variables": {}}, TYPENAME])
    not_object, no_query, fine = response.json()
    assert codes(not_object) == ["BAD_REQUEST"] and codes(no_query) == ["BAD_REQUEST"]
    assert fine == {"data": {"__typename": "Query"}}


async def test_persisted_queries_work_inside_a_batch(demo_supergraph: Path, tmp_path: Path) -> None:
    query = f"# {uuid.uuid4().hex}\n{WHO}"
    variables = WHO_FIRST["variables"]
    async with serving(demo_supergraph, tmp_path, **ON) as client:
        first = await client.post(
            "/graphql",
            json=[
                {**apq(query), "variables": variables},
                {**apq(query, text=True), "variables": variables},
            ],
        )
        second = await client.post("/graphql", json=[{**apq(query), "variables": variables}])
    missing, registered = first.json()
    assert codes(missing) == ["PERSISTED_QUERY_NOT_FOUND"] and registered == who_answer()
    assert second.json() == [who_answer()]


# -- an integrator's rate limit counts every operation of a batch --------------------------


async def test_the_memory_rate_limiter_counts_each_operation_of_a_batch() -> None:
    limiter = MemoryRateLimiter()
    await limiter.hit("client", 5, 4)
    with pytest.raises(RateLimited):
        await limiter.hit("client", 5, 2)


async def test_the_redis_rate_limiter_counts_each_operation_of_a_batch() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:6379/0", prefix=f"test:{uuid.uuid4().hex}:")
    try:
        await limiter.hit("client", 5, 4)
        with pytest.raises(RateLimited):
            await limiter.hit("client", 5, 2)
    finally:
        await limiter.close()
