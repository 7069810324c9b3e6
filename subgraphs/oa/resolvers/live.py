# mypy: disable-error-code="untyped-decorator"
"""Subscriptions: my approval inbox, one approval request, my messages, as they change.

Each follows the OA outbox (``oa.approval.changed``, ``oa.message.sent``; see
``store/events.py`` and :mod:`subgraphs.common.live`) and answers only what its caller may
see, decided per event as the query it mirrors decides it: ``approvalRequestUpdated`` as
``approvalRequest`` (:func:`~subgraphs.oa.types.approvals.visible_request`: the applicant,
the approvers, the kind's readers), ``approvalInboxChanged`` as ``approvalInbox`` (the
request was or is now waiting for the caller's decision), ``messageReceived`` as
``message`` (the caller's own mailbox entry). The request or message is read when the event
is delivered, so it shows the state at that moment.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from subgraphs.common.errors import NotFound
from subgraphs.common.live import AFTER_DESCRIPTION as AFTER
from subgraphs.common.live import admitted, follow
from subgraphs.oa.context import actor, fresh_loaders, sessions
from subgraphs.oa.store import messages
from subgraphs.oa.store.events import APPROVAL_CHANGED, MESSAGE_SENT
from subgraphs.oa.store.people import Actor
from subgraphs.oa.store.validation import check_id
from subgraphs.oa.types.approvals import ApprovalRequest, visible_request
from subgraphs.oa.types.live import (
    ApprovalInboxEvent,
    ApprovalRequestEvent,
    InboxChange,
    MessageEvent,
)
from subgraphs.oa.types.messages import Message
from tandem_shared.db import transaction

__all__ = ["LiveSubscription", "inbox_change"]


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(
        description="Requests arriving at or leaving my approval inbox (an approver's view)."
    )
    async def approval_inbox_changed(
        self,
        info: Info[Any, Any],
        after: Annotated[strawberry.ID | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[ApprovalInboxEvent, None]:
        me = actor(info)
        async for event in follow(info, [APPROVAL_CHANGED], after):
            payload = event.payload
            change = inbox_change(payload, me)
            if change is None:
                continue
            fresh_loaders(info)
            row = await visible_request(info, str(payload["requestId"]))
            if row is None:
                continue
            yield ApprovalInboxEvent(
                cursor=strawberry.ID(event.id),
                change=change,
                action=str(payload["action"]),
                request=ApprovalRequest.from_row(row),
            )

    @strawberry.subscription(
        description="Every change of one approval request I may read; NOT_FOUND otherwise."
    )
    async def approval_request_updated(
        self,
        info: Info[Any, Any],
        id: strawberry.ID,
        after: Annotated[strawberry.ID | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[ApprovalRequestEvent, None]:
        await admitted(info)
        request_id = check_id(id, field="id")
        if await visible_request(info, request_id) is None:
            raise NotFound(f"No approval request {id}.", extensions={"field": "id", "id": id})
        async for event in follow(info, [APPROVAL_CHANGED], after):
            if event.payload.get("requestId") != request_id:
                continue
            fresh_loaders(info)
            row = await visible_request(info, request_id)
            if row is None:  # no longer readable (a transfer away, a role taken back)
                continue
            yield ApprovalRequestEvent(
                cursor=strawberry.ID(event.id),
                action=str(event.payload["action"]),
                request=ApprovalRequest.from_row(row),
            )

    @strawberry.subscription(description="Messages arriving in my inbox.")
    async def message_received(
        self,
        info: Info[Any, Any],
        after: Annotated[strawberry.ID | None, strawberry.argument(description=AFTER)] = None,
    ) -> AsyncGenerator[MessageEvent, None]:
        me = actor(info)
        async for event in follow(info, [MESSAGE_SENT], after):
            entry_id = _my_entry(event.payload, me.employee_id)
            if entry_id is None:
                continue
            fresh_loaders(info)
            async with transaction(sessions(info)) as session:
                try:
                    row = await messages.entry(session, me, entry_id)
                except NotFound:  # deleted since: nothing to show
                    continue
            yield MessageEvent(cursor=strawberry.ID(event.id), message=Message.from_row(row))


def inbox_change(payload: Mapping[str, Any], me: Actor) -> InboxChange | None:
    """How an ``oa.approval.changed`` event moved its request for ``me``'s inbox (None: it
    was not and is not there)."""
    if payload.get("applicantId") == me.employee_id:
        return None  # an applicant never decides their own request
    was = _waits_for(payload.get("inboxBefore"), me)
    now = _waits_for(payload.get("inboxAfter"), me)
    if was and now:
        return InboxChange.STAYED
    if now:
        return InboxChange.ARRIVED
    return InboxChange.LEFT if was else None


def _waits_for(slot: Any, me: Actor) -> bool:
    """Whether a pending step described by ``slot`` waits for ``me`` (``can_decide``)."""
    if not isinstance(slot, Mapping):
        return False
    assignee = slot.get("assigneeId")
    if assignee is not None:
        return bool(assignee == me.employee_id)
    role = slot.get("role")
    return isinstance(role, str) and role in me.roles


def _my_entry(payload: Mapping[str, Any], me: str) -> str | None:
    for recipient in payload.get("recipients") or ():
        if isinstance(recipient, Mapping) and recipient.get("employeeId") == me:
            entry = recipient.get("entryId")
            return entry if isinstance(entry, str) else None
    return None
