"""Browser login at the gateway (backend for frontend): the ``/auth/*`` routes and sessions.

::

    GET  /auth/login?return_to=/path   302 to the provider (PKCE, state, nonce)
    GET  /auth/callback                 state checked once, code exchanged, ID token checked,
                                        a new session (rotation), 303 to return_to
    GET|POST /auth/logout               session ended, 302/303 to the provider's end_session
                                        with id_token_hint
    POST /auth/backchannel-logout       form logout_token: every session of its sid or sub ends
    GET  /auth/me                       who is signed in (never a token); 401 without a session

The session cookie is ``HttpOnly; SameSite=Lax; Path=/`` and ``Secure`` unless the gateway
is configured for plain-HTTP loopback development. A pending login is also bound to the
browser that started it by a short-lived cookie scoped to the callback path, so a callback
URL sent to someone else (login CSRF) does not sign them in.

``session_principal(request)`` is what the GraphQL endpoint calls: None without a session
cookie; a ``Principal`` for a live session (after the CSRF check of ``browser_safety``);
``NotSignedIn`` (401 ``UNAUTHENTICATED``) for a cookie that names no live session.

While the session store is unreachable every route that needs it answers 503
``SERVICE_UNAVAILABLE`` with ``Retry-After`` (``gateway.shared_state``); a logout then keeps
the cookie, so that trying again really ends the session.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import ipaddress
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from tandem_shared.tokens import Principal

from ..errors import RequestError, TandemError
from .bearer import BearerAuthenticator
from .browser_safety import CSRFRejected, check_csrf
from .claims import ClaimError, ClaimMapping, parse_role_map
from .oidc import LoginError, OIDCClient, OIDCSettings, ProviderRefused, TokenRejected, TokenSet
from .sessions import (
    MemorySessionStore,
    PendingLogin,
    RedisSessionStore,
    Session,
    SessionEnded,
    SessionManager,
    SessionStore,
    new_session_id,
    valid_session_id,
)

__all__ = [
    "SSO",
    "LoginStateError",
    "NotSignedIn",
    "SSOSettings",
    "principal_of",
    "safe_return_to",
    "session_principal",
]

log = logging.getLogger("tandem.auth")

LOGIN_COOKIE: Final = "tandem_login"
_NAME: Final = re.compile(r"^[A-Za-z0-9_.@:-]{1,128}$")
_MAX_LOGOUT_BODY: Final = 64 * 1024
_NO_STORE: Final = {"cache-control": "no-store", "pragma": "no-cache"}


class NotSignedIn(RequestError):
    """No live session: never signed in, logged out, expired, or a forged cookie."""

    code = "UNAUTHENTICATED"
    status = 401


class LoginStateError(RequestError):
    """A callback whose ``state`` is missing, unknown, expired, already used, or not this
    browser's."""

    code = "LOGIN_STATE_INVALID"
    status = 401


@dataclass(frozen=True)
class SSOSettings:
    """Session and claim-mapping settings of the browser login."""

    cookie_name: str = "tandem_session"
    cookie_secure: bool = True
    session_ttl: int = 8 * 3600
    refresh_margin: float = 60.0
    login_ttl: int = 600
    claims: ClaimMapping = field(default_factory=lambda: ClaimMapping(roles=("groups",)))
    redis_url: str | None = None
    key_prefix: str = "tandem:auth:"
    revalidate_seconds: float = 0.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, redirect_uri: str) -> SSOSettings:
        """``TANDEM_SESSION_*`` and the ``TANDEM_OIDC_*`` claim mapping (see the README)."""
        env = environ
        insecure = env.get("TANDEM_SESSION_INSECURE_LOCALHOST", "").strip() in ("1", "true")
        if insecure:
            _require_loopback_http(redirect_uri, env)
        return cls(
            cookie_name=env.get("TANDEM_SESSION_COOKIE", cls.cookie_name),
            cookie_secure=not insecure,
            session_ttl=int(env.get("TANDEM_SESSION_TTL", cls.session_ttl)),
            refresh_margin=float(env.get("TANDEM_SESSION_REFRESH_MARGIN", cls.refresh_margin)),
            claims=claim_mapping(env),
            redis_url=env.get("TANDEM_SESSION_REDIS_URL") or env.get("TANDEM_REDIS_URL") or None,
            key_prefix=env.get("TANDEM_SESSION_KEY_PREFIX", cls.key_prefix),
            revalidate_seconds=float(env.get("TANDEM_SESSION_REVALIDATE_SECONDS") or 0.0),
        )


