"""Identical upstream subscriptions of one caller share one subgraph subscription; another
caller's get their own. The gateway runs in-process here (its ``subscribe`` and the shared
upstream registry observed directly) against the real subgraph processes of the stack."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx

from gateway.auth.subgraph_tokens import SubgraphTokens
from gateway.pipeline import Gateway
from gateway.supergraph import load_supergraph
from tandem_shared.tokens import Principal
from tests.subscriptions.conftest import SUPERGRAPH, Stack

VERA = Principal("vera", "Vera", ("viewer",))
OTTO = Principal("otto", "Otto", ("viewer",))


def opened(stack: Stack) -> int:
    """How many WebSockets the clock subgraph has accepted."""
    answer = httpx.post(stack.clock, json={"query": "{ connectionsOpened }"}, timeout=10)
    count: int = answer.json()["data"]["connectionsOpened"]
    return count


def test_one_callers_identical_subscriptions_share_one_upstream_subscription(
    stack: Stack,
) -> None:
    hold = f"share-{uuid.uuid4().hex[:8]}"
    query = f'subscription {{ ticks(count: 2, waitFor: "{hold}") {{ n label }} }}'

    async def scenario() -> tuple[list[Any], list[Any], list[Any], int]:
        gateway = Gateway(
            load_supergraph(SUPERGRAPH),
            subgraph_urls={"clock": stack.clock, "labels": stack.labels},
            tokens=SubgraphTokens(Path(stack.key_file).read_text()),
        )
        try:
            first = await gateway.subscribe(query, principal=VERA)
            firsts = [await anext(first)]  # the upstream now holds after its first tick
            second = await gateway.subscribe(query, principal=VERA)
            thirds = await gateway.subscribe(query, principal=OTTO)
            seconds: list[Any] = []
            joining = asyncio.ensure_future(_collect(second, seconds))
            other: list[Any] = []
            otto = asyncio.ensure_future(_collect(thirds, other))
            while gateway.upstreams.listening() < 3 or not other:
                await asyncio.sleep(0.01)  # until both joined and Otto's own first tick came
            running = len(gateway.upstreams)
            await asyncio.to_thread(stack.release, hold)
            firsts += [event async for event in first]
            await joining
            await otto
            return firsts, seconds, other, running
        finally:
            await gateway.close()

    before = opened(stack)
    firsts, seconds, other, running = asyncio.run(scenario())
    assert running == 2  # Vera's two subscriptions share one; Otto has his own
    assert opened(stack) - before == 2
    tick = [{"data": {"ticks": {"n": n, "label": f"label of tick-{n}"}}} for n in (1, 2)]
    assert firsts == tick
    assert seconds == tick[1:]  # joined while it ran: the events from then on
    assert other == tick


async def _collect(events: Any, into: list[Any]) -> None:
    async for event in events:
        into.append(event)


def test_a_subgraph_refusing_the_subscription_ends_it_with_a_coded_error(stack: Stack) -> None:
    async def scenario() -> list[Any]:
        # no signing key: the clock subgraph refuses a WebSocket without a gateway token
        gateway = Gateway(
            load_supergraph(SUPERGRAPH),
            subgraph_urls={"clock": stack.clock, "labels": stack.labels},
        )
        try:
            events = await gateway.subscribe(
                "subscription { ticks(count: 1) { n } }", principal=VERA
            )
            return [event async for event in events]
        finally:
            await gateway.close()

    (ended,) = asyncio.run(scenario())
    assert ended["data"] is None
    (error,) = ended["errors"]
    assert error["extensions"] == {"code": "SUBGRAPH_SUBSCRIPTION_CLOSED", "serviceName": "clock"}
    assert "Forbidden" in error["message"]
