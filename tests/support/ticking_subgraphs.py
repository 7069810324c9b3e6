"""Two small subgraphs for federated subscriptions: ``clock`` owns ``Subscription.ticks``,
``labels`` adds fields to its ``Tick`` entities.

``python -m tests.support.ticking_subgraphs clock|labels --port P [--gateway-key-file F]``.
``ticks(count)`` yields ``count`` ticks, then ends; ``ticks(count, waitFor: "x")`` waits
after the first tick until ``Mutation.release(name: "x")`` is called (so a test sees a
subscription running without sleeping). With a gateway public key, ``clock`` accepts a
WebSocket only when its ``connection_init`` carries a valid gateway identity token (the
payload's ``authorization``), the way every OA/ERP request carries one; ``Query.lastCaller``
says whom the last one named (the test's proof that the identity went upstream), and
``Query.connectionsOpened`` how many it accepted.
``Tick.secret`` is for authorization tests to deny.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

import orjson
import strawberry
import uvicorn
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
    async def ticks(self, count: int, wait_for: str | None = None) -> AsyncGenerator[Tick, None]:
        for n in range(1, count + 1):
            yield Tick(id=strawberry.ID(f"tick-{n}"), n=n)
            if n == 1 and wait_for is not None:
                await _release_event(wait_for).wait()


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", choices=["clock", "labels"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--gateway-key-file", type=Path)
    args = parser.parse_args()
    key = args.gateway_key_file.read_text() if args.gateway_key_file else None
    app = clock_app(key) if args.name == "clock" else labels_app()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