def claim_mapping(environ: Mapping[str, str]) -> ClaimMapping:
    """The browser login's claim mapping from ``TANDEM_OIDC_*_CLAIM`` and
    ``TANDEM_OIDC_ROLE_MAP`` (``group=role,other=role1+role2``)."""
    env = environ
    pairs = []
    entries = (part.strip() for part in env.get("TANDEM_OIDC_ROLE_MAP", "").split(","))
    for item in filter(None, entries):
        key, _, roles = item.partition("=")
        pairs.append((key.strip(), roles.replace("+", " ")))
    roles = env.get("TANDEM_OIDC_ROLES_CLAIM") or "groups"
    try:
        return ClaimMapping(
            subject=env.get("TANDEM_OIDC_SUBJECT_CLAIM") or "sub",
            roles=tuple(part.strip() for part in roles.split(",") if part.strip()),
            department=env.get("TANDEM_OIDC_DEPARTMENT_CLAIM") or "department",
            name=env.get("TANDEM_OIDC_NAME_CLAIM") or "name",
            role_map=parse_role_map(pairs),
        )
    except ClaimError as error:
        raise TandemError(f"OIDC claim mapping: {error}", code="INVALID_SETTINGS") from None


def _require_loopback_http(redirect_uri: str, environ: Mapping[str, str]) -> None:
    """Plain-HTTP cookies are for loopback development only: refuse anything else."""
    if environ.get("TANDEM_ENV", "development").strip().lower() == "production":
        raise TandemError("TANDEM_SESSION_INSECURE_LOCALHOST cannot be set in production")
    host = urlsplit(redirect_uri).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise TandemError("TANDEM_SESSION_INSECURE_LOCALHOST needs a loopback redirect URI")


def safe_return_to(value: str | None) -> str:
    """``value`` if it is a same-origin relative path (``/orders?x=1``), else ``/``."""
    if not value or len(value) > 2048 or not value.startswith("/"):
        return "/"
    if value.startswith(("//", "/\\")) or any(c in value for c in "\\\r\n\t\x00"):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


