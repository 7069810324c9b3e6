"""Subscriptions over WebSocket (``graphql-transport-ws``) with a Python client (the
``websockets`` library) against ``tandem serve``: events completed with another subgraph's
fields, field authorization on every event, the identity token upstream, limits and coded
close reasons."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.subscriptions.conftest import PER_CONNECTION, Stack

VIEWER = {"x-tandem-dev-user": "vera", "x-tandem-dev-roles": "viewer"}
AUDITOR = {"x-tandem-dev-user": "audrey", "x-tandem-dev-roles": "auditor"}


@asynccontextmanager
async def session(
    stack: Stack, init: Mapping[str, Any] | None = None, **options: Any
) -> AsyncIterator[ClientConnection]:
    """A connection, initialised with ``init`` as the ``connection_init`` payload."""
    async with connect(stack.websocket, subprotocols=["graphql-transport-ws"], **options) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": dict(init or {})}))
        yield ws


async def receive(ws: ClientConnection) -> dict[str, Any]:
    return json.loads(await ws.recv())  # type: ignore[no-any-return]


async def subscribe(ws: ClientConnection, ident: str, query: str, **variables: Any) -> None:
    payload = {"query": query, "variables": variables}
    await ws.send(json.dumps({"type": "subscribe", "id": ident, "payload": payload}))


async def until_complete(ws: ClientConnection, ident: str) -> list[dict[str, Any]]:
    """The ``next`` payloads of subscription ``ident`` until its ``complete``."""
    results = []
    while True:
        message = await receive(ws)
        assert message.get("id") == ident, message
        if message["type"] == "complete":
            return results
        assert message["type"] == "next", message
        results.append(message["payload"])


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


TICKS = "subscription T($count: Int!) { ticks(count: $count) { n label } }"


def test_each_event_is_completed_with_fields_of_another_subgraph(stack: Stack) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with session(stack, VIEWER) as ws:
            assert await receive(ws) == {"type": "connection_ack"}
            await subscribe(ws, "a", TICKS, count=3)
            return await until_complete(ws, "a")

    assert run(scenario()) == [
        {"data": {"ticks": {"n": n, "label": f"label of tick-{n}"}}} for n in (1, 2, 3)
    ]


def test_the_owning_subgraph_is_subscribed_to_with_the_callers_identity_token(
    stack: Stack,
) -> None:
    async def scenario() -> None:
        async with session(stack, {**AUDITOR, "x-tandem-dev-user": "token-check"}) as ws:
            await receive(ws)
            await subscribe(ws, "a", TICKS, count=1)
            await until_complete(ws, "a")

    run(scenario())
    # the clock subgraph admits a WebSocket only with a valid token, and notes whom it names
    answer = httpx.post(stack.clock, json={"query": "{ lastCaller }"}, timeout=10)
    assert answer.json() == {"data": {"lastCaller": "token-check"}}


def test_a_denied_field_is_withheld_from_every_event_and_granted_ones_are_not(
    stack: Stack,
) -> None:
    query = "subscription { ticks(count: 2) { n secret } }"

    async def events(who: Mapping[str, str]) -> list[dict[str, Any]]:
        async with session(stack, who) as ws:
            await receive(ws)
            await subscribe(ws, "s", query)
            return await until_complete(ws, "s")

    viewer = run(events(VIEWER))
    assert [event["data"] for event in viewer] == [
        {"ticks": {"n": 1, "secret": None}},
        {"ticks": {"n": 2, "secret": None}},
    ]
    for event in viewer:
        (error,) = event["errors"]
        assert error["path"] == ["ticks", "secret"]
        assert error["extensions"]["code"] == "FORBIDDEN"
    assert run(events(AUDITOR)) == [
        {"data": {"ticks": {"n": n, "secret": f"secret of tick-{n}"}}} for n in (1, 2)
    ]


def test_a_document_that_does_not_validate_gets_an_error_message(stack: Stack) -> None:
    async def scenario() -> dict[str, Any]:
        async with session(stack, VIEWER) as ws:
            await receive(ws)
            await subscribe(ws, "bad", "subscription { ticks(count: 1) { nope } }")
            return await receive(ws)

    message = run(scenario())
    assert message["type"] == "error" and message["id"] == "bad"
    assert message["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_a_query_over_the_socket_gets_one_result(stack: Stack) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with session(stack, VIEWER) as ws:
            await receive(ws)
            await subscribe(ws, "q", "{ labelCount }")
            return await until_complete(ws, "q")

    assert run(scenario()) == [{"data": {"labelCount": 0}}]


def test_more_subscriptions_than_a_connection_may_run_are_refused_with_a_code(
    stack: Stack,
) -> None:
    waiting = "subscription W($name: String) { ticks(count: 2, waitFor: $name) { n } }"

    async def scenario() -> tuple[dict[str, Any], list[list[dict[str, Any]]]]:
        async with session(stack, VIEWER) as ws:
            await receive(ws)
            for index in range(PER_CONNECTION):  # each holds after its first tick
                await subscribe(ws, f"w{index}", waiting, name="limit")
            first = [await receive(ws) for _ in range(PER_CONNECTION)]
            assert sorted(m["id"] for m in first) == [f"w{i}" for i in range(PER_CONNECTION)]
            await subscribe(ws, "one-too-many", waiting, name="limit")
            refused = await receive(ws)
            stack.release("limit")
            rest: dict[str, list[dict[str, Any]]] = {}
            while len([r for r in rest.values() if r and r[-1]["type"] == "complete"]) < len(first):
                message = await receive(ws)
                rest.setdefault(message["id"], []).append(message)
            return refused, list(rest.values())

    refused, rest = run(scenario())
    assert refused["type"] == "error" and refused["id"] == "one-too-many"
    assert refused["payload"][0]["extensions"]["code"] == "SUBSCRIPTION_LIMIT"
    for messages in rest:  # the running ones went on to their end
        assert [m["type"] for m in messages] == ["next", "complete"]
        assert messages[0]["payload"] == {"data": {"ticks": {"n": 2}}}


def test_a_cookie_upgrade_from_another_site_is_closed_with_csrf_rejected(stack: Stack) -> None:
    async def scenario() -> ConnectionClosed:
        headers = {"cookie": "tandem_session=anything", "origin": "https://evil.example"}
        async with session(stack, VIEWER, additional_headers=headers) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)
            return closed.value

    closed = run(scenario())
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (4403, "CSRF_REJECTED")


def test_refused_credentials_close_the_connection_with_their_code(stack: Stack) -> None:
    async def scenario() -> ConnectionClosed:
        async with session(stack, {"x-tandem-dev-user": "not a name!"}) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)
            return closed.value

    closed = run(scenario())
    assert closed.rcvd is not None
    assert closed.rcvd.code in (4401, 4403) and closed.rcvd.reason.isupper()


def test_a_second_subscribe_with_a_running_id_closes_4409(stack: Stack) -> None:
    waiting = 'subscription { ticks(count: 2, waitFor: "dup") { n } }'

    async def scenario() -> ConnectionClosed:
        async with session(stack, VIEWER) as ws:
            await receive(ws)
            await subscribe(ws, "same", waiting)
            assert (await receive(ws))["type"] == "next"
            await subscribe(ws, "same", waiting)
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)
            stack.release("dup")
            return closed.value

    closed = run(scenario())
    assert closed.rcvd is not None and closed.rcvd.code == 4409


def test_a_client_without_the_subprotocol_is_closed_4406(stack: Stack) -> None:
    async def scenario() -> ConnectionClosed:
        async with connect(stack.websocket) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            return closed.value

    closed = run(scenario())
    assert closed.rcvd is not None and closed.rcvd.code == 4406


def test_a_message_over_the_request_body_limit_closes_4400(stack: Stack) -> None:
    async def scenario() -> ConnectionClosed:
        async with session(stack, VIEWER) as ws:
            await receive(ws)
            padding = " " * 1_000_001  # the default max_body_bytes is 1,000,000
            await subscribe(ws, "big", "subscription { ticks(count: 1) { n } }" + padding)
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)
            return closed.value

    closed = run(scenario())
    assert closed.rcvd is not None and closed.rcvd.code == 4400
    assert "larger than" in closed.rcvd.reason


@pytest.mark.parametrize(
    ("fail_at", "expected"),
    [
        (0, [{"data": None, "errors": [("No ticks.", ["ticks"], "NOT_FOUND")]}]),
        (2, [{"data": {"ticks": {"n": 1, "label": "label of tick-1"}}},
             {"data": None, "errors": [("No tick 2.", ["ticks"], "NOT_FOUND")]},
             {"data": {"ticks": {"n": 3, "label": "label of tick-3"}}}]),
    ],
    ids=["refused-before-the-first-event", "one-event-an-error"],
)  # fmt: skip
def test_an_event_the_subgraph_answers_with_an_error_carries_only_that_error(
    stack: Stack, fail_at: int, expected: list[dict[str, Any]]
) -> None:
    """The clock answers an event ``{"data": null, "errors": [NOT_FOUND]}`` (with the field's
    path, or none when it refuses before the first event, as OA does): the gateway passes that
    one error on at the field, ``data`` null (the non-null root propagates), and adds no
    ``INVALID_SUBGRAPH_RESPONSE`` of its own."""
    query = f"subscription {{ ticks(count: 3, failAt: {fail_at}) {{ n label }} }}"

    async def scenario() -> list[dict[str, Any]]:
        async with session(stack, VIEWER) as ws:
            await receive(ws)
            await subscribe(ws, "f", query)
            return await until_complete(ws, "f")

    events = run(scenario())
    assert [
        {**event, "errors": [(e["message"], e.get("path"), e["extensions"]["code"])
                             for e in event["errors"]]} if "errors" in event else event
        for event in events
    ] == expected, events  # fmt: skip
