"""Automatic persisted queries over HTTP, as Apollo's clients speak them, against the gateway
``build_app`` makes (demo subgraphs as real processes; Redis at 127.0.0.1:6379 for the store
replicas share)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.persisted.support import FIRST, WHO, apq, error_of, serving, sha256, who_answer

pytestmark = pytest.mark.anyio

REDIS_URL = "redis://127.0.0.1:6379/0"
GRAPHQL_RESPONSE = "application/graphql-response+json"
VARIABLES = {"variables": {"id": FIRST.id}}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiohttp runs on asyncio only


def unique(query: str = WHO) -> str:
    """``query`` with a comment no other test run sends: its hash is new to any store."""
    return f"# {uuid.uuid4().hex}\n{query}"


def not_found(response: Any) -> None:
    """Apollo's answer to an unknown hash: status 200, not cacheable, the client retries."""
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-cache, must-revalidate"
    error = error_of(response)
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_hash_alone_is_not_found_then_registered_with_its_text_then_runs_alone(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    async with serving(demo_supergraph, tmp_path) as client:
        for accept in ("application/json", GRAPHQL_RESPONSE):
            query = unique()
            hash_only = {**apq(query), **VARIABLES}
            not_found(await client.post("/graphql", json=hash_only, headers={"accept": accept}))
            registered = await client.post("/graphql", json={**apq(query, text=True), **VARIABLES})
            assert registered.status_code == 200 and registered.json() == who_answer()
            again = await client.post("/graphql", json=hash_only, headers={"accept": accept})
            assert again.status_code == 200 and again.json() == who_answer()
            assert "cache-control" not in again.headers
            blank = await client.post("/graphql", json={**hash_only, "query": ""})
            assert blank.json() == who_answer()  # an empty text beside the hash: the hash


async def test_get_requests_register_and_run_by_hash(demo_supergraph: Path, tmp_path: Path) -> None:
    query = unique("query Who($id: ID!) { employee(id: $id) { name } }")
    extensions = f'{{"persistedQuery":{{"version":1,"sha256Hash":"{sha256(query)}"}}}}'
    params = {"extensions": extensions, "variables": f'{{"id":"{FIRST.id}"}}'}
    async with serving(demo_supergraph, tmp_path) as client:
        not_found(await client.get("/graphql", params=params))
        registered = await client.get("/graphql", params={**params, "query": query})
        assert registered.json() == who_answer()
        assert (await client.get("/graphql", params=params)).json() == who_answer()


async def test_a_hash_that_is_not_the_texts_is_refused_and_registers_nothing(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    query, other = unique(), unique()
    async with serving(demo_supergraph, tmp_path) as client:
        lying = {**apq(other, sha=sha256(query), text=True), **VARIABLES}  # query's hash, other
        refused = await client.post("/graphql", json=lying)
        assert refused.status_code == 400
        assert error_of(refused)["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
        not_found(await client.post("/graphql", json={**apq(query), **VARIABLES}))
        not_found(await client.post("/graphql", json={**apq(other), **VARIABLES}))


async def test_a_document_that_does_not_validate_is_not_kept(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    query = unique("{ employee(id: 1) { salaryOfTheCeo } }")
    async with serving(demo_supergraph, tmp_path) as client:
        invalid = await client.post("/graphql", json=apq(query, text=True))
        assert error_of(invalid)["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        not_found(await client.post("/graphql", json=apq(query)))


@pytest.mark.parametrize(
    ("extensions", "message"),
    [
        ({"persistedQuery": {"version": 2, "sha256Hash": "ab"}}, "unsupported persisted query"),
        ({"persistedQuery": {"version": 1}}, "sha256Hash must be a non-empty string"),
        ({"persistedQuery": "ab"}, "persistedQuery must be an object"),
        ("persistedQuery", "extensions must be a JSON object"),
    ],
)
async def test_malformed_persisted_query_extensions_are_bad_requests(
    demo_supergraph: Path, tmp_path: Path, extensions: Any, message: str
) -> None:
    async with serving(demo_supergraph, tmp_path) as client:
        refused = await client.post("/graphql", json={"extensions": extensions})
    assert refused.status_code == 400
    error = error_of(refused)
    assert error["extensions"]["code"] == "BAD_REQUEST" and message in error["message"]


async def test_two_different_ids_in_one_request_are_refused(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    async with serving(demo_supergraph, tmp_path) as client:
        refused = await client.post("/graphql", json={**apq(WHO), "documentId": "other"})
    assert refused.status_code == 400 and "different documents" in error_of(refused)["message"]


async def test_the_memory_store_is_bounded_least_recently_used_first(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    first, second = unique(), unique()
    async with serving(demo_supergraph, tmp_path, apq_cache_entries=1) as client:
        for query in (first, second):
            registered = await client.post("/graphql", json={**apq(query, text=True), **VARIABLES})
            assert registered.json() == who_answer()
        not_found(await client.post("/graphql", json={**apq(first), **VARIABLES}))
        kept = await client.post("/graphql", json={**apq(second), **VARIABLES})
        assert kept.json() == who_answer()


async def test_without_apq_a_hash_is_not_supported_and_texts_still_run(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    async with serving(demo_supergraph, tmp_path, apq=False) as client:
        refused = await client.post("/graphql", json={**apq(WHO), **VARIABLES})
        plain = await client.post("/graphql", json={"query": WHO, **VARIABLES})
    assert refused.status_code == 200  # Apollo's clients then stop sending hashes
    assert refused.headers["cache-control"] == "private, no-cache, must-revalidate"
    error = error_of(refused)
    assert error["message"] == "PersistedQueryNotSupported"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
    assert plain.json() == who_answer()


# -- shared by replicas through Redis ------------------------------------------------------


async def test_a_document_registered_through_one_replica_runs_by_hash_through_another(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    query = unique()
    settings = {"redis_url": REDIS_URL, "apq_ttl_seconds": 600}
    async with (
        serving(demo_supergraph, tmp_path, **settings) as first,
        serving(demo_supergraph, tmp_path, **settings) as second,
    ):
        not_found(await second.post("/graphql", json={**apq(query), **VARIABLES}))
        registered = await first.post("/graphql", json={**apq(query, text=True), **VARIABLES})
        assert registered.json() == who_answer()
        by_hash = await second.post("/graphql", json={**apq(query), **VARIABLES})
        assert by_hash.json() == who_answer()
    store = redis.Redis.from_url(REDIS_URL)
    try:
        key = f"tandem:apq:{sha256(query)}"
        assert store.get(key) == query.encode()
        assert 0 < store.ttl(key) <= 600
    finally:
        store.delete(f"tandem:apq:{sha256(query)}")
        store.close()


async def test_a_text_in_redis_that_is_not_its_hashs_never_runs(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    """Whoever could write to Redis cannot make a hash run another document."""
    claimed, planted = unique(), unique("{ employees { name salary } }")
    store = redis.Redis.from_url(REDIS_URL)
    key = f"tandem:apq:{sha256(claimed)}"
    store.set(key, planted, ex=60)
    try:
        async with serving(demo_supergraph, tmp_path, redis_url=REDIS_URL) as client:
            not_found(await client.post("/graphql", json={**apq(claimed), **VARIABLES}))
    finally:
        store.delete(key)
        store.close()


async def test_with_redis_away_a_hash_is_not_found_and_the_text_still_runs(
    demo_supergraph: Path, tmp_path: Path, free_tcp_port: int
) -> None:
    """An outage costs an APQ client one more request (with the text), never an error."""
    query = unique()
    away = f"redis://127.0.0.1:{free_tcp_port}/0"
    async with serving(demo_supergraph, tmp_path, apq_redis_url=away) as client:
        not_found(await client.post("/graphql", json={**apq(query), **VARIABLES}))
        registered = await client.post("/graphql", json={**apq(query, text=True), **VARIABLES})
        assert registered.json() == who_answer()
        by_hash = await client.post("/graphql", json={**apq(query), **VARIABLES})
        assert by_hash.json() == who_answer()  # this replica's memory kept it
