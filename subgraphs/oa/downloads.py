"""``GET /files/{version_id}``: a document version's content, for a caller who may read it.

The gateway serves ``DocumentVersion.downloadUrl`` (``/files/oa/<version id>``) by asking
this route with an identity token naming the caller and bound to the path
(``subgraphs/common/identity.py``), and streams the answer back. A version that does not
exist and one the caller may not read get the same 404 ``NOT_FOUND``, so nothing is revealed.
An employee HR deactivated gets 403 ``EMPLOYEE_DEACTIVATED`` whatever they ask for (the
root-field check of :mod:`subgraphs.common.standing` does not see this route).
Uploaded files are streamed from the file store (``store/files.py``), never read whole;
content given as text or base64 (at most 5 MB) comes from the database.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from subgraphs.common.errors import BadUserInput, ErrorCode, NotFound
from subgraphs.common.identity import principal_from_scope
from subgraphs.common.standing import DEACTIVATED_MESSAGE
from subgraphs.oa.standing import is_deactivated
from subgraphs.oa.store import documents
from subgraphs.oa.store.files import FileStore
from subgraphs.oa.store.models import DocumentVersion
from subgraphs.oa.store.people import Actor
from tandem_shared.db import transaction

__all__ = ["PRIVATE_HEADERS", "download_route"]

PRIVATE_HEADERS: Final = {
    "cache-control": "private, no-store",  # a document is one caller's to see
    "x-content-type-options": "nosniff",
}


def download_route() -> Route:
    return Route("/files/{version_id}", download, methods=["GET"])


async def download(request: Request) -> Response:
    principal = principal_from_scope(request.scope)
    if principal is None:
        return _not_found()
    if await is_deactivated({"sessions": request.state.sessions}, principal.subject):
        return _coded(403, ErrorCode.EMPLOYEE_DEACTIVATED, DEACTIVATED_MESSAGE)
    actor = Actor(employee_id=principal.subject, roles=frozenset(principal.roles))
    store: FileStore = request.state.files
    try:
        async with transaction(request.state.sessions) as session:
            version, document = await documents.readable_version(
                session, actor, request.path_params["version_id"]
            )
            content = None if store.exists(version.sha256) else await _content(session, version)
    except (NotFound, BadUserInput):  # none, not theirs, or an id that is not one
        return _not_found()
    headers = {
        **PRIVATE_HEADERS,
        "content-disposition": f"attachment; filename*=utf-8''{quote(document.title)}",
        "x-tandem-sha256": version.sha256,
    }
    if content is None:  # streamed in chunks, with its length
        return FileResponse(
            store.path(version.sha256), media_type=version.content_type, headers=headers
        )
    return Response(content, media_type=version.content_type, headers=headers)


async def _content(session: AsyncSession, version: DocumentVersion) -> bytes:
    found = await documents.content_by_version(session, [version.id])
    return found.get(version.id, b"")


def _not_found() -> Response:
    return _coded(404, ErrorCode.NOT_FOUND, "No such file.")


def _coded(status: int, code: str, message: str) -> Response:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=dict(PRIVATE_HEADERS),
    )
