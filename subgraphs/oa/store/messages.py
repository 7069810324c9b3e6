"""Internal mail: send, read, archive, search; system messages delivered once per key.

Each person has a mailbox: sending a message puts one entry in each recipient's ``INBOX``
and one in the sender's ``SENT``; ``archive`` moves an entry to ``ARCHIVE``. Everyone sees
and changes only the entries of their own mailbox; another's entry is ``NOT_FOUND``.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from subgraphs.common.errors import InputChecks, NotFound
from subgraphs.common.pagination import Page, paginate
from subgraphs.oa.store import events
from subgraphs.oa.store.models import Employee, MailboxEntry, Message, new_id
from subgraphs.oa.store.people import (
    Actor,
    acting_employee,
    require_employee,
    require_employees,
)
from subgraphs.oa.store.validation import check_id, check_ids, check_text
from tandem_shared.timestamps import utc_now

__all__ = [
    "MAX_BODY",
    "MAX_SUBJECT",
    "Folder",
    "archive",
    "deliver_system_message",
    "entry",
    "find_messages",
    "mark_read",
    "recipients_by_message",
    "send",
    "unread_count",
]

MAX_SUBJECT = 200
MAX_BODY = 100_000
MAX_RECIPIENTS = 100


class Folder(StrEnum):
    INBOX = "INBOX"
    SENT = "SENT"
    ARCHIVE = "ARCHIVE"


class _Role(StrEnum):
    SENDER = "SENDER"
    RECIPIENT = "RECIPIENT"


async def send(
    session: AsyncSession, actor: Actor, *, to: Sequence[str], subject: str, body: str
) -> MailboxEntry:
    """Send a message from ``actor`` to ``to``; the sender's ``SENT`` entry is returned."""
    sender = await acting_employee(session, actor)
    checks = InputChecks()
    checked_subject = checks(check_text, subject, field="input.subject", max_length=MAX_SUBJECT)
    checked_body = checks(check_text, body, field="input.body", max_length=MAX_BODY,
                          multiline=True)  # fmt: skip
    checks(check_ids, to, field="input.to", min_items=1)
    checks.done()
    assert checked_subject is not None and checked_body is not None
    subject, body = checked_subject, checked_body
    recipients = await require_employees(session, to, field="input.to", min_items=1)
    now = utc_now()
    message = Message(id=new_id(), sender_id=sender.id, subject=subject, body=body, sent_at=now)
    session.add(message)
    await session.flush()
    sent = MailboxEntry(
        id=new_id(),
        message=message,
        owner_id=sender.id,
        role=_Role.SENDER,
        folder=Folder.SENT,
        read_at=now,
        sent_at=now,
    )
    session.add(sent)
    inbox = [_inbox_entry(message, recipient.id) for recipient in recipients]
    session.add_all(inbox)
    await session.flush()
    await events.message_sent(session, message.id, [(e.owner_id, e.id) for e in inbox])
    return sent


async def deliver_system_message(
    session: AsyncSession, recipient_id: str, subject: str, body: str, dedupe_key: str
) -> str:
    """Put a system message (no sender) into ``recipient_id``'s inbox, once per ``dedupe_key``.

    Returns the message id; a second delivery with the same key (a redelivered event, a
    concurrent consumer) changes nothing and returns the first one's id. Runs inside the
    caller's transaction, so it commits or rolls back with the caller's inbox bookkeeping.
    """
    key = check_text(dedupe_key, field="dedupeKey", max_length=200)
    subject = check_text(subject, field="subject", max_length=MAX_SUBJECT)
    body = check_text(body, field="body", max_length=MAX_BODY, multiline=True)
    await require_employee(session, recipient_id, field="recipientId")
    now = utc_now()
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert(Message) if dialect == "postgresql" else sqlite.insert(Message)
    values = {"subject": subject, "body": body, "sent_at": now, "dedupe_key": key}
    statement = (
        insert.values(id=new_id(), sender_id=None, **values)
        .on_conflict_do_nothing(index_elements=[Message.dedupe_key])
        .returning(Message.id)
    )
    inserted: str | None = (await session.execute(statement)).scalar_one_or_none()
    if inserted is None:
        existing = await session.scalar(select(Message.id).where(Message.dedupe_key == key))
        assert existing is not None, key
        return existing
    message = await session.get_one(Message, inserted)
    delivered = _inbox_entry(message, recipient_id)
    session.add(delivered)
    await session.flush()
    await events.message_sent(session, message.id, [(recipient_id, delivered.id)])
    return inserted


