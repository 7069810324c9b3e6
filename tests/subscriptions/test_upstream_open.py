"""Opening an upstream subscription (``gateway/subscriptions/upstream.py``) is tried again
when the subgraph does not acknowledge in time: nothing was asked yet, so the subscription
gets all its events instead of failing with ``SUBGRAPH_UNAVAILABLE``; opens take turns, each
timed from its own. In front of the real ``clock`` subgraph stands a relay that holds its
first connection silent (a subgraph too busy to answer) and pipes every later one through."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.auth.subgraph_tokens import SubgraphTokens
from gateway.subscriptions import upstream
from gateway.subscriptions.upstream import Openings, subscribe_upstream
from tandem_shared.tokens import Principal
from tests.subscriptions.conftest import Stack

VERA = Principal("vera", "Vera", ("viewer",))


@contextlib.asynccontextmanager
async def relay(target: str) -> AsyncIterator[tuple[str, list[int]]]:
    """A TCP relay to ``target`` (host:port) whose first connection gets no answer; its URL
    and the connections it accepted (their numbers)."""
    host, port = target.split(":")
    accepted: list[int] = []
    held: list[asyncio.StreamWriter] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(len(accepted) + 1)
        if len(accepted) == 1:
            held.append(writer)  # read nothing, answer nothing
            return
        to_reader, to_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(pipe(reader, to_writer), pipe(to_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    address = server.sockets[0].getsockname()
    try:
        yield f"http://127.0.0.1:{address[1]}/graphql", accepted
    finally:
        for writer in held:
            writer.close()
        server.close()


def test_an_upstream_that_does_not_acknowledge_in_time_is_asked_again(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(upstream, "OPEN_TIMEOUT", 1.0)
    monkeypatch.setattr(upstream, "OPEN_BACKOFF", 0.0)
    tokens = SubgraphTokens(Path(stack.key_file).read_text())

    async def scenario() -> tuple[list[Any], list[int]]:
        clock = stack.clock.removeprefix("http://").split("/")[0]
        async with relay(clock) as (url, accepted):
            events = subscribe_upstream(
                "clock",
                url,
                "subscription { ticks(count: 2) { n } }",
                None,
                lambda body: tokens.authorization(VERA, "clock", body),
            )
            return [event async for event in events], accepted

    events, accepted = asyncio.run(scenario())
    assert events == [{"data": {"ticks": {"n": 1}}}, {"data": {"ticks": {"n": 2}}}]
    assert accepted == [1, 2]


def test_opens_take_turns_and_the_timeout_counts_from_a_subscriptions_turn(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One open at a time: the second subscription waits while the first's silent attempt
    times out and its second attempt opens, longer than the timeout, and still opens."""
    monkeypatch.setattr(upstream, "OPEN_TIMEOUT", 1.0)
    monkeypatch.setattr(upstream, "OPEN_BACKOFF", 0.0)
    tokens = SubgraphTokens(Path(stack.key_file).read_text())

    async def scenario() -> tuple[list[list[Any]], list[int]]:
        turns = Openings(at_once=1).of("clock")
        clock = stack.clock.removeprefix("http://").split("/")[0]

        async def ticks(url: str) -> list[Any]:
            events = subscribe_upstream(
                "clock",
                url,
                "subscription { ticks(count: 2) { n } }",
                None,
                lambda body: tokens.authorization(VERA, "clock", body),
                turns=turns,
            )
            return [event async for event in events]

        async with relay(clock) as (url, accepted):
            both = await asyncio.gather(ticks(url), ticks(url))
            return list(both), accepted

    both, accepted = asyncio.run(scenario())
    expected = [{"data": {"ticks": {"n": 1}}}, {"data": {"ticks": {"n": 2}}}]
    assert both == [expected, expected]
    assert accepted == [1, 2, 3]  # the silent one, then one each
