"""Trusted-document manifests over HTTP, under each ``persisted_operations`` mode: operations
sent by id (Apollo's ``extensions.persistedQuery``, Hive's ``documentId``) or by text."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest

from gateway.http.factory import check_settings
from gateway.settings import Settings, SettingsError
from tests.persisted.support import FIRST, WHO, apq, error_of, serving, sha256, who_answer

pytestmark = pytest.mark.anyio

TEAM = "query Team { employees(first: 1) { name } }"
OTHER = "query Other($id: ID!) { employee(id: $id) { name employeeNo } }"
VARIABLES = {"id": FIRST.id}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiohttp runs on asyncio only


@pytest.fixture
def manifests(tmp_path: Path) -> str:
    """An Apollo manifest (``WHO`` under a custom id) and a Codegen/Hive map (``TEAM``)."""
    apollo = tmp_path / "web.json"
    apollo.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": "who-v1", "body": WHO, "name": "Who", "type": "query"}],
            }
        )
    )
    hive = tmp_path / "mobile.json"
    hive.write_text(json.dumps({"sha256:team": TEAM}))
    return f"{apollo},{hive}"


async def post(client: Any, body: dict[str, Any]) -> Any:
    return await client.post("/graphql", json={**body, "variables": VARIABLES})


async def test_only_persisted_runs_the_manifests_operations_by_id_or_text_and_nothing_else(
    demo_supergraph: Path, tmp_path: Path, manifests: str
) -> None:
    async with serving(
        demo_supergraph,
        tmp_path,
        persisted_operations="only-persisted",
        persisted_operations_manifests=manifests,
    ) as client:
        by_apollo_id = await post(client, apq(WHO, sha="who-v1"))
        by_document_id = await post(client, {"documentId": "who-v1"})
        by_text = await post(client, {"query": f"\n{WHO}\n"})
        team = await client.post("/graphql", json={"documentId": "sha256:team"})
        other_text = await post(client, {"query": OTHER})
        registration = await post(client, apq(OTHER, text=True))
        other_hash = await post(client, apq(OTHER))
        unknown_id = await post(client, {"documentId": "who-v2"})
        lying = await post(client, {"documentId": "who-v1", "query": OTHER})
        by_get = await client.get(
            "/graphql", params={"documentId": "who-v1", "variables": json.dumps(VARIABLES)}
        )
    for answer in (by_apollo_id, by_document_id, by_text, by_get):
        assert answer.status_code == 200 and answer.json() == who_answer()
    assert team.json()["data"]["employees"][0]["name"]
    for refused in (other_text, registration):  # a new document cannot be registered either
        assert refused.status_code == 403
        assert error_of(refused)["extensions"]["code"] == "OPERATION_NOT_TRUSTED"
    assert error_of(other_hash)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert unknown_id.status_code == 404
    assert error_of(unknown_id)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert lying.status_code == 400
    assert error_of(lying)["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"


async def test_only_persisted_never_reads_the_apq_store(
    demo_supergraph: Path, tmp_path: Path, manifests: str
) -> None:
    """A document registered through a replica that allowed it (the same Redis) does not run
    through one where only persisted operations may."""
    other = f"# {uuid.uuid4().hex}\n{OTHER}"
    shared = {"redis_url": "redis://127.0.0.1:6379/0", "apq_ttl_seconds": 60}
    async with (
        serving(demo_supergraph, tmp_path, **shared) as open_replica,
        serving(
            demo_supergraph,
            tmp_path,
            persisted_operations="only-persisted",
            persisted_operations_manifests=manifests,
            **shared,
        ) as closed_replica,
    ):
        registered = await post(open_replica, apq(other, text=True))
        kept = await post(open_replica, apq(other))
        refused = await post(closed_replica, apq(other))
    for answer in (registered, kept):
        assert answer.json()["data"]["employee"]["name"] == FIRST.name
    assert error_of(refused)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_allow_resolves_manifest_ids_and_runs_any_text(
    demo_supergraph: Path, tmp_path: Path, manifests: str
) -> None:
    async with serving(demo_supergraph, tmp_path, persisted_operations_manifests=manifests) as c:
        by_id = await post(c, {"documentId": "who-v1"})
        other = await post(c, {"query": OTHER})
        registered = await post(c, apq(OTHER, text=True))
        by_hash = await post(c, apq(OTHER))
    assert by_id.json() == who_answer()
    for answer in (other, registered, by_hash):
        assert answer.json()["data"]["employee"]["name"] == FIRST.name


async def test_log_unknown_runs_unknown_operations_and_logs_each_once(
    demo_supergraph: Path, tmp_path: Path, manifests: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with serving(
        demo_supergraph,
        tmp_path,
        persisted_operations="log-unknown",
        persisted_operations_manifests=manifests,
    ) as client:
        with caplog.at_level(logging.WARNING, logger="tandem.persisted"):
            answers = [
                await post(client, {"query": WHO}),
                await post(client, {"query": OTHER, "operationName": "Other"}),
                await post(client, {**apq(OTHER, text=True), "operationName": "Other"}),
                await post(client, {**apq(OTHER), "operationName": "Other"}),  # logged already
            ]
    assert answers[0].json() == who_answer()
    for answer in answers[1:]:
        assert answer.json()["data"]["employee"]["name"] == FIRST.name
    assert [r.getMessage() for r in caplog.records] == [
        f"operation not in the persisted-operations manifest: sha256 {sha256(OTHER)}, name 'Other'"
    ]


def test_only_persisted_without_a_manifest_does_not_start(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    from gateway.settings import load_settings

    with pytest.raises(SettingsError, match="only-persisted needs a manifest"):
        load_settings(overrides={"persisted_operations": "only-persisted"})


async def test_a_malformed_manifest_stops_start_up_naming_the_setting(
    demo_supergraph: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "apollo-persisted-query-manifest", "version": 9}')
    with pytest.raises(SettingsError, match="persisted_operations_manifests") as caught:
        async with serving(demo_supergraph, tmp_path, persisted_operations_manifests=str(broken)):
            pass
    assert str(broken) in caught.value.message
    settings = Settings(supergraph=demo_supergraph, persisted_operations_manifests=str(broken))
    with pytest.raises(SettingsError, match="persisted_operations_manifests"):
        check_settings(settings)  # what `tandem config check` runs
