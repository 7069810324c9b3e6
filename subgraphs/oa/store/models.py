"""The OA tables, as SQLAlchemy 2 declarative models (the migrations create the same).

Every table is named ``oa_*``. Ids are stable strings: ``emp-001`` and ``dept-01`` for the
demo company's people, UUIDs for everything created at run time. Times are
:class:`AwareDateTime` (UTC), money :class:`DecimalAmount` with a currency column beside it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from subgraphs.common.audit import audited
from subgraphs.common.events.inbox import processed_events_table
from subgraphs.common.events.outbox import outbox_table
from subgraphs.common.money import DecimalAmount
from tandem_shared.crypto_orm import encrypted, seal_on_flush
from tandem_shared.timestamps import AwareDateTime, utc_now

__all__ = [
    "AUDIT_TABLE",
    "INBOX_TABLE",
    "NAMING_CONVENTION",
    "OUTBOX_TABLE",
    "Announcement",
    "AnnouncementAudience",
    "ApprovalAction",
    "ApprovalFlow",
    "ApprovalFlowStep",
    "ApprovalRequest",
    "ApprovalRequestItem",
    "ApprovalStep",
    "Base",
    "Department",
    "Document",
    "DocumentShare",
    "DocumentTag",
    "DocumentVersion",
    "Employee",
    "MailboxEntry",
    "Meeting",
    "MeetingAttendee",
    "MeetingRoom",
    "Message",
    "audit_log",
    "erp_budgets",
    "erp_items",
    "erp_suppliers",
    "inbox",
    "new_id",
    "outbox",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names the migrations spell out, so both stay in step."""

ID = String(64)


def new_id() -> str:
    """A new id for a row created at run time."""
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


seal_on_flush(Base)  # marked columns hold envelopes, whatever code writes them

# --- people ---------------------------------------------------------------------------


class Department(Base):
    __tablename__ = "oa_departments"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("oa_departments.id"))
    manager_id: Mapped[str | None] = mapped_column(ForeignKey("oa_employees.id", use_alter=True))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utc_now)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Grows with each change HR makes; its events carry it (``people_events.py``)."""


class Employee(Base):
    __tablename__ = "oa_employees"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[str] = mapped_column(ForeignKey("oa_departments.id"), index=True)
    manager_id: Mapped[str | None] = mapped_column(ForeignKey("oa_employees.id"))
    phone: Mapped[str | None] = mapped_column(Text, info=encrypted("Employee", "phone"))
    """An envelope (:mod:`tandem_shared.crypto_orm` seals a plain value on flush)."""
    id_card_number: Mapped[str | None] = mapped_column(
        Text, info=encrypted("Employee", "idCardNumber", index="id_card_number_bidx")
    )
    """An envelope; searchable through ``id_card_number_bidx`` (its blind index)."""
    id_card_number_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The roles the demo identity provider gives this person; requests use the token's."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utc_now)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Grows with each change HR makes; its events carry it (``people_events.py``)."""


# --- messages and announcements ---------------------------------------------------------


class Message(Base):
    """A message as sent: one row, however many mailboxes hold it."""

    __tablename__ = "oa_messages"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    sender_id: Mapped[str | None] = mapped_column(ForeignKey("oa_employees.id"))
    """None for a system message (an order number, a goods receipt)."""
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utc_now)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    """Set for system messages: delivering the same key twice delivers once."""


class MailboxEntry(Base):
    """A message in one person's mailbox: what ``Message`` in the schema is (its id, folder,
    read time are per mailbox)."""

    __tablename__ = "oa_mailbox"
    __table_args__ = (
        UniqueConstraint("message_id", "owner_id", "role"),
        Index(None, "owner_id", "folder", "sent_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(ForeignKey("oa_messages.id"), index=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("oa_employees.id"))
    role: Mapped[str] = mapped_column(String(16))
    """``SENDER`` or ``RECIPIENT``."""
    folder: Mapped[str] = mapped_column(String(16))
    """``INBOX``, ``SENT`` or ``ARCHIVE``."""
    read_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    sent_at: Mapped[datetime] = mapped_column(AwareDateTime())
    """The message's, repeated here to order a mailbox without a join."""

    message: Mapped[Message] = relationship(lazy="raise")


class Announcement(Base):
    __tablename__ = "oa_announcements"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(ForeignKey("oa_employees.id"))
    published_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utc_now, index=True)


class AnnouncementAudience(Base):
    """A department an announcement is for (with its sub-departments); none: everyone."""

    __tablename__ = "oa_announcement_audiences"

    announcement_id: Mapped[str] = mapped_column(
        ForeignKey("oa_announcements.id"), primary_key=True
    )
    department_id: Mapped[str] = mapped_column(
        ForeignKey("oa_departments.id"), primary_key=True, index=True
    )


# --- documents ---------------------------------------------------------------------------


class Document(Base):
    __tablename__ = "oa_documents"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[str] = mapped_column(ForeignKey("oa_employees.id"), index=True)
    folder: Mapped[str] = mapped_column(String(500))
    """A path such as ``/contracts/2026``; ``/`` is the top."""
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    """The number of the newest version, 0 before the first (numbers versions under a lock)."""
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utc_now)