class SSO:
    """The browser login: routes, the session manager, and the principal of a request."""

    def __init__(
        self, oidc: OIDCClient, store: SessionStore, settings: SSOSettings | None = None
    ) -> None:
        self.oidc = oidc
        self.store = store
        self.settings = settings or SSOSettings()
        self.sessions = SessionManager(
            store,
            self._refresh,
            ttl=self.settings.session_ttl,
            refresh_margin=self.settings.refresh_margin,
            revalidate=self.settings.revalidate_seconds,
        )
        self._callback_path = urlsplit(oidc.settings.redirect_uri).path or "/"
        # told the subject of sessions ended here (None: not known), so that every replica
        # ends their running subscriptions now (gateway/subscriptions/endings.py)
        self.on_ended: Callable[[str | None], Awaitable[None]] | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> SSO | None:
        """Built from ``TANDEM_OIDC_*``/``TANDEM_SESSION_*``; None without an issuer."""
        oidc_settings = OIDCSettings.from_environ(environ)
        if oidc_settings is None:
            return None
        settings = SSOSettings.from_environ(environ, redirect_uri=oidc_settings.redirect_uri)
        store: SessionStore = (
            RedisSessionStore.from_url(settings.redis_url, prefix=settings.key_prefix)
            if settings.redis_url
            else MemorySessionStore()
        )
        return cls(OIDCClient(oidc_settings), store, settings)

    def share_caches(self, bearer: BearerAuthenticator) -> None:
        """When bearer tokens come from the login's provider, both read it through one
        metadata and key cache (``tandem serve`` does this)."""
        issuer = self.oidc.settings.issuer
        if issuer in bearer.providers:
            self.oidc.share(bearer.jwks(issuer))

    def routes(self, prefix: str = "/auth") -> list[BaseRoute]:
        """The Starlette routes; mount them on the gateway app at the root."""
        return [
            Route(f"{prefix}/login", self.login, methods=["GET"]),
            Route(self._callback_path, self.callback, methods=["GET"]),
            Route(f"{prefix}/logout", self.logout, methods=["GET", "POST"]),
            Route(f"{prefix}/backchannel-logout", self.backchannel_logout, methods=["POST"]),
            Route(f"{prefix}/me", self.me, methods=["GET"]),
        ]

    async def aclose(self) -> None:
        await self.oidc.aclose()
        await self.store.aclose()

    async def principal(self, request: Request) -> Principal | None:
        """The principal of a cookie-authenticated request; see ``session_principal``."""
        session_id = request.cookies.get(self.settings.cookie_name)
        if session_id is None:
            return None
        check_csrf(request)
        session = await self.sessions.current(session_id)
        if session is None:
            raise NotSignedIn("the session has ended or is not valid: sign in again")
        return principal_of(session)

    async def login(self, request: Request) -> Response:
        try:
            return_to = safe_return_to(request.query_params.get("return_to"))
            auth = await self.oidc.authorization_request()
            browser = request.cookies.get(LOGIN_COOKIE) or ""
            if not valid_session_id(browser):  # one binding per browser, reused across tabs
                browser = new_session_id()
            pending = PendingLogin(auth.nonce, auth.code_verifier, return_to, _digest(browser))
            await self.store.put_pending(auth.state, pending, self.settings.login_ttl)
        except TandemError as error:
            return _error(error)
        response = RedirectResponse(auth.url, status_code=302, headers=_NO_STORE)
        response.set_cookie(
            LOGIN_COOKIE,
            browser,
            max_age=self.settings.login_ttl,
            path=self._callback_path,
            secure=self.settings.cookie_secure,
            httponly=True,
            samesite="lax",
        )
        return response

    async def callback(self, request: Request) -> Response:
        pending: PendingLogin | None = None
        try:
            params = dict(request.query_params)
            state = params.get("state")
            if not state:
                raise LoginStateError("the login response has no state")
            pending = await self.store.take_pending(state)
            if pending is None:
                raise LoginStateError("unknown, expired or already used login state")
            if _digest(request.cookies.get(LOGIN_COOKIE, "")) != pending.browser:
                raise LoginStateError("this login was started by another browser")
            tokens = await self.oidc.complete_login(
                params, nonce=pending.nonce, code_verifier=pending.code_verifier
            )
            session = await self._session_of(tokens)
            session_id = await self.sessions.start(
                session, replaces=request.cookies.get(self.settings.cookie_name)
            )
        except ProviderRefused as refused:
            log.info("login refused by the provider: %s", refused.error)
            if "text/html" in request.headers.get("accept", ""):
                return _refused_page(refused, pending.return_to if pending else "/")
            return _error(refused)
        except TandemError as error:
            log.info("login refused: %s (%s)", error.code, error.message)
            return _error(error)
        log.info("login: subject %s", session.subject)
        response = RedirectResponse(pending.return_to, status_code=303, headers=_NO_STORE)
        self._set_session_cookie(response, session_id)
        response.delete_cookie(
            LOGIN_COOKIE,
            path=self._callback_path,
            secure=self.settings.cookie_secure,
            httponly=True,
            samesite="lax",
        )
        return response

    async def logout(self, request: Request) -> Response:
        if request.headers.get("sec-fetch-site") == "cross-site":
            return _error(CSRFRejected("a cross-site request cannot log out"))
        session_id = request.cookies.get(self.settings.cookie_name)
        try:
            session = await self.sessions.end(session_id) if session_id else None
        except TandemError as error:  # the store is away: the session may still be live
            return _error(error)
        if session is not None:
            await self._ended(session.subject)
        target = self.oidc.settings.post_logout_redirect_uri or "/"
        if session is not None:
            with contextlib.suppress(TandemError):  # unreachable provider: still logged out here
                target = await self.oidc.logout_url(session.id_token) or target
        status = 303 if request.method == "POST" else 302
        response = RedirectResponse(target, status_code=status, headers=_NO_STORE)
        response.delete_cookie(
            self.settings.cookie_name,
            path="/",
            secure=self.settings.cookie_secure,
            httponly=True,
            samesite="lax",
        )
        return response

    async def backchannel_logout(self, request: Request) -> Response:
        """Back-Channel Logout 1.0 §2.5, §2.8: 200 when done, 400 for a refused token."""
        try:
            media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = await _read_limited(request, _MAX_LOGOUT_BODY)
            form = dict(parse_qsl(body.decode("utf-8", "replace"), max_num_fields=20))
            token = form.get("logout_token")
            if media_type != "application/x-www-form-urlencoded" or not token:
                raise RequestError("send the form field logout_token", code="BAD_REQUEST")
            logout = await self.oidc.validate_logout_token(token, first_use=self.store.first_use)
            if logout.sid is not None:
                ended = await self.store.delete_by_sid(logout.sid)
            else:
                assert logout.sub is not None
                ended = await self.store.delete_by_subject(logout.sub)
        except TandemError as error:
            log.warning("back-channel logout refused: %s (%s)", error.code, error.message)
            return _error(error)
        log.info("back-channel logout: %d session(s) ended", ended)
        if ended:
            await self._ended(logout.sub if logout.sid is None else None)
        return Response(status_code=200, headers=_NO_STORE)

    async def _ended(self, subject: str | None) -> None:
        if self.on_ended is not None:
            try:
                await self.on_ended(subject)
            except Exception:  # the subscriptions' own periodic checks still end them
                log.exception("could not announce ended sessions")

    async def me(self, request: Request) -> Response:
        session_id = request.cookies.get(self.settings.cookie_name)
        try:
            session = await self.sessions.current(session_id) if session_id else None
            if session is None:
                raise NotSignedIn("not signed in")
        except TandemError as error:
            return _error(error)
        principal = principal_of(session)
        body = {
            "subject": principal.subject,
            "name": principal.name,
            "roles": list(principal.roles),
            "department": principal.department,
            "email": session.profile.get("email"),
            "sessionExpiresAt": int(session.expires_at),
        }
        return Response(orjson.dumps(body), media_type="application/json", headers=_NO_STORE)

    async def _session_of(self, tokens: TokenSet) -> Session:
        subject_claim = tokens.claims.get("sub")
        profile = await self._profile(tokens, subject_claim)
        subject = profile.pop("subject")
        sid = tokens.claims.get("sid")
        return Session(
            subject=subject,
            sid=sid if isinstance(sid, str) else None,
            profile=profile,
            id_token=tokens.id_token,
            access_token=tokens.access_token,
            access_expires_at=tokens.expires_at,
            refresh_token=tokens.refresh_token,
            id_claims=dict(tokens.claims),
        )

    async def _refresh(self, session: Session) -> Session:
        if session.refresh_token is None:  # re-validation without a refresh token: userinfo
            try:
                known = TokenSet(
                    session.access_token, session.access_expires_at, claims=session.id_claims
                )
                profile = await self._profile(known, session.id_claims.get("sub"))
            except (TokenRejected, LoginError) as error:
                raise SessionEnded(error.message) from None
            if profile.pop("subject") != session.subject:
                raise SessionEnded("the provider now names another subject")
            return replace(session, profile=profile)
        try:
            tokens = await self.oidc.refresh(session.refresh_token, session.id_claims)
            profile = await self._profile(tokens, session.id_claims.get("sub"))
        except (TokenRejected, LoginError) as error:
            raise SessionEnded(error.message) from None
        if profile.pop("subject") != session.subject:
            raise SessionEnded("the provider now names another subject")
        return replace(
            session,
            profile=profile,
            id_token=tokens.id_token or session.id_token,
            id_claims=dict(tokens.claims),
            access_token=tokens.access_token,
            access_expires_at=tokens.expires_at,
            refresh_token=tokens.refresh_token,
        )

    async def _profile(self, tokens: TokenSet, sub: Any) -> dict[str, Any]:
        """Claims from the ID token and userinfo through the claim mapping: the subject
        (``subject``), name, roles, department and email. ``sub`` is the ID token's (the
        userinfo answer must match it); None for a plain OAuth 2.0 provider."""
        userinfo = await self.oidc.userinfo(tokens.access_token, sub if sub else None)
        claims = {**tokens.claims, **userinfo}
        try:
            identity = self.settings.claims.identity(claims)
        except ClaimError as error:
            raise LoginError(f"the provider's claims do not fit the mapping: {error}") from None
        if identity.subject is None:
            raise LoginError(
                f"the provider's claims have no {self.settings.claims.subject} (the subject claim)"
            )
        return {
            "subject": identity.subject,
            "name": identity.name or identity.subject,
            "roles": list(identity.roles),
            "department": identity.department,
            "email": identity.email,
        }

    def _set_session_cookie(self, response: Response, session_id: str) -> None:
        response.set_cookie(
            self.settings.cookie_name,
            session_id,
            max_age=self.settings.session_ttl,
            path="/",
            secure=self.settings.cookie_secure,
            httponly=True,
            samesite="lax",
        )


