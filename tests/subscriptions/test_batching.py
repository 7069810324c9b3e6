"""Events that arrive together are completed together: their entity fetches to another
subgraph go as one request. The gateway runs in-process (its shared upstream registry
observed directly) against the stack's real subgraphs; the clock holds after its first tick
and ``Tick.held`` of tick 1 makes the ``labels`` subgraph hold that event's entity fetch, so
the other three events arrive, together, while it is held."""

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
QUERY = "subscription($h: String!) { ticks(count: 4, waitFor: $h) { n held(until: $h) } }"


def _batches(stack: Stack) -> list[int]:
    """The sizes of the ``_entities`` requests for ``held`` the labels subgraph received."""
    batches: list[int] = _labels(stack, "{ heldBatches }")["heldBatches"]
    return batches


def _labels(stack: Stack, query: str) -> Any:
    return httpx.post(stack.labels, json={"query": query}, timeout=10).json()["data"]


def test_events_that_arrive_together_share_one_entity_request(stack: Stack) -> None:
    async def scenario() -> list[Any]:
        gateway = Gateway(
            load_supergraph(SUPERGRAPH),
            subgraph_urls={"clock": stack.clock, "labels": stack.labels},
            tokens=SubgraphTokens(Path(stack.key_file).read_text()),
        )
        try:
            events = await gateway.subscribe(QUERY, {"h": hold}, principal=VERA)
            results: list[Any] = []

            async def collect() -> None:
                async for event in events:
                    results.append(event)

            collecting = asyncio.ensure_future(collect())
            # the first tick alone (the clock holds after it) reaches labels, which holds it
            while len(await asyncio.to_thread(_batches, stack)) == before:
                await asyncio.sleep(0.01)
            # then the clock sends its other three ticks and ends, while the first is held
            await asyncio.to_thread(stack.release, hold)
            while gateway.upstreams.reading():
                await asyncio.sleep(0.01)
            await asyncio.to_thread(_labels, stack, f'mutation {{ releaseHeld(name: "{hold}") }}')
            await collecting
            return results
        finally:
            await gateway.close()

    hold = f"batch-{uuid.uuid4().hex[:8]}"
    before = len(_batches(stack))
    results = asyncio.run(scenario())
    assert results == [{"data": {"ticks": {"n": n, "held": f"held tick-{n}"}}} for n in range(1, 5)]
    # the first event alone, then the three that arrived meanwhile in one request
    assert _batches(stack)[before:] == [1, 3]
