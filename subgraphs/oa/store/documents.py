"""Documents: versions with size and SHA-256, tags, folders, and sharing.

Who may do what: the owner everything; an employee it is shared with ``EDIT`` may add
versions; one it is shared with ``READ`` may read it. To anyone else a document does not
exist (``NOT_FOUND``). Only the owner shares (``FORBIDDEN`` for the others who see it).
Versions are numbered 1, 2, ... under a lock on the document row, so concurrent uploads
get distinct numbers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import BadUserInput, Forbidden, InputChecks, NotFound
from subgraphs.common.pagination import Page, paginate
from subgraphs.oa.store.files import Stored
from subgraphs.oa.store.models import (
    Document,
    DocumentShare,
    DocumentTag,
    DocumentVersion,
    Employee,
    new_id,
)
from subgraphs.oa.store.people import Actor, acting_employee, require_employees
from subgraphs.oa.store.validation import check_id, check_ids, check_tags, check_text
from tandem_shared.timestamps import utc_now

__all__ = [
    "MAX_CONTENT_BYTES",
    "Access",
    "Content",
    "DocumentFilter",
    "access_by_document",
    "add_stored_version",
    "add_version",
    "check_content_type",
    "check_folder",
    "content_by_version",
    "create",
    "editable_document",
    "find_documents",
    "readable_version",
    "share",
    "shares_by_document",
    "tags_by_document",
    "unshare",
    "versions_by_document",
    "visible_document",
]

MAX_CONTENT_BYTES: Final = 5 * 1024 * 1024
TEXT_TYPE: Final = "text/plain; charset=utf-8"
BINARY_TYPE: Final = "application/octet-stream"
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*(;[ -~]*)?$")
_FOLDER_SEGMENT = re.compile(r"^[^\x00-\x1f\x7f/]{1,100}$")


class Access(StrEnum):
    """What the reader may do with a document."""

    OWNER = "OWNER"
    EDIT = "EDIT"
    READ = "READ"


@dataclass(frozen=True, slots=True)
class Content:
    """A version's content as given: exactly one of ``text`` and ``base64``."""

    text: str | None = None
    base64: str | None = None
    content_type: str | None = None

    def decode(self, field: str) -> tuple[bytes, str]:
        """``(bytes, content type)``; ``BAD_USER_INPUT`` naming ``field`` or a part of it."""
        if (self.text is None) == (self.base64 is None):
            raise BadUserInput("Give exactly one of text and base64.", field=field)
        checks = InputChecks()  # bad base64 and a bad media type reported together
        data: bytes | None
        if self.text is not None:
            data, default_type = self.text.encode("utf-8"), TEXT_TYPE
        else:
            assert self.base64 is not None
            data, default_type = checks(_from_base64, self.base64, f"{field}.base64"), BINARY_TYPE
        if data is not None and len(data) > MAX_CONTENT_BYTES:
            checks.fail(f"At most {MAX_CONTENT_BYTES} bytes.", field=field)
        content_type = checks(
            check_content_type, self.content_type or default_type, field=f"{field}.contentType"
        )
        checks.done()
        assert data is not None and content_type is not None
        return data, content_type


def _from_base64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadUserInput("Not valid base64.", field=field) from None


@dataclass(frozen=True, slots=True)
class DocumentFilter:
    """``documents(...)`` conditions; every one given must hold."""

    search: str | None = None
    """Part of the title, in any case."""
    folder: str | None = None
    tag: str | None = None


def check_folder(value: str | None, *, field: str) -> str:
    """A folder path: ``/`` or ``/a/b`` (segments of 1-100 characters, no control characters)."""
    folder = (value or "/").strip()
    if folder == "/":
        return folder
    segments = folder.strip("/").split("/")
    if (
        not folder.startswith("/")
        or len(folder) > 500
        or not all(_FOLDER_SEGMENT.match(segment) for segment in segments)
    ):
        raise BadUserInput("A folder is a path such as /contracts/2026.", field=field)
    return "/" + "/".join(segment.strip() for segment in segments)


