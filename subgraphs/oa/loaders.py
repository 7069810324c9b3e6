"""Per-request data loaders: one batched query per relation, whatever the nesting.

Each batch opens its own short transaction (resolvers run concurrently, a session must not
be shared between them); a mutation's own transaction has committed before its result's
fields are resolved through these.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

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
from tandem_shared.db import transaction

__all__ = ["Loaders"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Loaders:
    """The loaders of one request."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self.employee: DataLoader[str, Employee | None] = self._one(people.employees_by_ids)
        self.department: DataLoader[str, Department | None] = self._one(people.departments_by_ids)
        self.members: DataLoader[str, list[Employee]] = self._many(people.members_by_department)
        self.reports: DataLoader[str, list[Employee]] = self._many(people.reports_by_manager)
        self.recipients: DataLoader[str, list[Employee]] = self._many(
            messages.recipients_by_message
        )
        self.audience: DataLoader[str, list[Department]] = self._many(
            announcements.audiences_by_announcement
        )
        self.versions: DataLoader[str, list[DocumentVersion]] = self._many(
            documents.versions_by_document
        )
        self.content: DataLoader[str, bytes | None] = self._one(documents.content_by_version)
        self.tags: DataLoader[str, list[str]] = self._many(documents.tags_by_document)
        self.shares: DataLoader[str, list[tuple[DocumentShare, Employee]]] = self._many(
            documents.shares_by_document
        )
        self.request: DataLoader[str, ApprovalRequest | None] = self._one(
            approval_reads.requests_by_ids
        )
        self.steps: DataLoader[str, list[ApprovalStep]] = self._many(
            approval_reads.steps_by_request
        )
        self.items: DataLoader[str, list[ApprovalRequestItem]] = self._many(
            approval_reads.items_by_request
        )
        self.actions: DataLoader[str, list[ApprovalAction]] = self._many(
            approval_reads.actions_by_request
        )
        self.flow_steps: DataLoader[str, list[ApprovalFlowStep]] = self._many(flows.steps_by_flow)
        self.room: DataLoader[str, MeetingRoom | None] = self._one(meetings.rooms_by_ids)
        self.attendees: DataLoader[str, list[Employee]] = self._many(meetings.attendees_by_meeting)

    def _one(
        self, fetch: Callable[[AsyncSession, Sequence[K]], Awaitable[Mapping[K, V]]]
    ) -> DataLoader[K, V | None]:
        async def load(keys: list[K]) -> list[V | None]:
            async with transaction(self._sessions) as session:
                found = await fetch(session, keys)
            return [found.get(key) for key in keys]

        return DataLoader(load_fn=load)

    def _many(
        self, fetch: Callable[[AsyncSession, Sequence[K]], Awaitable[Mapping[K, list[V]]]]
    ) -> DataLoader[K, list[V]]:
        async def load(keys: list[K]) -> list[list[V]]:
            async with transaction(self._sessions) as session:
                found = await fetch(session, keys)
            return [found.get(key, []) for key in keys]

        return DataLoader(load_fn=load)
