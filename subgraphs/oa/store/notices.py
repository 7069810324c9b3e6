"""What OA tells people about its own decisions: invitations, rejections, expense approvals.

A notice is a system message (no sender) delivered in the transaction of the decision, so
it exists exactly when the decision does; each has a dedupe key naming the fact and the
recipient, so it is delivered once. Messages about what the ERP did (an order number, a
posted expense, goods received) come from its events: ``notifications.py``.

==========================  =============================  =====================================
fact                        recipients                     dedupe key
==========================  =============================  =====================================
a meeting booked            every attendee but organizer   ``oa.meeting.invited:<meeting>:<emp>``
a request rejected          the applicant                  ``oa.approval.rejected:<request>``
an expense claim approved   the applicant                  ``oa.approval.approved:<request>``
==========================  =============================  =====================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.money import format_amount
from subgraphs.common.timestamps import serialize_datetime
from subgraphs.oa.store.messages import deliver_system_message
from subgraphs.oa.store.models import ApprovalRequest, Employee, Meeting, MeetingRoom

__all__ = ["expense_approved", "meeting_invitations", "request_rejected"]

INVITED: Final = "oa.meeting.invited"
REJECTED: Final = "oa.approval.rejected"
APPROVED: Final = "oa.approval.approved"


async def meeting_invitations(
    session: AsyncSession,
    meeting: Meeting,
    organizer: Employee,
    room: MeetingRoom,
    attendees: Sequence[Employee],
) -> None:
    """Each attendee is invited: title, organizer, room and time."""
    when = f"{serialize_datetime(meeting.starts_at)} to {serialize_datetime(meeting.ends_at)}"
    for attendee in attendees:
        await deliver_system_message(
            session,
            attendee.id,
            f"Invitation: {meeting.title}"[:200],
            f"{organizer.name} invites you to {meeting.title!r} in {room.name}, {when}.",
            f"{INVITED}:{meeting.id}:{attendee.id}",
        )


async def request_rejected(
    session: AsyncSession, request: ApprovalRequest, decider: Employee, comment: str
) -> None:
    """The applicant learns who rejected their request and why."""
    await deliver_system_message(
        session,
        request.applicant_id,
        f"Request rejected: {request.title}"[:200],
        f"{decider.name} rejected your {request.kind.lower()} request {request.id} "
        f"({request.title}): {comment}",
        f"{REJECTED}:{request.id}",
    )


async def expense_approved(session: AsyncSession, request: ApprovalRequest) -> None:
    """The applicant learns their expense claim is approved and goes to finance for booking."""
    amount = (
        ""
        if request.amount is None or request.currency is None
        else f" of {format_amount(request.amount, request.currency)} {request.currency}"
    )
    await deliver_system_message(
        session,
        request.applicant_id,
        f"Expense claim approved: {request.title}"[:200],
        f"Your expense claim {request.id}{amount} is approved; finance will book it.",
        f"{APPROVED}:{request.id}",
    )
