# mypy: disable-error-code="untyped-decorator"
"""``Message`` (an entry of the reader's own mailbox) and ``Announcement``."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Self

import strawberry
from strawberry.types import Info

from subgraphs.oa.context import loaders
from subgraphs.oa.store import models
from subgraphs.oa.types.people import Department, Employee, employee_or_none

__all__ = [
    "Announcement",
    "Message",
    "MessageFolder",
    "PublishAnnouncementInput",
    "SendMessageInput",
]


@strawberry.enum(description="Where a message sits in its reader's mailbox.")
class MessageFolder(Enum):
    INBOX = "INBOX"
    SENT = "SENT"
    ARCHIVE = "ARCHIVE"


@strawberry.type(description="A message in the reader's own mailbox (ids are per mailbox).")
class Message:
    id: strawberry.ID
    subject: str
    body: str
    sent_at: datetime
    read_at: datetime | None = strawberry.field(description="Null while unread.")
    folder: MessageFolder
    sender_id: strawberry.Private[str | None]
    message_id: strawberry.Private[str]

    @strawberry.field(description="True for messages the system sent (no sender).")
    def system(self) -> bool:
        return self.sender_id is None

    @strawberry.field(description="Who sent it; null for a system message.")
    async def sender(self, info: Info[Any, Any]) -> Employee | None:
        if self.sender_id is None:
            return None
        return employee_or_none(await loaders(info).employee.load(self.sender_id))

    @strawberry.field
    async def recipients(self, info: Info[Any, Any]) -> list[Employee]:
        rows = await loaders(info).recipients.load(self.message_id)
        return [Employee.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.MailboxEntry) -> Self:
        message = row.message
        return cls(
            id=strawberry.ID(row.id),
            subject=message.subject,
            body=message.body,
            sent_at=message.sent_at,
            read_at=row.read_at,
            folder=MessageFolder(row.folder),
            sender_id=message.sender_id,
            message_id=message.id,
        )


@strawberry.input
class SendMessageInput:
    to: list[strawberry.ID] = strawberry.field(description="Recipients' employee ids (1-100).")
    subject: str
    body: str


@strawberry.type(description="News for the whole company or for some departments.")
class Announcement:
    id: strawberry.ID
    title: str
    body: str
    published_at: datetime
    author_id: strawberry.Private[str]

    @strawberry.field
    async def author(self, info: Info[Any, Any]) -> Employee:
        row = await loaders(info).employee.load(self.author_id)
        assert row is not None, self.author_id  # a foreign key
        return Employee.from_row(row)

    @strawberry.field(
        description="The departments it is for, with their sub-departments; empty: everyone."
    )
    async def audience(self, info: Info[Any, Any]) -> list[Department]:
        rows = await loaders(info).audience.load(str(self.id))
        return [Department.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.Announcement) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            title=row.title,
            body=row.body,
            published_at=row.published_at,
            author_id=row.author_id,
        )


@strawberry.input
class PublishAnnouncementInput:
    title: str
    body: str
    audience_department_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Empty: the whole company."
    )