async def session_principal(request: Request) -> Principal | None:
    """The principal of the request's session cookie, via ``app.state.tandem_sso``.

    None when there is no session cookie (or no SSO configured); raises ``CSRFRejected``
    (403) for a cookie request a cross-site page could send and ``NotSignedIn``
    (401) when the cookie names no live session.
    """
    sso: SSO | None = getattr(request.app.state, "tandem_sso", None)
    if sso is None:
        return None
    return await sso.principal(request)


def principal_of(session: Session) -> Principal:
    """The ``Principal`` a session acts for."""
    profile = session.profile
    department = profile.get("department")
    return Principal(
        subject=session.subject,
        name=str(profile.get("name") or session.subject),
        roles=tuple(profile.get("roles") or ()),
        department=department if isinstance(department, str) and _NAME.match(department) else None,
    )


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def _read_limited(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError("request body too large", code="PAYLOAD_TOO_LARGE", status=413)
        chunks.append(chunk)
    return b"".join(chunks)


def _refused_page(refused: ProviderRefused, return_to: str) -> Response:
    """The page a browser gets when the provider answered with an error: "cancelled" with a
    way to try again for ``access_denied``; otherwise the provider's error, named."""
    retry = html.escape("/auth/login?" + urlencode({"return_to": return_to}))
    if refused.cancelled:
        title = "Sign-in cancelled"
        text = "<p>You cancelled the sign-in at the identity provider.</p>"
    else:
        title = "Sign-in failed"
        text = f"<p>The identity provider answered <code>{html.escape(refused.error)}</code>"
        if refused.description:
            text += f": {html.escape(refused.description)}"
        text += ".</p>"
    body = (
        f"<!doctype html><html><head><meta charset=utf-8><title>{title}</title></head>"
        f"<body><h1>{title}</h1>{text}<p><a href=\"{retry}\">Sign in again</a></p></body></html>"
    )
    return Response(body, status_code=401, media_type="text/html", headers=_NO_STORE)


def _error(error: TandemError) -> Response:
    body = orjson.dumps({"errors": [error.to_graphql()]})
    headers = dict(_NO_STORE)
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, int):
        headers["retry-after"] = str(retry_after)
    return Response(body, status_code=error.status, media_type="application/json", headers=headers)
