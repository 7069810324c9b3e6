"""Per-request data loaders: one batched query per relation, whatever the nesting.

Built with ``subgraphs.common.loaders`` (each batch in its own short transaction); a
mutation's own transaction has committed before its result's fields are resolved through
these.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from subgraphs.common.loaders import many, one
from subgraphs.oa.store import (
    announcements,
    approval_reads,
    documents,
    flows,
    meetings,
    messages,
    people,
)
from subgraphs.oa.store.models import (
    ApprovalAction,
    ApprovalFlowStep,
    ApprovalRequest,
    ApprovalRequestItem,
    ApprovalStep,
    Department,
    DocumentShare,
    DocumentVersion,
    Employee,
    MeetingRoom,
)

__all__ = ["Loaders"]


class Loaders:
    """The loaders of one request."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.employee: DataLoader[str, Employee | None] = one(sessions, people.employees_by_ids)
        self.department: DataLoader[str, Department | None] = one(
            sessions, people.departments_by_ids
        )
        self.members: DataLoader[str, list[Employee]] = many(sessions, people.members_by_department)
        self.reports: DataLoader[str, list[Employee]] = many(sessions, people.reports_by_manager)
        self.recipients: DataLoader[str, list[Employee]] = many(
            sessions, messages.recipients_by_message
        )
        self.audience: DataLoader[str, list[Department]] = many(
            sessions, announcements.audiences_by_announcement
        )
        self.versions: DataLoader[str, list[DocumentVersion]] = many(
            sessions, documents.versions_by_document
        )
        self.content: DataLoader[str, bytes | None] = one(sessions, documents.content_by_version)
        self.tags: DataLoader[str, list[str]] = many(sessions, documents.tags_by_document)
        self.shares: DataLoader[str, list[tuple[DocumentShare, Employee]]] = many(
            sessions, documents.shares_by_document
        )
        self.request: DataLoader[str, ApprovalRequest | None] = one(
            sessions, approval_reads.requests_by_ids
        )
        self.steps: DataLoader[str, list[ApprovalStep]] = many(
            sessions, approval_reads.steps_by_request
        )
        self.items: DataLoader[str, list[ApprovalRequestItem]] = many(
            sessions, approval_reads.items_by_request
        )
        self.actions: DataLoader[str, list[ApprovalAction]] = many(
            sessions, approval_reads.actions_by_request
        )
        self.flow_steps: DataLoader[str, list[ApprovalFlowStep]] = many(
            sessions, flows.steps_by_flow
        )
        self.room: DataLoader[str, MeetingRoom | None] = one(sessions, meetings.rooms_by_ids)
        self.attendees: DataLoader[str, list[Employee]] = many(
            sessions, meetings.attendees_by_meeting
        )
