"""The ERP subgraph in-process for tests: lifespan started, a client that sends signed tokens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from tandem_shared.tokens import Principal
from tests.common.signing import signed

__all__ = ["ALICE", "BOB", "ErpClient", "running"]

ALICE = Principal("emp-001", "Alice Li", ("employee", "manager"), "dept-01", None)
BOB = Principal("emp-002", "Bob Wang", ("employee", "finance"), "dept-02", None)


@dataclass
class ErpClient:
    """Posts GraphQL to the app with a token for ``principal`` (default: Alice)."""

    http: httpx.AsyncClient
    private_key: str
    sessions: async_sessionmaker[AsyncSession]

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        principal: Principal = ALICE,
    ) -> dict[str, Any]:
        """The whole GraphQL response body."""
        payload = {"query": query, "variables": variables or {}}
        response = await self.http.post(
            "/graphql", **signed(self.private_key, "erp", principal, payload)
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        """``data`` of a response that must carry no errors."""
        body = await self.post(query, variables, **kw)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def error(
        self, query: str, variables: dict[str, Any] | None = None, **kw: Any
    ) -> dict[str, Any]:
        """The one error of a response that must fail: ``{code, field, message, ...}``."""
        body = await self.post(query, variables, **kw)
        assert body.get("errors"), body
        assert len(body["errors"]) == 1, body["errors"]
        error: dict[str, Any] = body["errors"][0]
        return {"message": error["message"], **error.get("extensions", {})}


@asynccontextmanager
async def running(app: ASGIApp) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    """Start ``app``'s lifespan; yield a client whose requests carry its state, and the state."""
    state: dict[str, Any] = {}
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": state}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))  # type: ignore[arg-type]
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        await task
        raise AssertionError(f"lifespan start-up failed: {started}")

    async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
        await app({**scope, "state": dict(state)}, receive, send)

    try:
        transport = httpx.ASGITransport(app=with_state)
        async with httpx.AsyncClient(transport=transport, base_url="http://erp") as client:
            yield client, state
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task
