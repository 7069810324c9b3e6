"""A ``graphql-transport-ws`` client of the gateway for the end-to-end subscription tests, and
the newest cursor of a service's live topics (read from its outbox, so a test subscribes
``after`` it and misses nothing that happens next, however long the subscription takes to
reach the subgraph)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.e2e.sqlite_stack import run_sql
from tests.e2e.stack import Stack

__all__ = ["EVENT_TIMEOUT", "Subscription", "newest_cursor", "subscription"]

EVENT_TIMEOUT = 30.0
"""How long a test waits for an event before it fails (a bound on failure, not a measure)."""


class Subscription:
    """One subscription on its own connection: :meth:`next` is the next event's data."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket

    async def message(self, timeout: float = EVENT_TIMEOUT) -> dict[str, Any]:
        """The next protocol message (``next``, ``error`` or ``complete``)."""
        while True:
            raw = await asyncio.wait_for(self.socket.recv(), timeout)
            message: dict[str, Any] = json.loads(raw)
            if message["type"] == "ping":
                await self.socket.send(json.dumps({"type": "pong"}))
                continue
            return message

    async def next(self, timeout: float = EVENT_TIMEOUT) -> dict[str, Any]:
        """The data of the next event; an error or the end fails the test."""
        message = await self.message(timeout)
        assert message["type"] == "next", message
        assert not message["payload"].get("errors"), message["payload"]
        data: dict[str, Any] = message["payload"]["data"]
        return data


@asynccontextmanager
async def subscription(
    stack: Stack, who: str, query: str, **variables: Any
) -> AsyncIterator[Subscription]:
    """``query`` subscribed to through the stack's gateway as the demo employee ``who``
    (development identity in ``connection_init``)."""
    url = "ws://" + stack.gateway.url.removeprefix("http://")
    async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
        person = await asyncio.to_thread(stack.person, who)  # a database read of its own loop
        init = {"type": "connection_init", "payload": person.headers}
        await socket.send(json.dumps(init))
        acknowledged = json.loads(await asyncio.wait_for(socket.recv(), EVENT_TIMEOUT))
        assert acknowledged == {"type": "connection_ack"}, acknowledged
        payload = {"query": query, "variables": variables}
        await socket.send(json.dumps({"type": "subscribe", "id": "1", "payload": payload}))
        yield Subscription(socket)


def newest_cursor(database: str, table: str, topics: Collection[str]) -> str | None:
    """The id of the newest event of ``topics`` in outbox ``table`` (None: there is none), on
    PostgreSQL or SQLite."""
    marks = ", ".join(f"${n}" for n in range(1, len(topics) + 1))
    rows = run_sql(
        database,
        f"SELECT id FROM {table} WHERE topic IN ({marks}) ORDER BY created_at DESC, id DESC "
        "LIMIT 1",
        *topics,
    )
    return str(uuid.UUID(str(rows[0]["id"]))) if rows else None