async def entry(
    session: AsyncSession, actor: Actor, entry_id: str, *, field: str = "id"
) -> MailboxEntry:
    """An entry of ``actor``'s mailbox, with its message; ``NOT_FOUND`` for anyone else's."""
    check_id(entry_id, field=field)
    statement = (
        select(MailboxEntry)
        .join(MailboxEntry.message)
        .options(contains_eager(MailboxEntry.message))
        .where(MailboxEntry.id == entry_id, MailboxEntry.owner_id == actor.employee_id)
    )
    found = await session.scalar(statement)
    if found is None:
        raise NotFound(f"No message {entry_id}.", extensions={"field": field, "id": entry_id})
    return found


async def mark_read(session: AsyncSession, actor: Actor, entry_id: str) -> MailboxEntry:
    """Mark one of ``actor``'s messages read (the first reading time stays)."""
    found = await entry(session, actor, entry_id)
    if found.read_at is None:
        found.read_at = utc_now()
        await session.flush()
    return found


async def archive(session: AsyncSession, actor: Actor, entry_id: str) -> MailboxEntry:
    """Move one of ``actor``'s messages to ``ARCHIVE`` (archiving twice changes nothing)."""
    found = await entry(session, actor, entry_id)
    found.folder = Folder.ARCHIVE
    await session.flush()
    return found


async def find_messages(
    session: AsyncSession,
    actor: Actor,
    *,
    folder: Folder,
    search: str | None,
    first: int | None,
    after: str | None,
) -> Page[MailboxEntry]:
    """One page of ``actor``'s messages in ``folder``, newest first; ``search`` matches part of
    the subject or the body, in any case."""
    await acting_employee(session, actor)
    statement = (
        select(MailboxEntry)
        .join(MailboxEntry.message)
        .options(contains_eager(MailboxEntry.message))
        .where(MailboxEntry.owner_id == actor.employee_id, MailboxEntry.folder == folder)
    )
    if search is not None:
        text = check_text(search, field="search", max_length=100).lower()
        statement = statement.where(
            or_(
                func.lower(Message.subject).contains(text, autoescape=True),
                func.lower(Message.body).contains(text, autoescape=True),
            )
        )
    order = [MailboxEntry.sent_at.desc(), MailboxEntry.id.desc()]
    return await paginate(session, statement, order, first=first, after=after)


async def unread_count(session: AsyncSession, actor: Actor) -> int:
    """How many messages in ``actor``'s inbox are unread."""
    statement = select(func.count()).where(
        MailboxEntry.owner_id == actor.employee_id,
        MailboxEntry.folder == Folder.INBOX,
        MailboxEntry.read_at.is_(None),
    )
    return int(await session.scalar(statement) or 0)


async def recipients_by_message(
    session: AsyncSession, message_ids: Sequence[str]
) -> dict[str, list[Employee]]:
    """The recipients of each message, by employee number."""
    found: dict[str, list[Employee]] = {message_id: [] for message_id in message_ids}
    statement = (
        select(MailboxEntry.message_id, Employee)
        .join(Employee, Employee.id == MailboxEntry.owner_id)
        .where(MailboxEntry.message_id.in_(set(message_ids)), MailboxEntry.role == _Role.RECIPIENT)
        .order_by(Employee.employee_no)
    )
    for message_id, employee in await session.execute(statement):
        found[message_id].append(employee)
    return found


def _inbox_entry(message: Message, owner_id: str) -> MailboxEntry:
    return MailboxEntry(
        id=new_id(),
        message=message,
        owner_id=owner_id,
        role=_Role.RECIPIENT,
        folder=Folder.INBOX,
        sent_at=message.sent_at,
    )
