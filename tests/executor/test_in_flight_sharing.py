"""Identical subgraph queries in flight at once share one call (issue 14, item 4).

The ``faulty`` graph goes through the fault proxy's ``held`` mode, which keeps every request
until the test releases it: while the first request waits there, the second client request
either joins its call (seen in the transport's ``joined`` count) or sends its own (seen in the
proxy's arrival count). Only then is the subgraph let go, so nothing is decided by a clock.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.executor.transport import AiohttpTransport
from gateway.pipeline import Gateway
from gateway.settings import Settings
from gateway.supergraph import load_supergraph
from tandem_shared.tokens import Principal
from tests.support.fault_proxy import FaultProxy
from tests.support.faulty_subgraph import ANNOUNCEMENTS
from tests.support.fixtures import write_supergraph
from tests.support.integration_fixtures import FAULTY_SUPERGRAPH

QUERY = "{ announcements }"
_tags = itertools.count()

ALICE = Principal(subject="emp-001", name="Alice", roles=("employee",))
BOB = Principal(subject="emp-002", name="Bob", roles=("employee",))


def held_gateway(
    proxy: FaultProxy, tmp_path: Path, **options: Any
) -> tuple[Gateway, AiohttpTransport, str]:
    """A gateway whose ``faulty`` graph is held by the proxy under a new tag."""
    tag = f"held{next(_tags)}"
    supergraph = write_supergraph(
        {"faulty": proxy.url("held", tag)}, tmp_path / f"{tag}.graphql", source=FAULTY_SUPERGRAPH
    )
    transport = AiohttpTransport()
    gateway = Gateway(load_supergraph(supergraph), transport=transport, **options)
    return gateway, transport, tag


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (off the loop's way) until ``condition()`` holds: an observable event."""
    for _ in range(2000):
        if await asyncio.to_thread(condition):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def both(
    gateway: Gateway, proxy: FaultProxy, tag: str, ready: Callable[[], bool], **kinds: Any
) -> list[dict[str, Any]]:
    """Send two requests at once, release the subgraph once ``ready()``, return the answers."""
    first, second = kinds.get("first", {}), kinds.get("second", {})
    query = kinds.get("query", QUERY)
    requests = [
        asyncio.ensure_future(gateway.execute(query, **first)),
        asyncio.ensure_future(gateway.execute(query, **second)),
    ]
    try:
        await until(ready, "both requests reached the subgraph or its shared call")
    finally:
        await asyncio.to_thread(proxy.release, tag)
    return list(await asyncio.gather(*requests))


@pytest.mark.anyio
async def test_identical_queries_in_flight_share_one_call(
    proxy: FaultProxy, tmp_path: Path
) -> None:
    gateway, transport, tag = held_gateway(proxy, tmp_path)
    try:
        answers = await both(gateway, proxy, tag, lambda: transport.in_flight.joined == 1)
    finally:
        await gateway.close()
    assert answers == [{"data": {"announcements": list(ANNOUNCEMENTS)}}] * 2
    assert proxy.count(tag) == 1
    # each answer is its own: changing one leaves the other as it was
    answers[0]["data"]["announcements"].append("mine")
    assert answers[1]["data"]["announcements"] == list(ANNOUNCEMENTS)
    assert len(transport.in_flight) == 0  # the finished call left


@pytest.mark.anyio
async def test_callers_with_different_identities_never_share(
    proxy: FaultProxy, tmp_path: Path
) -> None:
    gateway, transport, tag = held_gateway(proxy, tmp_path)
    try:
        answers = await both(
            gateway,
            proxy,
            tag,
            lambda: proxy.count(tag) == 2,
            first={"principal": ALICE},
            second={"principal": BOB},
        )
    finally:
        await gateway.close()
    assert answers == [{"data": {"announcements": list(ANNOUNCEMENTS)}}] * 2
    assert transport.in_flight.joined == 0


@pytest.mark.anyio
async def test_the_same_caller_shares(proxy: FaultProxy, tmp_path: Path) -> None:
    gateway, transport, tag = held_gateway(proxy, tmp_path)
    same = {"principal": ALICE}
    try:
        await both(
            gateway,
            proxy,
            tag,
            lambda: transport.in_flight.joined == 1,
            first=same,
            second={"principal": Principal(subject="emp-001", name="Alice", roles=("employee",))},
        )
    finally:
        await gateway.close()
    assert proxy.count(tag) == 1


@pytest.mark.anyio
async def test_mutations_are_never_shared(proxy: FaultProxy, tmp_path: Path) -> None:
    gateway, transport, tag = held_gateway(proxy, tmp_path)
    try:
        answers = await both(
            gateway,
            proxy,
            tag,
            lambda: proxy.count(tag) == 2,
            query="mutation { acknowledge(index: 1) }",
        )
    finally:
        await gateway.close()
    assert all("errors" not in answer for answer in answers), answers
    assert transport.in_flight.joined == 0


@pytest.mark.anyio
async def test_sharing_can_be_turned_off_per_subgraph(proxy: FaultProxy, tmp_path: Path) -> None:
    settings = Settings(subgraph_deduplications="faulty=false")
    assert settings.deduplicates("faulty") is False
    assert settings.deduplicates("people") is True
    gateway, transport, tag = held_gateway(proxy, tmp_path, shared_subgraphs=settings.deduplicates)
    try:
        await both(gateway, proxy, tag, lambda: proxy.count(tag) == 2)
    finally:
        await gateway.close()
    assert transport.in_flight.joined == 0


@pytest.mark.anyio
async def test_a_waiter_that_gives_up_leaves_the_call_to_the_others(
    proxy: FaultProxy, tmp_path: Path
) -> None:
    gateway, transport, tag = held_gateway(proxy, tmp_path)
    try:
        leader = asyncio.ensure_future(gateway.execute(QUERY))
        await until(lambda: proxy.count(tag) == 1, "the first request reached the subgraph")
        follower = asyncio.ensure_future(gateway.execute(QUERY))
        await until(lambda: transport.in_flight.joined == 1, "the second joined the call")
        leader.cancel()  # its client went away
        with pytest.raises(asyncio.CancelledError):
            await leader
        await asyncio.to_thread(proxy.release, tag)
        answer = await follower
    finally:
        await gateway.close()
    assert answer == {"data": {"announcements": list(ANNOUNCEMENTS)}}
    assert proxy.count(tag) == 1
