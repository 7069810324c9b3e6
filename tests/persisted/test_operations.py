"""Which document runs for a caller held to its own trusted-documents list (an integrator):
the gateway's mode and manifests do not apply to it, its list does, as ``only-persisted``."""

from __future__ import annotations

import pytest

from gateway.graphql_request import GraphQLRequest
from gateway.persisted import (
    Manifest,
    MemoryDocumentStore,
    OperationNotTrusted,
    PersistedOperations,
    PersistedQueryNotFound,
)
from tests.persisted.support import sha256

pytestmark = pytest.mark.anyio

ME = "{ me }"
TEAM = "{ team { name } }"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def asked(
    query: str = "", *, sha: str | None = None, document_id: str | None = None
) -> GraphQLRequest:
    """A request with ``query`` (may be empty), an APQ hash and a ``documentId``."""
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha}} if sha else None
    return GraphQLRequest(query, None, None, extensions, document_id)


@pytest.fixture
def operations() -> PersistedOperations:
    """Mode allow, APQ on, a gateway manifest with ``TEAM``; the integrators' list ``erp``
    holds ``ME`` (an old-style list of texts: ids are the texts' digests)."""
    return PersistedOperations(
        "allow",
        Manifest.of("web", {"team": TEAM}),
        store=MemoryDocumentStore(),
        client_manifests={"erp": Manifest.of("erp", {sha256(ME): ME})},
    )


async def test_an_integrator_runs_its_list_by_text_or_by_id(
    operations: PersistedOperations,
) -> None:
    assert (await operations.resolve(asked(ME), "erp")).query == ME
    assert (await operations.resolve(asked(document_id=sha256(ME)), "erp")).query == ME
    assert (await operations.resolve(asked(sha=sha256(ME)), "erp")).query == ME


async def test_an_integrator_gets_nothing_else_whatever_the_gateways_mode(
    operations: PersistedOperations,
) -> None:
    for refused in (asked(TEAM), asked(TEAM, sha=sha256(TEAM))):  # not even by registering
        with pytest.raises(OperationNotTrusted):
            await operations.resolve(refused, "erp")
    with pytest.raises(PersistedQueryNotFound):
        await operations.resolve(asked(document_id="team"), "erp")  # the gateway's manifest
    with pytest.raises(OperationNotTrusted):
        await operations.resolve(asked(ME), "a-list-that-does-not-exist")


async def test_what_others_registered_does_not_run_for_an_integrator(
    operations: PersistedOperations,
) -> None:
    registered = await operations.resolve(asked(TEAM, sha=sha256(TEAM)))
    await operations.remember(registered)
    assert (await operations.resolve(asked(sha=sha256(TEAM)))).query == TEAM  # for others
    with pytest.raises(PersistedQueryNotFound):
        await operations.resolve(asked(sha=sha256(TEAM)), "erp")


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        PersistedOperations("open")  # type: ignore[arg-type]
