# mypy: disable-error-code="untyped-decorator"
"""``Document``, ``DocumentVersion`` and their inputs."""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime
from enum import Enum
from typing import Any, Self

import strawberry
from strawberry.types import Info

from subgraphs.common.errors import BadUserInput
from subgraphs.oa.context import actor, files, loaders
from subgraphs.oa.store import models
from subgraphs.oa.store.documents import MAX_CONTENT_BYTES
from subgraphs.oa.types.people import Employee

DOWNLOAD_PATH = "/files/oa"
"""Where the gateway serves OA's files (``gateway/uploads/downloads.py``)."""

__all__ = [
    "CreateDocumentInput",
    "Document",
    "DocumentAccess",
    "DocumentContentInput",
    "DocumentShare",
    "DocumentVersion",
    "SharePermission",
]


@strawberry.enum(description="What a reader may do with a document.")
class DocumentAccess(Enum):
    OWNER = "OWNER"
    EDIT = "EDIT"
    READ = "READ"


@strawberry.enum(description="What sharing grants: reading, or reading and adding versions.")
class SharePermission(Enum):
    READ = "READ"
    EDIT = "EDIT"


@strawberry.type(description="One version of a document's content.")
class DocumentVersion:
    id: strawberry.ID
    number: int = strawberry.field(description="1 for the first version, then 2, 3, ...")
    size: int = strawberry.field(description="Bytes.")
    sha256: str = strawberry.field(description="SHA-256 of the content, lower-case hex.")
    content_type: str
    created_at: datetime
    author_id: strawberry.Private[str]

    @strawberry.field
    async def author(self, info: Info[Any, Any]) -> Employee:
        row = await loaders(info).employee.load(self.author_id)
        assert row is not None, self.author_id  # a foreign key
        return Employee.from_row(row)

    @strawberry.field(
        description="Where the gateway serves the content (a path on the gateway: "
        "/files/oa/<version id>), to those who may read the document."
    )
    def download_url(self) -> str:
        return f"{DOWNLOAD_PATH}/{self.id}"

    @strawberry.field(description="The content, base64-encoded.")
    async def content_base64(self, info: Info[Any, Any]) -> str:
        return base64.b64encode(await self._content(info)).decode("ascii")

    @strawberry.field(description="The content as text; null unless it is UTF-8.")
    async def text(self, info: Info[Any, Any]) -> str | None:
        try:
            return (await self._content(info)).decode("utf-8")
        except UnicodeDecodeError:
            return None

    async def _content(self, info: Info[Any, Any]) -> bytes:
        """The content: in the database for versions given as text or base64, in the file
        store for uploaded files (read whole only up to the JSON limit: ``downloadUrl``
        serves the rest)."""
        content = await loaders(info).content.load(str(self.id))
        assert content is not None, self.id
        if len(content) == self.size:
            return content
        if self.size > MAX_CONTENT_BYTES:
            raise BadUserInput(
                f"This version is larger than {MAX_CONTENT_BYTES} bytes: use its downloadUrl.",
                field="content",
            )
        return await asyncio.to_thread(files(info).path(self.sha256).read_bytes)

    @classmethod
    def from_row(cls, row: models.DocumentVersion) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            number=row.number,
            size=row.size,
            sha256=row.sha256,
            content_type=row.content_type,
            created_at=row.created_at,
            author_id=row.author_id,
        )


@strawberry.type(description="Someone a document is shared with, and what they may do.")
class DocumentShare:
    employee: Employee
    permission: SharePermission
    shared_at: datetime


@strawberry.type(description="A document: its versions, tags, folder and who it is shared with.")
class Document:
    id: strawberry.ID
    title: str
    folder: str = strawberry.field(description="A path such as /contracts/2026.")
    created_at: datetime
    updated_at: datetime
    owner_id: strawberry.Private[str]

    @strawberry.field
    async def owner(self, info: Info[Any, Any]) -> Employee:
        row = await loaders(info).employee.load(self.owner_id)
        assert row is not None, self.owner_id  # a foreign key
        return Employee.from_row(row)

    @strawberry.field
    async def tags(self, info: Info[Any, Any]) -> list[str]:
        return await loaders(info).tags.load(str(self.id))

    @strawberry.field(description="Every version, oldest first.")
    async def versions(self, info: Info[Any, Any]) -> list[DocumentVersion]:
        rows = await loaders(info).versions.load(str(self.id))
        return [DocumentVersion.from_row(row) for row in rows]

    @strawberry.field(description="The newest version; null before the first.")
    async def latest_version(self, info: Info[Any, Any]) -> DocumentVersion | None:
        rows = await loaders(info).versions.load(str(self.id))
        return DocumentVersion.from_row(rows[-1]) if rows else None

    @strawberry.field(description="Whom the owner shared it with.")
    async def shared_with(self, info: Info[Any, Any]) -> list[Employee]:
        return [Employee.from_row(employee) for _, employee in await self._shares(info)]

    @strawberry.field(description="Whom the owner shared it with, and what each may do.")
    async def shares(self, info: Info[Any, Any]) -> list[DocumentShare]:
        return [
            DocumentShare(
                employee=Employee.from_row(employee),
                permission=SharePermission(row.permission),
                shared_at=row.shared_at,
            )
            for row, employee in await self._shares(info)
        ]

    @strawberry.field(description="What I may do with it.")
    async def my_access(self, info: Info[Any, Any]) -> DocumentAccess:
        me = actor(info).employee_id
        if me == self.owner_id:
            return DocumentAccess.OWNER
        for row, employee in await self._shares(info):
            if employee.id == me:
                return DocumentAccess(row.permission)
        raise AssertionError("a visible document is owned by or shared with the reader")

    async def _shares(
        self, info: Info[Any, Any]
    ) -> list[tuple[models.DocumentShare, models.Employee]]:
        return await loaders(info).shares.load(str(self.id))

    @classmethod
    def from_row(cls, row: models.Document) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            title=row.title,
            folder=row.folder,
            created_at=row.created_at,
            updated_at=row.updated_at,
            owner_id=row.owner_id,
        )


@strawberry.input(description="Content: exactly one of text and base64.")
class DocumentContentInput:
    text: str | None = None
    base64: str | None = None
    content_type: str | None = strawberry.field(
        default=None,
        description="A media type; default text/plain; charset=utf-8 for text, "
        "application/octet-stream for base64.",
    )


@strawberry.input
class CreateDocumentInput:
    title: str
    folder: str | None = strawberry.field(default="/", description="Default: / (the top).")
    tags: list[str] = strawberry.field(default_factory=list)
    content: DocumentContentInput | None = strawberry.field(
        default=None, description="The first version; none: a document without versions yet."
    )