async def create(
    session: AsyncSession,
    actor: Actor,
    *,
    title: str,
    folder: str | None,
    tags: Sequence[str],
    content: Content | None,
) -> Document:
    """A new document owned by ``actor``, with version 1 if ``content`` is given."""
    owner = await acting_employee(session, actor)
    checks = InputChecks()
    checked_title = checks(check_text, title, field="input.title", max_length=200)
    checked_folder = checks(check_folder, folder, field="input.folder")
    tag_list = checks(check_tags, tags, field="input.tags")
    decoded = None if content is None else checks(content.decode, "input.content")
    checks.done()
    assert checked_title is not None and checked_folder is not None and tag_list is not None
    title, folder = checked_title, checked_folder
    now = utc_now()
    document = Document(
        id=new_id(), title=title, owner_id=owner.id, folder=folder, latest_version=0,
        created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(document)
    await session.flush()
    session.add_all(DocumentTag(document_id=document.id, tag=tag) for tag in tag_list)
    if decoded is not None:
        await _add_version(session, document, owner.id, *decoded)
    await session.flush()
    return document


async def add_version(
    session: AsyncSession, actor: Actor, document_id: str, content: Content
) -> DocumentVersion:
    """A new version of a document the actor owns or may edit; numbered after the newest."""
    checks = InputChecks()  # every invalid argument at once, before looking anything up
    checks(check_id, document_id, field="documentId")
    decoded = checks(content.decode, "content")
    checks.done()
    assert decoded is not None
    data, content_type = decoded
    author = await acting_employee(session, actor)
    document = await _locked(session, document_id, field="documentId")
    access = await _access(session, document, actor)
    if access is None:
        raise _not_found(document_id, "documentId")
    if access is Access.READ:
        raise Forbidden("This document is shared with you to read, not to edit.")
    version = await _add_version(session, document, author.id, data, content_type)
    await session.flush()
    return version


async def add_stored_version(
    session: AsyncSession,
    actor: Actor,
    document_id: str,
    stored: Stored,
    content_type: str | None,
) -> DocumentVersion:
    """A new version whose content is an uploaded file already in the file store
    (``files.py``; its SHA-256 is its key there): the row keeps its size, SHA-256 and type,
    and no content of its own."""
    media_type = check_content_type(content_type or BINARY_TYPE, field="file")
    author = await acting_employee(session, actor)
    document = await _locked(session, document_id, field="documentId")
    access = await _access(session, document, actor)
    if access is None:
        raise _not_found(document_id, "documentId")
    if access is Access.READ:
        raise Forbidden("This document is shared with you to read, not to edit.")
    now = utc_now()
    document.latest_version += 1
    document.updated_at = now
    version = DocumentVersion(
        id=new_id(), document_id=document.id, number=document.latest_version,
        author_id=author.id, size=stored.size, sha256=stored.sha256, content_type=media_type,
        content=b"", created_at=now,
    )  # fmt: skip
    session.add(version)
    await session.flush()
    return version


async def editable_document(session: AsyncSession, actor: Actor, document_id: str) -> Document:
    """A document the actor may add versions to; ``NOT_FOUND`` or ``FORBIDDEN`` otherwise
    (asked before an upload is stored, and again under the lock when it is recorded)."""
    document = await session.get(Document, check_id(document_id, field="documentId"))
    access = None if document is None else await _access(session, document, actor)
    if document is None or access is None:
        raise _not_found(document_id, "documentId")
    if access is Access.READ:
        raise Forbidden("This document is shared with you to read, not to edit.")
    return document


async def readable_version(
    session: AsyncSession, actor: Actor, version_id: str
) -> tuple[DocumentVersion, Document]:
    """A version of a document the actor may read, with its document; ``NOT_FOUND`` for one
    that does not exist or that they may not see (the same answer: nothing is revealed)."""
    version = await session.get(DocumentVersion, check_id(version_id, field="id"))
    document = None if version is None else await session.get(Document, version.document_id)
    if version is None or document is None or await _access(session, document, actor) is None:
        raise NotFound(f"No document version {version_id}.", extensions={"id": version_id})
    return version, document


def check_content_type(value: str, *, field: str) -> str:
    """A media type, lower-cased; ``BAD_USER_INPUT`` naming ``field`` otherwise."""
    content_type = value.strip().lower()
    if len(content_type) > 100 or _CONTENT_TYPE.match(content_type) is None:
        raise BadUserInput("Not a media type.", field=field)
    return content_type


async def share(
    session: AsyncSession,
    actor: Actor,
    document_id: str,
    employee_ids: Sequence[str],
    permission: Access,
) -> Document:
    """Share a document with employees (``READ`` or ``EDIT``; sharing again changes it).

    Every invalid argument is reported together; naming the owner is one of them, found once
    the document is known (``NOT_FOUND`` and ``FORBIDDEN`` come first: they say nothing about
    the arguments)."""
    checks = InputChecks()
    if permission is Access.OWNER:
        checks.fail("Share to READ or EDIT.", field="permission")
    checks(check_ids, employee_ids, field="employeeIds", min_items=1)
    if checks(check_id, document_id, field="documentId") is None:
        checks.done()  # nothing to look up
    document = await _owned(session, actor, document_id)
    for index, employee_id in enumerate(employee_ids):
        if employee_id == document.owner_id:
            checks.fail("The owner has the document already.", field=f"employeeIds.{index}")
    checks.done()
    employees = await require_employees(session, employee_ids, field="employeeIds", min_items=1)
    existing = {
        row.employee_id: row
        for row in await session.scalars(
            select(DocumentShare).where(DocumentShare.document_id == document.id)
        )
    }
    now = utc_now()
    for employee in employees:
        row = existing.get(employee.id)
        if row is None:
            session.add(
                DocumentShare(
                    document_id=document.id, employee_id=employee.id, permission=permission,
                    shared_by=actor.employee_id, shared_at=now,
                )
            )  # fmt: skip
        else:
            row.permission = permission
    document.updated_at = now
    await session.flush()
    return document


async def unshare(
    session: AsyncSession, actor: Actor, document_id: str, employee_ids: Sequence[str]
) -> Document:
    """Stop sharing a document with employees (those it was not shared with are ignored)."""
    document = await _owned(session, actor, document_id)
    ids = [employee.id for employee in await require_employees(
        session, employee_ids, field="employeeIds", min_items=1
    )]  # fmt: skip
    await session.execute(
        delete(DocumentShare).where(
            DocumentShare.document_id == document.id, DocumentShare.employee_id.in_(ids)
        )
    )
    document.updated_at = utc_now()
    await session.flush()
    return document


async def visible_document(
    session: AsyncSession, actor: Actor, document_id: str, *, field: str = "id"
) -> tuple[Document, Access]:
    """A document the actor may see, with the access they have; ``NOT_FOUND`` otherwise."""
    document = await session.get(Document, check_id(document_id, field=field))
    access = None if document is None else await _access(session, document, actor)
    if document is None or access is None:
        raise _not_found(document_id, field)
    return document, access


async def find_documents(
    session: AsyncSession,
    actor: Actor,
    filter: DocumentFilter,
    *,
    first: int | None,
    after: str | None,
) -> Page[Document]:
    """One page of the documents the actor owns or that are shared with them, last changed
    first."""
    await acting_employee(session, actor)
    shared = exists().where(
        DocumentShare.document_id == Document.id, DocumentShare.employee_id == actor.employee_id
    )
    statement = select(Document).where(or_(Document.owner_id == actor.employee_id, shared))
    if filter.search is not None:
        text = check_text(filter.search, field="search", max_length=100).lower()
        statement = statement.where(func.lower(Document.title).contains(text, autoescape=True))
    if filter.folder is not None:
        statement = statement.where(Document.folder == check_folder(filter.folder, field="folder"))
    if filter.tag is not None:
        [tag] = check_tags([filter.tag], field="tag")
        statement = statement.where(
            exists().where(DocumentTag.document_id == Document.id, DocumentTag.tag == tag)
        )
    order = [Document.updated_at.desc(), Document.id.desc()]
    return await paginate(session, statement, order, first=first, after=after)


async def access_by_document(
    session: AsyncSession, actor: Actor, document_ids: Sequence[str]
) -> dict[str, Access]:
    """The actor's access to each of ``document_ids`` they may see."""
    found: dict[str, Access] = {}
    owned = select(Document.id).where(
        Document.id.in_(set(document_ids)), Document.owner_id == actor.employee_id
    )
    for document_id in await session.scalars(owned):
        found[document_id] = Access.OWNER
    shares = select(DocumentShare.document_id, DocumentShare.permission).where(
        DocumentShare.document_id.in_(set(document_ids)),
        DocumentShare.employee_id == actor.employee_id,
    )
    for document_id, permission in await session.execute(shares):
        found.setdefault(document_id, Access(permission))
    return found


async def versions_by_document(
    session: AsyncSession, document_ids: Sequence[str]
) -> dict[str, list[DocumentVersion]]:
    """The versions of each document (without content), oldest first."""
    found: dict[str, list[DocumentVersion]] = {document_id: [] for document_id in document_ids}
    statement = (
        select(DocumentVersion)
        .where(DocumentVersion.document_id.in_(set(document_ids)))
        .order_by(DocumentVersion.number)
    )
    for version in await session.scalars(statement):
        found[version.document_id].append(version)
    return found


async def content_by_version(session: AsyncSession, version_ids: Sequence[str]) -> dict[str, bytes]:
    """The content of each version."""
    statement = select(DocumentVersion.id, DocumentVersion.content).where(
        DocumentVersion.id.in_(set(version_ids))
    )
    return {version_id: content for version_id, content in await session.execute(statement)}


async def tags_by_document(
    session: AsyncSession, document_ids: Sequence[str]
) -> dict[str, list[str]]:
    """The tags of each document, alphabetically."""
    found: dict[str, list[str]] = {document_id: [] for document_id in document_ids}
    statement = (
        select(DocumentTag.document_id, DocumentTag.tag)
        .where(DocumentTag.document_id.in_(set(document_ids)))
        .order_by(DocumentTag.tag)
    )
    for document_id, tag in await session.execute(statement):
        found[document_id].append(tag)
    return found


async def shares_by_document(
    session: AsyncSession, document_ids: Sequence[str]
) -> dict[str, list[tuple[DocumentShare, Employee]]]:
    """Whom each document is shared with, by employee number."""
    found: dict[str, list[tuple[DocumentShare, Employee]]] = {
        document_id: [] for document_id in document_ids
    }
    statement = (
        select(DocumentShare, Employee)
        .join(Employee, Employee.id == DocumentShare.employee_id)
        .where(DocumentShare.document_id.in_(set(document_ids)))
        .order_by(Employee.employee_no)
    )
    for row, employee in await session.execute(statement):
        found[row.document_id].append((row, employee))
    return found


async def _add_version(
    session: AsyncSession, document: Document, author_id: str, data: bytes, content_type: str
) -> DocumentVersion:
    now = utc_now()
    document.latest_version += 1
    document.updated_at = now
    version = DocumentVersion(
        id=new_id(), document_id=document.id, number=document.latest_version, author_id=author_id,
        size=len(data), sha256=hashlib.sha256(data).hexdigest(), content_type=content_type,
        content=data, created_at=now,
    )  # fmt: skip
    session.add(version)
    return version


async def _locked(session: AsyncSession, document_id: str, *, field: str) -> Document:
    """The document row, locked until the transaction ends (SQLite: the database is)."""
    statement = (
        select(Document)
        .where(Document.id == check_id(document_id, field=field))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    document = await session.scalar(statement)
    if document is None:
        raise _not_found(document_id, field)
    return document


async def _owned(session: AsyncSession, actor: Actor, document_id: str) -> Document:
    document = await _locked(session, document_id, field="documentId")
    access = await _access(session, document, actor)
    if access is None:
        raise _not_found(document_id, "documentId")
    if access is not Access.OWNER:
        raise Forbidden("Only the owner shares a document.")
    return document


async def _access(session: AsyncSession, document: Document, actor: Actor) -> Access | None:
    if document.owner_id == actor.employee_id:
        return Access.OWNER
    permission = await session.scalar(
        select(DocumentShare.permission).where(
            DocumentShare.document_id == document.id,
            DocumentShare.employee_id == actor.employee_id,
        )
    )
    return None if permission is None else Access(permission)


def _not_found(document_id: str, field: str) -> NotFound:
    return NotFound(f"No document {document_id}.", extensions={"field": field, "id": document_id})
