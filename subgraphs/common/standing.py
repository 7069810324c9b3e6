"""A deactivated employee is refused before anything of an operation runs (issue 16, item 4).

**Why here, in each subgraph, and not at the gateway's sign-in.** The gateway knows no
people: a login becomes a principal whose subject is the identity provider's subject claim
(the employee id), by a browser session, a bearer token of any configured provider or, in
development, the identity headers; and a session or token issued before HR deactivated
someone stays valid until it expires. Refusing at sign-in would therefore leave every one of
those ways in open. The subgraphs own (OA) or copy (ERP, from OA's events) whether a person
is active, and each request reaches them with the gateway's signed principal: checking
there, on every operation, closes every path at once, including sessions already open. It
fails closed: a lookup that fails fails the operation.

A subgraph adds :func:`refuse_deactivated` to its schema's extensions with its own lookup
(``async (context, subject) -> bool``: True when the subject is a known, deactivated
employee). A subject the subgraph does not know (an integrator's client, someone not yet
announced to the ERP) is not refused here; the resolvers decide what a non-employee may do.
The refusal is ``extensions.code`` ``EMPLOYEE_DEACTIVATED`` on each root field asked (its
resolver never runs), from one lookup per operation.

**What the root-field check does not see.** A subscription's operation runs once, then lives
as long as its socket: a person deactivated meanwhile would go on receiving events. The
extension therefore leaves its lookup in the operation's context (:data:`LOOKUP_KEY`), and
:func:`subgraphs.common.live.follow` asks :func:`refuse_if_deactivated` afresh when the
subscription starts and before an event it hands on whenever anyone's standing changed since
its last check (the feed reads a stamp of it with the events, ``events/feed.py``), ending the
stream with ``EMPLOYEE_DEACTIVATED`` on the first event after the deactivation. Routes outside
GraphQL (OA's ``GET /files/...``) call the subgraph's lookup themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from inspect import isawaitable
from typing import Any, Final

from strawberry.extensions import SchemaExtension

from subgraphs.common.errors import ErrorCode, SubgraphError
from tandem_shared.tokens import Principal

__all__ = [
    "DEACTIVATED_MESSAGE",
    "LOOKUP_KEY",
    "EmployeeDeactivated",
    "Lookup",
    "refuse_deactivated",
    "refuse_if_deactivated",
]

Lookup = Callable[[dict[str, Any], str], Awaitable[bool]]
"""``(the operation's context, the principal's subject) -> deactivated?``"""
DEACTIVATED_MESSAGE: Final = (
    "This employee has been deactivated: they can no longer sign in or act."
)
_VERDICT: Final = "tandem.standing"
"""Where an operation's context keeps its one lookup, shared by its root fields."""
LOOKUP_KEY: Final = "tandem.standing.lookup"
"""Where an operation's context keeps the subgraph's :data:`Lookup`, for the checks that run
after its root fields (a subscription's events)."""


class EmployeeDeactivated(SubgraphError):
    """The principal is an employee HR deactivated."""

    code = ErrorCode.EMPLOYEE_DEACTIVATED


def refuse_deactivated(is_deactivated: Lookup) -> Callable[[], SchemaExtension]:
    """The schema extension refusing every root field (``_entities`` included) to the
    principals ``is_deactivated`` names; one lookup per operation."""

    class RefuseDeactivated(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            context = self.execution_context.context
            if isinstance(context, dict):
                context[LOOKUP_KEY] = is_deactivated
            yield

        def resolve(
            self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
        ) -> Any:
            context = info.context
            principal = context.get("principal") if isinstance(context, dict) else None
            if info.path.prev is not None or not isinstance(principal, Principal):
                return _next(root, info, *args, **kwargs)  # nested, or no principal (_service)
            return _checked(context, principal, _next, root, info, *args, **kwargs)

    async def _checked(
        context: dict[str, Any],
        principal: Principal,
        _next: Callable[..., Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        verdict = context.get(_VERDICT)
        if not isinstance(verdict, asyncio.Future):
            verdict = asyncio.ensure_future(is_deactivated(context, principal.subject))
            context[_VERDICT] = verdict
        if await verdict:
            raise EmployeeDeactivated(
                DEACTIVATED_MESSAGE, extensions={"subject": principal.subject}
            )
        result = _next(*args, **kwargs)
        return await result if isawaitable(result) else result

    return RefuseDeactivated


async def refuse_if_deactivated(context: Any, principal: Principal) -> None:
    """Raise :class:`EmployeeDeactivated` if the lookup the operation's extension left in
    ``context`` names ``principal`` (a fresh lookup each call: no verdict is kept). A context
    without a lookup (a schema without the extension) refuses nobody."""
    lookup = context.get(LOOKUP_KEY) if isinstance(context, dict) else None
    if lookup is not None and await lookup(context, principal.subject):
        raise EmployeeDeactivated(DEACTIVATED_MESSAGE, extensions={"subject": principal.subject})
