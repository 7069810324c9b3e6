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
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import Any, Final

from strawberry.extensions import SchemaExtension

from subgraphs.common.errors import ErrorCode, SubgraphError
from tandem_shared.tokens import Principal

__all__ = ["DEACTIVATED_MESSAGE", "EmployeeDeactivated", "Lookup", "refuse_deactivated"]

Lookup = Callable[[dict[str, Any], str], Awaitable[bool]]
"""``(the operation's context, the principal's subject) -> deactivated?``"""
DEACTIVATED_MESSAGE: Final = (
    "This employee has been deactivated: they can no longer sign in or act."
)
_VERDICT: Final = "tandem.standing"
"""Where an operation's context keeps its one lookup, shared by its root fields."""


class EmployeeDeactivated(SubgraphError):
    """The principal is an employee HR deactivated."""

    code = ErrorCode.EMPLOYEE_DEACTIVATED


def refuse_deactivated(is_deactivated: Lookup) -> Callable[[], SchemaExtension]:
    """The schema extension refusing every root field (``_entities`` included) to the
    principals ``is_deactivated`` names; one lookup per operation."""

    class RefuseDeactivated(SchemaExtension):
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
