"""Subgraphs trust only the gateway: an ASGI guard that demands its signed identity token.

Every HTTP request except the public paths (``/health``) must carry
``Authorization: Bearer <token>`` with a valid gateway token (:mod:`tandem_shared.tokens`)
for this subgraph's audience and this very body (its ``bh`` claim: the body is read whole, at
most 8 MiB, before anything else happens; a ``GET``'s token is bound to its path, and a
multipart upload is spooled to disk while hashed, ``uploads.py``); ``_entities`` and
``_service`` are no exception.
Each token is admitted once per process (its ``jti`` is remembered until it expires), so a
copy replayed to the same subgraph process is refused even with its own body; another
replica of the subgraph does not share that memory, and there the token's few seconds of
life and its body bound what a replay can do. With an :class:`OperationGuard` (the coarse
policy check, :mod:`subgraphs.common.coarse_policy`), an admitted request whose operation
selects a field none of the principal's roles is granted is refused with HTTP 403 and
``FORBIDDEN`` naming the coordinates. The one
other way in is the composition credential: the static secret in the
``X-Tandem-Composition-Key`` header (compared in constant time) admits exactly the query
``{ _service { sdl } }``, so a composer can read the SDL without a user.

A WebSocket is closed (1008) unless the app serves subscriptions; then
:mod:`subgraphs.common.subscription_gate` admits it with the same checks, made on its
``connection_init`` and ``subscribe`` messages.

Refusals are HTTP 401 with a GraphQL body whose ``extensions.code`` is ``UNAUTHENTICATED``;
the reason goes to the log (never the token). An admitted request carries its
:class:`Principal` in the ASGI scope, from which the app puts it into the strawberry context
as ``info.context["principal"]`` (``None`` for the composition credential).
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Iterable
from typing import Any, Final

from graphql import FieldNode, GraphQLSyntaxError, OperationDefinitionNode, OperationType, parse
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.types import Info

from subgraphs.common.coarse_policy import OperationGuard
from subgraphs.common.errors import Forbidden, Unauthenticated, graphql_error_body
from subgraphs.common.subscription_gate import SubscriptionGate
from subgraphs.common.uploads import (
    ReplayedBody,
    UploadLimits,
    first_field,
    is_multipart,
    spool,
)
from tandem_shared.tokens import (
    DEFAULT_LEEWAY,
    InvalidToken,
    Principal,
    body_hash,
    check_body_hash,
    check_subgraph_token,
    get_binding,
    multipart_binding,
    verify_subgraph_request,
)

__all__ = [
    "COMPOSITION_HEADER",
    "MAX_BODY_BYTES",
    "PRINCIPAL_SCOPE_KEY",
    "PUBLIC_PATHS",
    "GatewayIdentityMiddleware",
    "Principal",
    "ReplayCache",
    "current_principal",
    "is_service_sdl_request",
    "principal_from_scope",
    "require_gateway_identity",
]

COMPOSITION_HEADER: Final = "x-tandem-composition-key"
PRINCIPAL_SCOPE_KEY: Final = "tandem.principal"
PUBLIC_PATHS: Final = frozenset({"/health"})
MAX_BODY_BYTES: Final = 8 * 1024 * 1024
"""The largest body a subgraph reads to check a token's body hash (HTTP 413 beyond)."""
_MAX_COMPOSITION_BODY = 4096
_UNAUTHENTICATED = Unauthenticated("A valid gateway identity token is required.")


class ReplayCache:
    """The ids of tokens admitted by this process, each kept until its token expires."""

    def __init__(self, *, max_entries: int = 500_000, leeway: int = DEFAULT_LEEWAY) -> None:
        self.max_entries = max_entries
        self.leeway = leeway
        self._expiry: dict[str, int] = {}
        self._prune_at = 1024

    def admit(self, token_id: str, expires: int, now: float | None = None) -> bool:
        """True the first time ``token_id`` is seen; False for a replay (or a full cache:
        refusing is safer than forgetting)."""
        now = time.time() if now is None else now
        if token_id in self._expiry:
            return False
        if len(self._expiry) >= self._prune_at:
            self._expiry = {t: e for t, e in self._expiry.items() if e + self.leeway >= now}
            self._prune_at = max(1024, 2 * len(self._expiry))
            if len(self._expiry) >= self.max_entries:
                return False
        self._expiry[token_id] = expires
        return True

    def __len__(self) -> int:
        return len(self._expiry)


logger = logging.getLogger("tandem.subgraphs.identity")


