# mypy: disable-error-code="untyped-decorator"
"""Documents: mine and those shared with me."""

from __future__ import annotations

from typing import Any

import strawberry
from starlette.datastructures import UploadFile
from strawberry.file_uploads import Upload
from strawberry.types import Info

from subgraphs.common.errors import BadUserInput
from subgraphs.common.pagination import Connection
from subgraphs.oa.context import actor, change, files, sessions
from subgraphs.oa.store import documents
from subgraphs.oa.store.files import TooLarge
from subgraphs.oa.types.documents import (
    CreateDocumentInput,
    Document,
    DocumentContentInput,
    DocumentVersion,
    SharePermission,
)
from tandem_shared.db import transaction

__all__ = ["DocumentsMutation", "DocumentsQuery"]


def _content(content: DocumentContentInput) -> documents.Content:
    return documents.Content(
        text=content.text, base64=content.base64, content_type=content.content_type
    )


@strawberry.type
class DocumentsQuery:
    @strawberry.field(description="Documents I own or that are shared with me, last changed first.")
    async def documents(
        self,
        info: Info[Any, Any],
        search: str | None = None,
        folder: str | None = None,
        tag: str | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Document]:
        conditions = documents.DocumentFilter(search=search, folder=folder, tag=tag)
        async with transaction(sessions(info)) as session:
            page = await documents.find_documents(
                session, actor(info), conditions, first=first, after=after
            )
        return page.to_connection(Document.from_row)

    @strawberry.field(description="One document I may see; NOT_FOUND otherwise.")
    async def document(self, info: Info[Any, Any], id: strawberry.ID) -> Document | None:
        async with transaction(sessions(info)) as session:
            row, _ = await documents.visible_document(session, actor(info), id)
        return Document.from_row(row)


@strawberry.type
class DocumentsMutation:
    @strawberry.mutation(description="Create a document I own, with its first version if given.")
    async def create_document(self, info: Info[Any, Any], input: CreateDocumentInput) -> Document:
        async with change(info) as session:
            row = await documents.create(
                session,
                actor(info),
                title=input.title,
                folder=input.folder,
                tags=input.tags,
                content=None if input.content is None else _content(input.content),
            )
        return Document.from_row(row)

    @strawberry.mutation(
        description="Add a version (owner, or shared with EDIT); size and SHA-256 are computed."
    )
    async def add_document_version(
        self, info: Info[Any, Any], document_id: strawberry.ID, content: DocumentContentInput
    ) -> DocumentVersion:
        async with change(info) as session:
            row = await documents.add_version(session, actor(info), document_id, _content(content))
        return DocumentVersion.from_row(row)

    @strawberry.mutation(
        description="Add a version from an uploaded file (GraphQL multipart request; owner, "
        "or shared with EDIT); streamed to the file store, size and SHA-256 computed. "
        "contentType defaults to the file part's, then application/octet-stream."
    )
    async def upload_document_version(
        self,
        info: Info[Any, Any],
        document_id: strawberry.ID,
        file: Upload,
        content_type: str | None = None,
    ) -> DocumentVersion:
        if not isinstance(file, UploadFile):  # a value in JSON, not a file part
            raise BadUserInput("Send the file as a multipart upload.", field="file")
        store = files(info)
        async with transaction(sessions(info)) as session:  # may the caller edit? (no file yet)
            await documents.editable_document(session, actor(info), document_id)
        try:
            stored = await store.put(file)
        except TooLarge:
            raise BadUserInput(f"At most {store.max_bytes} bytes.", field="file") from None
        finally:
            await file.close()  # the request's spooled copy (Starlette's temporary file)
        media_type = content_type or file.content_type
        async with change(info) as session:
            row = await documents.add_stored_version(
                session, actor(info), document_id, stored, media_type
            )
        return DocumentVersion.from_row(row)

    @strawberry.mutation(
        description="Share my document with employees (again: change what they may do)."
    )
    async def share_document(
        self,
        info: Info[Any, Any],
        document_id: strawberry.ID,
        employee_ids: list[strawberry.ID],
        permission: SharePermission = SharePermission.READ,
    ) -> Document:
        async with change(info) as session:
            row = await documents.share(
                session,
                actor(info),
                document_id,
                employee_ids,
                documents.Access(permission.value),
            )
        return Document.from_row(row)

    @strawberry.mutation(description="Stop sharing my document with employees.")
    async def unshare_document(
        self, info: Info[Any, Any], document_id: strawberry.ID, employee_ids: list[strawberry.ID]
    ) -> Document:
        async with change(info) as session:
            row = await documents.unshare(session, actor(info), document_id, employee_ids)
        return Document.from_row(row)
