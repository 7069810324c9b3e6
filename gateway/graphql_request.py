"""Reading a GraphQL-over-HTTP request: the one reader of every GraphQL endpoint.

``/graphql`` (``http/app.py``), the policy admin API (``authz/admin.py``) and the decryption
audit API (``crypto/audit_api.py``) read their requests here, so they share one body limit,
one list of accepted media types and one set of coded refusals (a :class:`RequestError`):

- 413 ``PAYLOAD_TOO_LARGE``: a body over ``max_body_bytes``, declared or streamed (reading
  stops at the limit);
- 415 ``UNSUPPORTED_MEDIA_TYPE``: a POST whose ``Content-Type`` is not JSON (none means JSON);
- 400 ``BAD_REQUEST``: a body that is not a JSON object, no ``query``, ``variables`` not an
  object, ``operationName`` not a string, ``extensions`` not an object, ``variables`` or
  ``extensions`` in a GET that is not JSON.

GET reads the query parameters (the GraphQL-over-HTTP draft, "GET"); an endpoint that serves
POST only says so with its route's methods.

``/graphql`` reads in two steps, :func:`read_graphql_body` then :func:`graphql_request_of` for
each operation, since its body may be a batch (a JSON list, ``http/batching.py``) and its
operations may name a persisted document instead of sending one (``persisted=True``: no
``query`` is needed beside ``documentId`` or ``extensions.persistedQuery``; ``gateway/persisted``
finds the document).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson
from starlette.requests import Request

from .errors import RequestError

__all__ = [
    "JSON_MEDIA_TYPES",
    "MAX_BODY_BYTES",
    "GraphQLRequest",
    "graphql_request_of",
    "read_graphql_body",
    "read_graphql_request",
]

MAX_BODY_BYTES: Final = 1_000_000
"""The default limit of a request body (``max_body_bytes`` in the settings for ``/graphql``)."""

JSON_MEDIA_TYPES: Final = (
    "application/json",
    "application/graphql-response+json",
    "application/graphql+json",
)


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    """What a client asked: the document, its variables and the operation to run; ``query`` is
    empty when the request names a persisted document (``document_id`` or ``extensions``)."""

    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None = None
    document_id: str | None = None


async def read_graphql_request(
    request: Request, max_body_bytes: int = MAX_BODY_BYTES
) -> GraphQLRequest:
    """The GraphQL request in ``request``, or a coded :class:`RequestError` (module docstring)."""
    body = await read_graphql_body(request, max_body_bytes)
    if not isinstance(body, dict):
        raise RequestError("the request body must be a JSON object", code="BAD_REQUEST")
    return graphql_request_of(body)


async def read_graphql_body(request: Request, max_body_bytes: int = MAX_BODY_BYTES) -> Any:
    """The request's parameters: a GET's query parameters, or a POST's JSON body (an object,
    or a list of them: a batch); a coded :class:`RequestError` when it is neither."""
    if request.method == "GET":
        params = request.query_params
        return {
            "query": params.get("query"),
            "variables": _json_parameter(params.get("variables"), "variables"),
            "operationName": params.get("operationName"),
            "extensions": _json_parameter(params.get("extensions"), "extensions"),
            "documentId": params.get("documentId"),
        }
    body = await _json_body(request, max_body_bytes)
    if not isinstance(body, dict | list):
        raise RequestError("the request body must be a JSON object", code="BAD_REQUEST")
    return body


def graphql_request_of(body: Mapping[str, Any], *, persisted: bool = False) -> GraphQLRequest:
    """The GraphQL request ``body`` holds (one operation of a batch, or the whole body);
    ``persisted``: an id of a persisted document may stand in for ``query``."""
    extensions = body.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError("extensions must be a JSON object", code="BAD_REQUEST")
    document_id = body.get("documentId")
    if document_id is not None and (not isinstance(document_id, str) or not document_id):
        raise RequestError("documentId must be a non-empty string", code="BAD_REQUEST")
    query = body.get("query")
    names_document = persisted and (
        document_id is not None or (extensions is not None and "persistedQuery" in extensions)
    )
    if names_document and (query is None or query == ""):
        query = ""  # the id alone (some clients send an empty text beside it)
    elif not isinstance(query, str) or not query.strip():
        raise RequestError("the request has no query", code="BAD_REQUEST")
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError("variables must be a JSON object", code="BAD_REQUEST")
    operation_name = body.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError("operationName must be a string", code="BAD_REQUEST")
    return GraphQLRequest(query, variables, operation_name, extensions, document_id)


def _json_parameter(raw: str | None, name: str) -> Any:
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestError(f"{name} is not valid JSON", code="BAD_REQUEST") from None


async def _json_body(request: Request, max_body_bytes: int) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in JSON_MEDIA_TYPES:
        raise RequestError(
            f"unsupported content type {content_type!r}: send application/json",
            code="UNSUPPORTED_MEDIA_TYPE",
            status=415,
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
        raise _too_large()
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body_bytes:
            raise _too_large()
        chunks.append(chunk)
    try:
        body = orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError:
        raise RequestError("the request body is not valid JSON", code="BAD_REQUEST") from None
    return body


def _too_large() -> RequestError:
    return RequestError("request body too large", code="PAYLOAD_TOO_LARGE", status=413)
