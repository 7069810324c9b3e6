"""Browser safety for cookie sessions: a CSRF check and a CORS allow-list.

CSRF: a browser sends the session cookie with any request, even one a hostile page starts.
Hostile pages can only send "simple" requests (Fetch standard, CORS-safelisted request
headers) without a CORS preflight, so a cookie-authenticated request must prove it is not
one: a non-simple content type (``application/json``) or the header ``X-Tandem-CSRF: 1``
(the same rule as Apollo Server's CSRF prevention, whose own preflight headers
``Apollo-Require-Preflight``, ``X-Apollo-Operation-Name`` and ``GraphQL-Preflight`` count
too, so that upload clients built for Apollo work). ``GET`` queries need the header. A
multipart upload (a simple content type) needs one of them whatever its credentials
(:func:`check_preflight`). A download (``gateway/uploads/downloads.py``) is exempt: it
changes nothing and a cross-site page cannot read its answer.

CORS: ``CORSAllowList`` answers preflights and adds ``Access-Control-Allow-*`` headers only
for origins on the configured list, echoing the origin (never ``*``) with
``Access-Control-Allow-Credentials: true``; any other origin gets no CORS headers at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import RequestError, TandemError

__all__ = [
    "CSRF_EXEMPT",
    "CSRF_HEADER",
    "PREFLIGHT_HEADERS",
    "CORSAllowList",
    "CSRFRejected",
    "check_csrf",
    "check_preflight",
]

CSRF_HEADER: Final = "x-tandem-csrf"
PREFLIGHT_HEADERS: Final = ("apollo-require-preflight", "x-apollo-operation-name",
                            "graphql-preflight")  # fmt: skip
"""Headers no simple (preflight-free) cross-site request carries: Apollo's, any value."""
CSRF_EXEMPT: Final = "tandem.csrf_exempt"
"""An ASGI scope key: the route's requests are safe without the check (downloads)."""
_SIMPLE_TYPES: Final = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
_ALLOW_HEADERS: Final = ("authorization", "content-type", CSRF_HEADER, "accept", *PREFLIGHT_HEADERS)
_ALLOW_METHODS: Final = ("GET", "POST", "OPTIONS")


class CSRFRejected(RequestError):
    """A cookie-authenticated request that a cross-site page could have sent."""

    code = "CSRF_REJECTED"
    status = 403


def check_csrf(request: Request) -> None:
    """Refuse a cookie-authenticated request that could be cross-site (raises ``CSRFRejected``)."""
    if request.headers.get(CSRF_HEADER, "").strip() == "1" or request.scope.get(CSRF_EXEMPT):
        return
    if any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        return
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type and media_type not in _SIMPLE_TYPES:
            return
    raise CSRFRejected(
        "a request with a session cookie needs 'content-type: application/json' "
        "or the header 'X-Tandem-CSRF: 1'"
    )


def check_preflight(request: Request) -> None:
    """Refuse a request a cross-site page could send without a preflight although its
    content type is simple (a multipart upload), unless it carries a preflight header."""
    if request.headers.get(CSRF_HEADER, "").strip() == "1":
        return
    if any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        return
    raise CSRFRejected(
        "a multipart upload needs the header 'Apollo-Require-Preflight: true' "
        "(or 'X-Tandem-CSRF: 1'), so that no cross-site page can send one"
    )


class CORSAllowList:
    """Pure ASGI middleware: CORS with credentials for allow-listed origins only."""

    def __init__(self, app: ASGIApp, origins: Iterable[str], *, max_age: int = 600) -> None:
        self.app = app
        self.origins = frozenset(origins)
        for origin in self.origins:
            if origin in ("*", "null") or not origin.startswith(("https://", "http://")):
                raise TandemError(f"not an allowed CORS origin: {origin!r}")
        self.max_age = max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        if preflight:
            await self._preflight(origin, headers)(scope, receive, send)
            return
        if origin is None or origin not in self.origins:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers["access-control-allow-origin"] = origin
                response_headers["access-control-allow-credentials"] = "true"
                response_headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _preflight(self, origin: str | None, headers: Headers) -> Response:
        method = headers["access-control-request-method"].upper()
        requested = [
            h.strip().lower()
            for h in headers.get("access-control-request-headers", "").split(",")
            if h.strip()
        ]
        if (
            origin is None
            or origin not in self.origins
            or method not in _ALLOW_METHODS
            or any(h not in _ALLOW_HEADERS for h in requested)
        ):
            return Response(  # coded, as every refusal (issue 11)
                b'{"errors":[{"message":"CORS request refused",'
                b'"extensions":{"code":"FORBIDDEN"}}]}',
                403,
                headers={"vary": "Origin"},
                media_type="application/json",
            )
        return PlainTextResponse(
            "",
            204,
            headers={
                "access-control-allow-origin": origin,
                "access-control-allow-credentials": "true",
                "access-control-allow-methods": ", ".join(_ALLOW_METHODS),
                "access-control-allow-headers": ", ".join(_ALLOW_HEADERS),
                "access-control-max-age": str(self.max_age),
                "vary": "Origin",
            },
        )
