"""The ERP's parked events through the gateway: list, retry, cancel (``common/parked_events.py``).

The same as ``python -m subgraphs.erp events``, for the process owners and administrators
who work from a front end: roles in :data:`ADMIN_ROLES` only (``FORBIDDEN`` otherwise; the
default policy grants the fields to the same roles).
"""

from __future__ import annotations

from typing import Any, Final

import strawberry
from strawberry.types import Info

from subgraphs.common import parked_events
from subgraphs.common.errors import Forbidden, SubgraphError
from subgraphs.common.identity import current_principal
from subgraphs.erp import NAME
from subgraphs.erp.api.context import session
from subgraphs.erp.store.events import OUTBOX_TABLE

__all__ = ["ADMIN_ROLES", "Mutation", "ParkedEvent", "Query"]

ADMIN_ROLES: Final = ("security_admin", "procurement", "finance")


@strawberry.type(description="Why an event could not be applied.")
class ParkedEventError:
    code: str
    message: str
    field: str | None


@strawberry.type(description="An event the ERP could not apply, waiting for a retry or a cancel.")
class ParkedEvent:
    id: strawberry.ID = strawberry.field(description="The original event's id.")
    topic: str
    key: str
    request_id: strawberry.ID | None = strawberry.field(
        description="The approval request it was about, if any."
    )
    error: ParkedEventError
    parked_at: str = strawberry.field(description="ISO 8601, when it was parked.")

    @classmethod
    def of(cls, parked: parked_events.ParkedEvent) -> ParkedEvent:
        request = parked.payload.get("requestId")
        return cls(
            id=strawberry.ID(parked.event_id),
            topic=parked.topic,
            key=parked.key,
            request_id=strawberry.ID(request) if isinstance(request, str) else None,
            error=_error(parked.error),
            parked_at=parked.parked_at,
        )


@strawberry.type(description="What a retry did: applied, or the error it still fails with.")
class ParkedEventRetry:
    id: strawberry.ID
    applied: bool
    error: ParkedEventError | None


@strawberry.type
class Query:
    @strawberry.field(description="Parked events not yet retried or cancelled, oldest first.")
    async def parked_events(self, info: Info) -> list[ParkedEvent]:
        _check(info)
        async with session(info) as db:
            found = await parked_events.open_parked(db, service=NAME, outbox=OUTBOX_TABLE)
        return [ParkedEvent.of(parked) for parked in found]


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Apply a parked event again (after fixing its cause).")
    async def retry_parked_event(self, info: Info, id: strawberry.ID) -> ParkedEventRetry:
        from subgraphs.erp.worker import HANDLERS

        subject = _check(info)
        async with session(info) as db:
            error = await parked_events.retry(
                db, service=NAME, outbox=OUTBOX_TABLE, event_id=str(id), handlers=HANDLERS,
                by=subject,
            )  # fmt: skip
        if error is None:
            return ParkedEventRetry(id=id, applied=True, error=None)
        return ParkedEventRetry(id=id, applied=False, error=_error(_fields(error)))

    @strawberry.mutation(description="Give a parked event up; it is no longer listed.")
    async def cancel_parked_event(self, info: Info, id: strawberry.ID) -> ParkedEvent:
        subject = _check(info)
        async with session(info) as db:
            parked = await parked_events.cancel(
                db, service=NAME, outbox=OUTBOX_TABLE, event_id=str(id), by=subject
            )
        return ParkedEvent.of(parked)


def _check(info: Info) -> str:
    principal = current_principal(info)
    if not principal.has_role(*ADMIN_ROLES):
        raise Forbidden("Only process owners and administrators work off parked events.")
    return principal.subject


def _fields(error: SubgraphError) -> dict[str, Any]:
    return {"code": error.code.value, "message": error.message,
            "field": error.extensions.get("field")}  # fmt: skip


def _error(error: Any) -> ParkedEventError:
    field = error.get("field")
    return ParkedEventError(
        code=str(error.get("code") or "INTERNAL"),
        message=str(error.get("message") or ""),
        field=None if field is None else str(field),
    )
