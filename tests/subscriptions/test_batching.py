"""Events that arrive together are completed together: their entity fetches to another
subgraph go as one request. The gateway runs in-process (its shared upstream registry
observed directly) against the stack's real subgraphs; the clock holds after its first tick
and ``Tick.held`` of tick 1 makes the ``labels`` subgraph hold that event's entity fetch, so
the other three events arrive, together, while it is held. The batcher is also driven
directly (its requests issued in one turn, as runs of one caller's subscriptions do), against
the real ``labels`` subgraph."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx

from gateway.auth.subgraph_tokens import SubgraphTokens
from gateway.executor.transport import AiohttpTransport, SubgraphRequest, encode_payload
from gateway.pipeline import Gateway
from gateway.subscriptions.batching import EntityBatcher, _split
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


AUDREY = Principal("audrey", "Audrey", ("auditor",))
HELD = "query($representations: [_Any!]!, $h: String!) { _entities(representations: $representations) { ... on Tick { held(until: $h) } } }"  # noqa: E501


def _entities_request(stack: Stack, ids: list[str], hold: str) -> SubgraphRequest:
    variables = {"h": hold, "representations": [{"__typename": "Tick", "id": i} for i in ids]}
    return SubgraphRequest(
        "labels", stack.labels, HELD, variables, body=encode_payload(HELD, variables)
    )


def test_one_callers_entity_requests_of_one_turn_go_as_one_each_entity_once(stack: Stack) -> None:
    """Requests of several subscriptions of one caller join (an entity two of them ask for is
    asked once, each given its own copy); another caller's go in a request of its own."""
    tokens = SubgraphTokens(Path(stack.key_file).read_text())
    signed: list[str] = []

    def headers_of(principal: Principal | None) -> Any:
        def headers_for(name: str, body: bytes) -> dict[str, str]:
            assert principal is not None
            signed.append(principal.subject)
            return {"authorization": tokens.authorization(principal, name, body)}

        return headers_for

    async def scenario() -> list[Any]:
        transport = AiohttpTransport()
        batcher = EntityBatcher(transport.send, headers_of)
        try:
            return list(
                await asyncio.gather(
                    batcher.send(_entities_request(stack, ["tick-2", "tick-3"], hold), VERA),
                    batcher.send(_entities_request(stack, ["tick-3"], hold), VERA),
                    batcher.send(_entities_request(stack, ["tick-2"], hold), AUDREY),
                )
            )
        finally:
            await transport.close()

    hold = f"join-{uuid.uuid4().hex[:8]}"
    before = len(_batches(stack))
    vera_two, vera_one, audrey = asyncio.run(scenario())
    assert vera_two == {"data": {"_entities": [{"held": "held tick-2"}, {"held": "held tick-3"}]}}
    assert vera_one == {"data": {"_entities": [{"held": "held tick-3"}]}}
    assert audrey == {"data": {"_entities": [{"held": "held tick-2"}]}}
    # each run merges into its entities in place: the one asked for twice comes twice
    assert vera_one["data"]["_entities"][0] is not vera_two["data"]["_entities"][1]
    assert sorted(_batches(stack)[before:]) == [1, 2]  # Vera's two distinct, Audrey's one
    assert sorted(signed) == ["audrey", "vera"]  # one token per request sent


def test_a_joined_answers_errors_go_to_every_request_that_asked_for_their_entity() -> None:
    answer = {
        "data": {"_entities": [{"held": "a"}, None]},
        "errors": [
            {"message": "no b", "path": ["_entities", 1, "held"]},
            {"message": "all of them"},
        ],
    }
    first, second = _split(answer, [[0, 1], [1]], 2)
    assert first == {
        "data": {"_entities": [{"held": "a"}, None]},
        "errors": [
            {"message": "no b", "path": ["_entities", 1, "held"]},
            {"message": "all of them"},
        ],
    }
    assert second == {
        "data": {"_entities": [None]},
        "errors": [
            {"message": "no b", "path": ["_entities", 0, "held"]},
            {"message": "all of them"},
        ],
    }
