"""What the OA's subscriptions deliver: one event per change, each with its cursor."""

from __future__ import annotations

from enum import Enum

import strawberry

from subgraphs.common.live import CURSOR_DESCRIPTION as CURSOR
from subgraphs.oa.types.approvals import ApprovalRequest
from subgraphs.oa.types.messages import Message

__all__ = ["ApprovalInboxEvent", "ApprovalRequestEvent", "InboxChange", "MessageEvent"]


@strawberry.enum(description="How a change moved a request with respect to my inbox.")
class InboxChange(Enum):
    ARRIVED = "ARRIVED"
    LEFT = "LEFT"
    STAYED = "STAYED"


@strawberry.type(description="A request arrived at or left my approval inbox.")
class ApprovalInboxEvent:
    cursor: strawberry.ID = strawberry.field(description=CURSOR)
    change: InboxChange
    action: str = strawberry.field(
        description="What happened: SUBMITTED, APPROVED, REJECTED, WITHDRAWN, TRANSFERRED, "
        "REASSIGNED."
    )
    request: ApprovalRequest


@strawberry.type(description="A change of an approval request I may read.")
class ApprovalRequestEvent:
    cursor: strawberry.ID = strawberry.field(description=CURSOR)
    action: str = strawberry.field(
        description="What happened: SUBMITTED, APPROVED (a step or the request), REJECTED, "
        "WITHDRAWN, TRANSFERRED, REASSIGNED, FAILED, RECOVERED."
    )
    request: ApprovalRequest


@strawberry.type(description="A message arrived in my inbox.")
class MessageEvent:
    cursor: strawberry.ID = strawberry.field(description=CURSOR)
    message: Message
