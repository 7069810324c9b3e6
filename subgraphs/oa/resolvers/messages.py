# mypy: disable-error-code="untyped-decorator"
"""Internal mail and announcements: each person sees only their own mailbox."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from subgraphs.common.pagination import Connection
from subgraphs.oa.context import actor, change, sessions
from subgraphs.oa.store import announcements, messages
from subgraphs.oa.types.messages import (
    Announcement,
    Message,
    MessageFolder,
    PublishAnnouncementInput,
    SendMessageInput,
)
from tandem_shared.db import transaction

__all__ = ["MessagesMutation", "MessagesQuery"]


@strawberry.type
class MessagesQuery:
    @strawberry.field(description="My messages in a folder, newest first.")
    async def messages(
        self,
        info: Info[Any, Any],
        folder: MessageFolder = MessageFolder.INBOX,
        search: str | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Message]:
        async with transaction(sessions(info)) as session:
            page = await messages.find_messages(
                session,
                actor(info),
                folder=messages.Folder(folder.value),
                search=search,
                first=first,
                after=after,
            )
        return page.to_connection(Message.from_row)

    @strawberry.field(description="One of my messages; NOT_FOUND for anyone else's.")
    async def message(self, info: Info[Any, Any], id: strawberry.ID) -> Message | None:
        async with transaction(sessions(info)) as session:
            return Message.from_row(await messages.entry(session, actor(info), id))

    @strawberry.field(description="How many messages in my inbox are unread.")
    async def unread_message_count(self, info: Info[Any, Any]) -> int:
        async with transaction(sessions(info)) as session:
            return await messages.unread_count(session, actor(info))

    @strawberry.field(description="Announcements for my department (or everyone), newest first.")
    async def announcements(
        self, info: Info[Any, Any], first: int | None = 20, after: str | None = None
    ) -> Connection[Announcement]:
        async with transaction(sessions(info)) as session:
            page = await announcements.find_announcements(
                session, actor(info), first=first, after=after
            )
        return page.to_connection(Announcement.from_row)


@strawberry.type
class MessagesMutation:
    @strawberry.mutation(description="Send a message; returns the copy in my SENT folder.")
    async def send_message(self, info: Info[Any, Any], input: SendMessageInput) -> Message:
        async with change(info) as session:
            sent = await messages.send(
                session, actor(info), to=input.to, subject=input.subject, body=input.body
            )
        return Message.from_row(sent)

    @strawberry.mutation(description="Mark one of my messages read.")
    async def mark_read(self, info: Info[Any, Any], id: strawberry.ID) -> Message:
        async with change(info) as session:
            return Message.from_row(await messages.mark_read(session, actor(info), id))

    @strawberry.mutation(description="Move one of my messages to ARCHIVE.")
    async def archive_message(self, info: Info[Any, Any], id: strawberry.ID) -> Message:
        async with change(info) as session:
            return Message.from_row(await messages.archive(session, actor(info), id))

    @strawberry.mutation(description="Publish an announcement (roles hr or manager).")
    async def publish_announcement(
        self, info: Info[Any, Any], input: PublishAnnouncementInput
    ) -> Announcement:
        async with change(info) as session:
            published = await announcements.publish(
                session,
                actor(info),
                title=input.title,
                body=input.body,
                audience_department_ids=input.audience_department_ids,
            )
        return Announcement.from_row(published)
