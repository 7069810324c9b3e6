"""Request batching: several operations in one POST, a JSON list, answered by a list in order.

Off unless ``batching`` is set; ``batching_max_size`` bounds the number of operations. A batch
is one HTTP request to the limits that look at HTTP requests (the body is read under
``max_body_bytes``, the caller is identified once) and N operations to everything else: each is
read, resolved (persisted operations), limited (``gateway/limits.py``), authorized and run on
its own, and an integrator's rate limit counts each one. One operation's error is its own entry
in the answer; the others run. The operations of a batch run concurrently (as the Apollo router
runs them), so a batch promises no order between two mutations: send those one by one.

Refused as a whole (400): a list when batching is off or an empty list (``BAD_REQUEST``, as
every GraphQL endpoint answers a body that is not a JSON object: ``graphql_request.py``), more
than ``batching_max_size`` operations (``BATCH_TOO_LARGE``, with ``extensions.maximum``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import RequestError

__all__ = ["Batching"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Batching:
    """Whether batches are accepted, and how many operations one may hold."""

    enabled: bool = False
    max_size: int = 10

    def operations(self, body: Sequence[Any]) -> Sequence[Any]:
        """The operations of a batch ``body`` (a JSON list), or a coded refusal of it."""
        if not self.enabled:
            raise RequestError(
                "the request body must be a JSON object: batched requests (a JSON list) are "
                "not enabled",
                code="BAD_REQUEST",
            )
        if not body:
            raise RequestError("the batch is empty", code="BAD_REQUEST")
        if len(body) > self.max_size:
            raise RequestError(
                f"a batch may hold at most {self.max_size} operations, not {len(body)}",
                code="BATCH_TOO_LARGE",
                extensions={"maximum": self.max_size},
            )
        return body

    @staticmethod
    async def run(
        operations: Sequence[Any], answer: Callable[[Any], Coroutine[Any, Any, T]]
    ) -> list[T]:
        """``answer`` to every operation, concurrently, in the batch's order (``answer``
        turns refusals into entries: an exception is a bug, and cancels the others)."""
        async with asyncio.TaskGroup() as group:
            tasks: list[asyncio.Task[T]] = [group.create_task(answer(op)) for op in operations]
        return [task.result() for task in tasks]