class DocumentTag(Base):
    __tablename__ = "oa_document_tags"

    document_id: Mapped[str] = mapped_column(ForeignKey("oa_documents.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)


class DocumentVersion(Base):
    __tablename__ = "oa_document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("oa_documents.id"))
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[str] = mapped_column(ForeignKey("oa_employees.id"))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utc_now)


class DocumentShare(Base):
    """A document shared with one employee, to read (``READ``) or also to revise (``EDIT``)."""

    __tablename__ = "oa_document_shares"

    document_id: Mapped[str] = mapped_column(ForeignKey("oa_documents.id"), primary_key=True)
    employee_id: Mapped[str] = mapped_column(
        ForeignKey("oa_employees.id"), primary_key=True, index=True
    )
    permission: Mapped[str] = mapped_column(String(8))
    shared_by: Mapped[str] = mapped_column(ForeignKey("oa_employees.id"))
    shared_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utc_now)


# --- approvals ---------------------------------------------------------------------------


class ApprovalFlow(Base):
    """One version of the flow for a kind; defining a kind's flow again adds a version and
    retires the previous one (requests keep the steps they were submitted with)."""

    __tablename__ = "oa_approval_flows"
    __table_args__ = (UniqueConstraint("kind", "version"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    defined_by: Mapped[str | None] = mapped_column(ForeignKey("oa_employees.id"))
    defined_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utc_now)


class ApprovalFlowStep(Base):
    __tablename__ = "oa_approval_flow_steps"

    flow_id: Mapped[str] = mapped_column(ForeignKey("oa_approval_flows.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(32))
    """``ROLE``, ``DEPARTMENT_MANAGER`` or ``EMPLOYEE``."""
    role: Mapped[str | None] = mapped_column(String(40))
    employee_id: Mapped[str | None] = mapped_column(ForeignKey("oa_employees.id"))
    min_amount: Mapped[Decimal | None] = mapped_column(DecimalAmount())
    """The step applies only to requests of at least this amount (None: always)."""
    currency: Mapped[str | None] = mapped_column(String(3))


class ApprovalRequest(Base):
    __tablename__ = "oa_approval_requests"
    __table_args__ = (
        Index(None, "applicant_id", "submitted_at"),
        Index(None, "status", "submitted_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    applicant_id: Mapped[str] = mapped_column(ForeignKey("oa_employees.id"))
    department_id: Mapped[str] = mapped_column(ForeignKey("oa_departments.id"))
    flow_id: Mapped[str] = mapped_column(ForeignKey("oa_approval_flows.id"))
    status: Mapped[str] = mapped_column(String(16))
    """``PENDING``, ``APPROVED``, ``REJECTED`` or ``WITHDRAWN``."""
    current_step: Mapped[int | None] = mapped_column(Integer)
    """The position of the step waiting for a decision; None once decided."""
    amount: Mapped[Decimal | None] = mapped_column(DecimalAmount())
    currency: Mapped[str | None] = mapped_column(String(3))
    budget_period: Mapped[str | None] = mapped_column(String(7))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utc_now)
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    version: Mapped[int] = mapped_column(Integer)
    """Bumped by every change (SQLAlchemy checks it on UPDATE): a lost update is a CONFLICT."""

    __mapper_args__: Any = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy types it)


class ApprovalRequestItem(Base):
    """A line of a purchase request."""

    __tablename__ = "oa_approval_request_items"

    request_id: Mapped[str] = mapped_column(ForeignKey("oa_approval_requests.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(DecimalAmount())
    currency: Mapped[str] = mapped_column(String(3))
    supplier_id: Mapped[str | None] = mapped_column(String(64))


class ApprovalStep(Base):
    """A step of one request, copied from its flow at submission with its approver resolved."""

    __tablename__ = "oa_approval_steps"
    __table_args__ = (Index(None, "assignee_id", "status"),)

    request_id: Mapped[str] = mapped_column(ForeignKey("oa_approval_requests.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(String(32))
    role: Mapped[str | None] = mapped_column(String(40))
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("oa_employees.id"))
    """Who decides (None: any holder of ``role``); the decider once decided."""
    min_amount: Mapped[Decimal | None] = mapped_column(DecimalAmount())
    currency: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    """``WAITING``, ``PENDING``, ``APPROVED``, ``REJECTED``, ``SKIPPED`` or ``CANCELLED``."""
    comment: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("oa_employees.id"))
    decided_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


class ApprovalAction(Base):
    """The history of a request: every submission, decision, transfer and withdrawal."""

    __tablename__ = "oa_approval_actions"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("oa_approval_requests.id"), index=True)
    step: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("oa_employees.id"))
    action: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    to_employee_id: Mapped[str | None] = mapped_column(ForeignKey("oa_employees.id"))
    at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utc_now)


# --- meetings ----------------------------------------------------------------------------


class MeetingRoom(Base):
    __tablename__ = "oa_meeting_rooms"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    capacity: Mapped[int] = mapped_column(Integer)
    equipment: Mapped[list[str]] = mapped_column(JSON, default=list)
    location: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utc_now)


class Meeting(Base):
    __tablename__ = "oa_meetings"
    __table_args__ = (Index(None, "room_id", "starts_at"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    agenda: Mapped[str | None] = mapped_column(Text)
    organizer_id: Mapped[str] = mapped_column(ForeignKey("oa_employees.id"), index=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("oa_meeting_rooms.id"))
    starts_at: Mapped[datetime] = mapped_column(AwareDateTime())
    ends_at: Mapped[datetime] = mapped_column(AwareDateTime())
    status: Mapped[str] = mapped_column(String(16))
    """``SCHEDULED`` or ``CANCELLED`` (a cancelled meeting frees its room)."""
    minutes: Mapped[str | None] = mapped_column(Text)
    minutes_recorded_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    created_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utc_now)


class MeetingAttendee(Base):
    __tablename__ = "oa_meeting_attendees"

    meeting_id: Mapped[str] = mapped_column(ForeignKey("oa_meetings.id"), primary_key=True)
    employee_id: Mapped[str] = mapped_column(
        ForeignKey("oa_employees.id"), primary_key=True, index=True
    )


# --- events (the shared outbox and inbox of subgraphs.common.events) ----------------------

OUTBOX_TABLE = "oa_outbox"
INBOX_TABLE = "oa_processed_events"
outbox = outbox_table(OUTBOX_TABLE, Base.metadata)
"""Events the OA publishes (written by :mod:`subgraphs.oa.store.events`)."""
inbox = processed_events_table(INBOX_TABLE, Base.metadata)
"""Events the OA consumed, once each (ERP's order and receipt notifications)."""

# --- the ERP's reference data (subgraphs.oa.store.erp_copy) -------------------------------
# Read-only copies kept from the ERP's events, for the checks at submission; Core tables
# written by the event consumer only, bookkeeping like the inbox (not audited).

erp_items = Table(
    "oa_erp_items", Base.metadata,
    Column("sku", ID, primary_key=True), Column("name", String(200), nullable=False),
    Column("as_of", AwareDateTime(), nullable=False),
)  # fmt: skip
erp_suppliers = Table(
    "oa_erp_suppliers", Base.metadata,
    Column("id", ID, primary_key=True), Column("name", String(200), nullable=False),
    Column("as_of", AwareDateTime(), nullable=False),
)  # fmt: skip
erp_budgets = Table(
    "oa_erp_budgets", Base.metadata,
    Column("department_id", ID, primary_key=True), Column("period", String(7), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("amount", DecimalAmount(), nullable=False),
    Column("committed", DecimalAmount(), nullable=False),
    Column("spent", DecimalAmount(), nullable=False),
    Column("as_of", AwareDateTime(), nullable=False),
)  # fmt: skip

# --- the audit trail (subgraphs.common.audit) ----------------------------------------------

AUDIT_TABLE = "oa_audit_log"
audit_log = audited(Base, AUDIT_TABLE)
"""Every change to the tables above, hash-chained (``python -m subgraphs.oa audit verify``)."""
