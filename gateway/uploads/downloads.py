"""``GET /files/{subgraph}/{file_id}``: a file a subgraph keeps, for a caller who may read it.

A subgraph's field gives the URL (``DocumentVersion.downloadUrl`` is
``/files/oa/<version id>``); the gateway identifies the caller as for ``/graphql`` and asks
the subgraph's ``GET /files/<file_id>`` with an identity token naming the caller and bound
to that path (``tandem_shared/tokens.py``), so the subgraph decides whether this caller may
read it. The answer is streamed back a chunk at a time, with its type, length and
``Content-Disposition``, and ``Cache-Control: private, no-store`` (a document is one caller's
to see). A file that does not exist, one the caller may not read, an unknown subgraph and an
anonymous caller all get the same 404 ``NOT_FOUND``: nothing tells them apart. A subgraph's
403 naming a code (an employee HR deactivated: ``EMPLOYEE_DEACTIVATED``, whatever they ask
for) is passed on as 403 with that code and message, so the caller learns why.

CSRF: a cookie session may download with a plain link (no ``X-Tandem-CSRF`` header): a
download changes nothing, and a cross-site page cannot read the answer (no CORS headers for
it), so the request is marked exempt (``browser_safety.CSRF_EXEMPT``).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from tandem_shared.tokens import get_binding

from ..auth.browser_safety import CSRF_EXEMPT
from ..auth.identify import Identifier
from ..errors import TandemError
from ..pipeline import Gateway
from .forward import CHUNK

__all__ = ["DOWNLOAD_PATH", "PRIVATE", "download_route"]

DOWNLOAD_PATH: Final = "/files/{subgraph}/{file_id}"
PRIVATE: Final = {"cache-control": "private, no-store", "x-content-type-options": "nosniff"}
_FILE_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_REFUSAL_BYTES: Final = 4096
_PASSED: Final = ("content-type", "content-length", "content-disposition", "x-tandem-sha256")


def download_route(current: Callable[[], Gateway], identifier: Identifier | None) -> Route:
    """The route; ``current`` is the gateway serving now (a reload may move a subgraph)."""

    async def download(request: Request) -> Response:
        request.scope[CSRF_EXEMPT] = True
        try:
            caller = await identifier.caller(request) if identifier is not None else None
        except TandemError as error:
            return _coded(error.status, error.code, error.message)
        principal = caller.principal if caller is not None else None
        gateway = current()
        name, file_id = request.path_params["subgraph"], request.path_params["file_id"]
        url = gateway.executor.urls.get(name)
        if principal is None or url is None or not _FILE_ID.match(file_id):
            return _not_found()
        target = urlsplit(url)
        path = target.path.rsplit("/", 1)[0] + f"/files/{file_id}"
        headers = {}
        if gateway.tokens is not None:
            headers["authorization"] = gateway.tokens.authorization(
                principal, name, get_binding(path)
            )
        try:
            response = await gateway.files.session().get(
                urlunsplit((target.scheme, target.netloc, path, "", "")),
                headers=headers,
                timeout=gateway.files.timeout,
            )
        except (aiohttp.ClientError, TimeoutError):
            return _coded(502, "SUBGRAPH_UNAVAILABLE", f"subgraph {name} is unreachable")
        if response.status != 200:
            refused = await _refusal(response) if response.status == 403 else None
            response.release()
            return _not_found() if refused is None else _coded(403, *refused)
        passed = {key: response.headers[key] for key in _PASSED if key in response.headers}
        return StreamingResponse(
            _streamed(response), status_code=200, headers={**passed, **PRIVATE}
        )

    return Route(DOWNLOAD_PATH, download, methods=["GET"])


async def _streamed(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """The subgraph's answer, a chunk at a time (released when done or abandoned)."""
    try:
        async for chunk in response.content.iter_chunked(CHUNK):
            yield chunk
    finally:
        response.release()


async def _refusal(response: aiohttp.ClientResponse) -> tuple[str, str] | None:
    """The code and message of a subgraph's coded refusal (its JSON error body, at most
    :data:`_REFUSAL_BYTES` long); None if it is anything else."""
    length = response.content_length
    if length is None or length > _REFUSAL_BYTES:
        return None
    try:
        body = orjson.loads(await response.read())
        error = body["errors"][0]
        code, message = error["extensions"]["code"], error["message"]
    except (aiohttp.ClientError, TimeoutError, orjson.JSONDecodeError, LookupError, TypeError):
        return None
    if not isinstance(code, str) or not isinstance(message, str):
        return None
    return code, message


def _not_found() -> Response:
    return _coded(404, "NOT_FOUND", "no such file")


def _coded(status: int, code: str, message: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status, headers=PRIVATE, media_type="application/json")
