"""Two small subgraphs for federated subscriptions: ``clock`` owns ``Subscription.ticks``,
``labels`` adds fields to its ``Tick`` entities.

``python -m tests.support.ticking_subgraphs clock|labels --port P [--gateway-key-file F]``.
``ticks(count)`` yields ``count`` ticks, then ends; ``ticks(count, waitFor: "x")`` waits
after the first tick until ``Mutation.release(name: "x")`` is called (so a test sees a
subscription running without sleeping); ``ticks(count, every: s)`` yields one every ``s``
seconds (on a fixed schedule: no drift), ``Tick.at`` the time it was produced (epoch
seconds: the benchmark's "commit"), ``tag`` only tells identical subscriptions apart;
``ticks(count, failAt: n)``'s event ``n`` is a ``NOT_FOUND`` error on the (non-null) field
instead of a tick; ``failAt: 0`` refuses before the first tick, as an OA subscription refuses
a request its subscriber may not see (one event: ``data: null`` and a path-less error).
Like OA's and ERP's subscriptions, ``ticks`` resumes: ``Tick.cursor`` is its number, and
``ticks(count, after: c)`` yields the ticks after tick ``c`` (the ``every`` schedule counting
from the first of them; with ``waitFor``, from the release).
With a gateway public key, ``clock`` accepts a WebSocket only when its ``connection_init``
carries a valid gateway identity token (the payload's ``authorization``), the way every OA/ERP
request carries one; ``Query.lastCaller`` says whom the last one named (the test's proof
that the identity went upstream), and ``Query.connectionsOpened`` how many it accepted.
``Tick.secret`` is for authorization tests to deny.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import orjson
import strawberry
import uvicorn
from graphql import GraphQLError
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.federation import Schema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from tandem_shared.tokens import InvalidToken, check_subgraph_token

FEDERATION_VERSION = "2.9"
_released: dict[str, asyncio.Event] = {}
_callers: list[str] = []


def _release_event(name: str) -> asyncio.Event:
    return _released.setdefault(name, asyncio.Event())


@strawberry.federation.type(keys=["id"])
class Tick:
    id: strawberry.ID
    n: int
    at: float

    @strawberry.field
    def cursor(self) -> str:
        return str(self.n)


@strawberry.type
class ClockQuery:
    @strawberry.field
    def last_caller(self) -> str | None:
        return _callers[-1] if _callers else None

    @strawberry.field
    def connections_opened(self) -> int:
        return len(_callers)


@strawberry.type
class ClockMutation:
    @strawberry.mutation
    def release(self, name: str) -> bool:
        _release_event(name).set()
        return True


@strawberry.type
class ClockSubscription:
    @strawberry.subscription
    async def ticks(
        self,
        count: int,
        wait_for: str | None = None,
        every: float | None = None,
        tag: str | None = None,
        fail_at: int | None = None,
        after: str | None = None,
    ) -> AsyncGenerator[Tick, None]:
        if fail_at == 0:
            raise GraphQLError("No ticks.", extensions={"code": "NOT_FOUND"})
        first = int(after) + 1 if after is not None else 1
        start = asyncio.get_running_loop().time() - (first - 1) * (every or 0)
        for n in range(first, count + 1):
            if n == fail_at:  # graphql-core completes an error as the field's error
                yield GraphQLError(f"No tick {n}.", extensions={"code": "NOT_FOUND"})  # type: ignore[misc]
            else:
                yield Tick(id=strawberry.ID(f"tick-{n}"), n=n, at=time.time())
            if n == 1 and wait_for is not None:
                await _release_event(wait_for).wait()
                start = asyncio.get_running_loop().time()  # the schedule starts at the release
            if every is not None and n < count:
                await asyncio.sleep(max(0.0, start + n * every - asyncio.get_running_loop().time()))


@strawberry.federation.type(keys=["id"], name="Tick")
class LabelledTick:
    id: strawberry.ID
    label: str
    secret: str | None

    @strawberry.field
    async def held(self, until: str) -> str:
        """Tick 1's waits until ``Mutation.releaseHeld(name: until)``; the others' do not."""
        if self.id == "tick-1":
            await _release_event(until).wait()
        return f"held {self.id}"

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> LabelledTick:
        return LabelledTick(id=id, label=f"label of {id}", secret=f"secret of {id}")


_held_batches: list[int] = []


@strawberry.type
class LabelsQuery:
    @strawberry.field
    def label_count(self) -> int:
        return 0

    @strawberry.field
    def held_batches(self) -> list[int]:
        """How many representations each ``_entities`` request asking for ``held`` carried."""
        return _held_batches


@strawberry.type
class LabelsMutation:
    @strawberry.mutation
    def release_held(self, name: str) -> bool:
        _release_event(name).set()
        return True


class _LabelsApp(GraphQL):  # type: ignore[type-arg]
    """Notes the size of each ``_entities`` request for ``held``."""

    async def get_context(self, request: Any, response: Any) -> Any:
        body = orjson.loads(await request.body()) if request.method == "POST" else {}
        variables = body.get("variables") or {}
        if "held" in body.get("query", "") and "representations" in variables:
            _held_batches.append(len(variables["representations"]))
        return await super().get_context(request, response)


class _ClockApp(GraphQL):  # type: ignore[type-arg]
    """Refuses a WebSocket without a gateway identity token, when given the gateway's key."""

    public_key: str | None = None

    async def on_ws_connect(self, context: object) -> None:
        if self.public_key is None:
            return
        params = context["connection_params"] if isinstance(context, dict) else {}
        authorization = params.get("authorization") if isinstance(params, dict) else None
        if not isinstance(authorization, str) or not authorization.startswith("Bearer "):
            raise ConnectionRejectionError()
        try:
            verified, _ = check_subgraph_token(authorization[7:], self.public_key, "clock")
        except InvalidToken:
            raise ConnectionRejectionError() from None
        _callers.append(verified.principal.subject)


def clock_app(public_key: str | None = None) -> GraphQL:  # type: ignore[type-arg]
    schema = Schema(
        query=ClockQuery,
        mutation=ClockMutation,
        subscription=ClockSubscription,
        types=[Tick],
        federation_version=FEDERATION_VERSION,
    )
    app = _ClockApp(schema, subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL])
    app.public_key = public_key
    return app


def labels_app() -> GraphQL:  # type: ignore[type-arg]
    schema = Schema(
        query=LabelsQuery,
        mutation=LabelsMutation,
        types=[LabelledTick],
        federation_version=FEDERATION_VERSION,
    )
    return _LabelsApp(schema)


class _Memo:
    """Answers a POST whose body it answered before from memory (``--memo``: the benchmark's
    labels, static data), so that the subgraph, which takes milliseconds per request, does
    not stand in for the gateway being measured."""

    def __init__(self, app: Any, size: int = 10_000) -> None:
        self.app = app
        self.size = size
        self.answers: dict[bytes, tuple[dict[str, Any], bytes]] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        known = self.answers.get(body)
        if known is not None:
            await send(known[0])
            await send({"type": "http.response.body", "body": known[1]})
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, replay, capture)
        if start.get("status") == 200 and len(self.answers) < self.size:
            self.answers[body] = (start, b"".join(chunks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", choices=["clock", "labels"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--gateway-key-file", type=Path)
    parser.add_argument("--memo", action="store_true", help="answer a repeated POST from memory")
    args = parser.parse_args()
    key = args.gateway_key_file.read_text() if args.gateway_key_file else None
    app: Any = clock_app(key) if args.name == "clock" else labels_app()
    if args.memo:
        app = _Memo(app)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