class GatewayIdentityMiddleware:
    """Admit a request only with a valid gateway token (or the composition credential)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        audience: str,
        public_key: str,
        composition_secret: str | None = None,
        public_paths: Iterable[str] = PUBLIC_PATHS,
        guard: OperationGuard | None = None,
        uploads: UploadLimits | None = None,
        subscriptions: bool = False,
    ) -> None:
        self.app = app
        self.uploads = uploads  # None: multipart bodies are refused
        self.audience = audience
        self.public_key = public_key
        self.guard = guard
        self.replays = ReplayCache()
        self.composition_secret = composition_secret.encode() if composition_secret else None
        self.public_paths = frozenset(public_paths)
        self.gate = (
            SubscriptionGate(
                app,
                audience=audience,
                public_key=public_key,
                replays=self.replays,
                scope_key=PRINCIPAL_SCOPE_KEY,
                guard=guard,
            )
            if subscriptions
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket" and self.gate is not None:
            await self.gate(scope, receive, send)  # graphql-transport-ws, subscription_gate.py
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["path"] in self.public_paths:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        authorization = headers.get("authorization")
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                await self._refuse(scope, receive, send, "not a bearer token")
                return
            if self.uploads is not None and is_multipart(headers.get("content-type")):
                await self._upload(scope, receive, send, token.strip(), self.uploads)
                return
            # a GET (a file download) has no body: its token is bound to its path
            get = scope["method"] == "GET"
            body = b"" if get else await _read_body(receive, MAX_BODY_BYTES)
            if body is None:
                await _too_large(scope, receive, send)
                return
            try:
                verified = verify_subgraph_request(
                    token.strip(),
                    self.public_key,
                    self.audience,
                    body=get_binding(scope["path"]) if get else body,
                )
            except InvalidToken as error:
                await self._refuse(scope, receive, send, error.reason)
                return
            if not self.replays.admit(verified.token_id, verified.expires):
                await self._refuse(scope, receive, send, "token replayed")
                return
            principal = verified.principal
            if self.guard is not None:
                refused = self.guard.refused(principal.subject, principal.roles, _query(body))
                if refused:
                    await self._forbid(scope, receive, send, principal, refused)
                    return
            scope = {**scope, PRINCIPAL_SCOPE_KEY: principal}
            await self.app(scope, _replay(body, receive), send)
            return
        offered = headers.get(COMPOSITION_HEADER)
        if offered is None:
            await self._refuse(scope, receive, send, "no token")
            return
        if self.composition_secret is None or not hmac.compare_digest(
            offered.encode(), self.composition_secret
        ):
            await self._refuse(scope, receive, send, "wrong composition credential")
            return
        body = await _read_body(receive, _MAX_COMPOSITION_BODY)
        if scope["method"] != "POST" or body is None or not is_service_sdl_request(body):
            await self._refuse(scope, receive, send, "composition credential beyond _service")
            return
        await self.app({**scope, PRINCIPAL_SCOPE_KEY: None}, _replay(body, receive), send)

    async def _upload(
        self, scope: Scope, receive: Receive, send: Send, token: str, limits: UploadLimits
    ) -> None:
        """A multipart upload (``uploads.py``): the claims checked before a byte is written,
        the body spooled while hashed and compared, the coarse check on its ``operations``,
        then the app reads it from disk; the file is removed when the app is done."""
        try:
            verified, bound = check_subgraph_token(token, self.public_key, self.audience)
        except InvalidToken as error:
            await self._refuse(scope, receive, send, error.reason)
            return
        if not self.replays.admit(verified.token_id, verified.expires):
            await self._refuse(scope, receive, send, "token replayed")
            return
        spooled = await spool(receive, limits)
        if spooled is None:
            await _too_large(scope, receive, send, limits.max_body_bytes)
            return
        try:
            try:
                check_body_hash(bound, body_hash(multipart_binding(spooled.sha256)))
            except InvalidToken as error:
                await self._refuse(scope, receive, send, error.reason)
                return
            principal = verified.principal
            if self.guard is not None:
                content_type = _headers(scope).get("content-type", "")
                operations = first_field(spooled.path, content_type, "operations") or b""
                refused = self.guard.refused(principal.subject, principal.roles, _query(operations))
                if refused:
                    await self._forbid(scope, receive, send, principal, refused)
                    return
            scope = {**scope, PRINCIPAL_SCOPE_KEY: principal}
            replayed = ReplayedBody(spooled, receive)
            try:
                await self.app(scope, replayed, send)
            finally:
                replayed.close()
        finally:
            spooled.remove()

    async def _forbid(
        self, scope: Scope, receive: Receive, send: Send, who: Principal, refused: list[str]
    ) -> None:
        logger.warning(
            "refused %s for %s (roles %s): the policy grants none of them %s",
            scope.get("path"), who.subject, ",".join(who.roles), ", ".join(refused),
        )  # fmt: skip
        error = Forbidden(
            f"The policy grants none of the caller's roles {', '.join(refused)}.",
            extensions={"coordinates": refused},
        )
        await JSONResponse(graphql_error_body(error), status_code=403)(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, reason: str) -> None:
        logger.info("refused %s %s: %s", scope.get("method"), scope.get("path"), reason)
        response = JSONResponse(
            graphql_error_body(_UNAUTHENTICATED),
            status_code=_UNAUTHENTICATED.status,
            headers={"WWW-Authenticate": 'Bearer realm="tandem-subgraph"'},
        )
        await response(scope, receive, send)


def require_gateway_identity(
    app: ASGIApp,
    audience: str,
    public_key: str,
    *,
    composition_secret: str | None = None,
    public_paths: Iterable[str] = PUBLIC_PATHS,
    guard: OperationGuard | None = None,
    uploads: UploadLimits | None = None,
    subscriptions: bool = False,
) -> ASGIApp:
    """``app`` behind :class:`GatewayIdentityMiddleware` for subgraph ``audience``;
    ``uploads``: where multipart bodies are spooled, and their limit (None: refused);
    ``subscriptions``: admit WebSockets through :mod:`subgraphs.common.subscription_gate`."""
    return GatewayIdentityMiddleware(
        app,
        audience=audience,
        public_key=public_key,
        composition_secret=composition_secret,
        public_paths=public_paths,
        guard=guard,
        uploads=uploads,
        subscriptions=subscriptions,
    )


def principal_from_scope(scope: Scope) -> Principal | None:
    """The principal the guard admitted this request for (None: composition, or unguarded)."""
    principal = scope.get(PRINCIPAL_SCOPE_KEY)
    return principal if isinstance(principal, Principal) else None


def current_principal(info: Info[Any, Any]) -> Principal:
    """The principal of the operation being resolved; ``UNAUTHENTICATED`` if there is none."""
    principal = info.context.get("principal") if isinstance(info.context, dict) else None
    if not isinstance(principal, Principal):
        raise Unauthenticated("This field needs a signed-in principal.")
    return principal


def is_service_sdl_request(body: bytes) -> bool:
    """True if a GraphQL-over-HTTP JSON body asks exactly ``{ _service { sdl } }``."""
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return False
    if set(payload) - {"query", "operationName", "variables"} or payload.get("variables"):
        return False
    try:
        document = parse(payload["query"], no_location=True)
    except GraphQLSyntaxError:
        return False
    if len(document.definitions) != 1:
        return False
    operation = document.definitions[0]
    if not isinstance(operation, OperationDefinitionNode):
        return False
    if operation.operation is not OperationType.QUERY or operation.variable_definitions:
        return False
    if operation.directives:
        return False
    service = _only_field(operation.selection_set.selections, "_service")
    if service is None or service.selection_set is None:
        return False
    sdl = _only_field(service.selection_set.selections, "sdl")
    return sdl is not None and sdl.selection_set is None


def _only_field(selections: Any, name: str) -> FieldNode | None:
    if len(selections) != 1:
        return None
    field = selections[0]
    if not isinstance(field, FieldNode) or field.name.value != name:
        return None
    if field.alias is not None or field.arguments or field.directives:
        return None
    return field


def _query(body: bytes) -> str:
    """The ``query`` of a GraphQL-over-HTTP JSON body ("" if it has none: the GraphQL layer
    then answers the request with its own error, running nothing)."""
    try:
        payload = json.loads(body)
    except ValueError:
        return ""
    query = payload.get("query") if isinstance(payload, dict) else None
    return query if isinstance(query, str) else ""


async def _too_large(
    scope: Scope, receive: Receive, send: Send, limit: int = MAX_BODY_BYTES
) -> None:
    body = {
        "errors": [
            {
                "message": f"The request body is larger than {limit} bytes.",
                "extensions": {"code": "PAYLOAD_TOO_LARGE"},
            }
        ]
    }
    await JSONResponse(body, status_code=413)(scope, receive, send)


def _headers(scope: Scope) -> dict[str, str]:
    """Request headers by lower-case name; a repeated header counts as invalid (empty)."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        headers[name] = "" if name in headers else raw_value.decode("latin-1")
    return headers


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None if it is longer than ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields ``body`` once, then defers to the real one (disconnects)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
