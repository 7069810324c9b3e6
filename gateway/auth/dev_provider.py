"""A small OpenID provider for ``tandem dev`` only, built from authlib's server components.

Mounted on the gateway app under ``/dev-idp/``: discovery, JWKS, an authorization endpoint
with a login form (authorization code, PKCE S256 required, nonce required), a token endpoint
(code and rotating refresh tokens), userinfo and RP-initiated end_session. It keeps
everything in memory, signs ID tokens with an RSA key made at start-up, and knows the users it
is given (``tandem dev`` gives it one per demo role, ``gateway/demo.py``), with the passwords
that ``banner()`` prints. It refuses to exist when ``TANDEM_ENV=production``. With ``admit``
(``tandem dev`` asks the OA database whether the person is still active) a user it refuses
cannot sign in (``EMPLOYEE_DEACTIVATED`` on the login page); the subgraphs refuse such a
person's requests whatever signed them in (``subgraphs/common/standing.py``).

This module and ``oidc.py`` are the two that import authlib: this one its server side, for
development only; nothing on a production request path imports it.
"""

from __future__ import annotations

import hmac
import html
import secrets
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final
from urllib.parse import parse_qsl

import orjson
from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.oauth2 import AuthorizationServer, OAuth2Error  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped]
    ClientMixin,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
)
from authlib.oauth2.rfc6749.grants import (  # type: ignore[import-untyped]
    AuthorizationCodeGrant,
    RefreshTokenGrant,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import CodeChallenge  # type: ignore[import-untyped]
from authlib.oidc.core import (  # type: ignore[import-untyped]
    AuthorizationCodeMixin,
    UserInfo,
)
from authlib.oidc.core.grants import OpenIDCode  # type: ignore[import-untyped]
from authlib.oidc.discovery import OpenIDProviderMetadata  # type: ignore[import-untyped]
from authlib.oidc.rpinitiated import EndSessionEndpoint  # type: ignore[import-untyped]
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route

from ..errors import TandemError
from .jose import KeySet, RSAKey

__all__ = ["DemoUser", "DevProvider"]

_CODE_TTL: Final = 300
_REFRESH_TTL: Final = 8 * 3600


@dataclass(frozen=True, slots=True)
class DemoUser:
    """A demo account: ``username`` is the role's name."""

    username: str
    password: str
    subject: str
    name: str
    email: str
    roles: tuple[str, ...]
    department: str


@dataclass
class _Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]

    @property
    def client_metadata(self) -> dict[str, Any]:
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        allowed = {"openid", "profile", "email", "offline_access"}
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret.encode(), self.client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


@dataclass
class _Code(AuthorizationCodeMixin):  # type: ignore[misc]
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: DemoUser
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    sid: str
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


@dataclass
class _Token(TokenMixin):  # type: ignore[misc]
    client: _Client
    user: DemoUser
    scope: str
    sid: str
    expires_in: int
    issued_at: float = field(default_factory=time.time)
    revoked: bool = False

    def check_client(self, client: _Client) -> bool:
        return client.client_id == self.client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() >= self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> DemoUser:
        return self.user

    def get_client(self) -> _Client:
        return self.client


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._data = dict(reversed(pairs))  # the first value of a repeated name wins
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in pairs:
            self._datalist[name].append(value)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class _Request(OAuth2Request):  # type: ignore[misc]
    """An authlib request from a Starlette request whose body was already read."""

    def __init__(self, request: Request, form: list[tuple[str, str]]) -> None:
        super().__init__(request.method, str(request.url), headers=request.headers)
        self._args = dict(request.query_params)
        self._form = dict(form)
        self.payload = _Payload([*request.query_params.multi_items(), *form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class DevProvider:
    """The development OpenID provider; ``routes()`` mounts it under ``/dev-idp``."""

    def __init__(
        self,
        issuer: str,
        *,
        redirect_uris: tuple[str, ...],
        post_logout_redirect_uris: tuple[str, ...] = (),
        client_id: str = "tandem-gateway",
        client_secret: str | None = None,
        users: tuple[DemoUser, ...],
        access_token_ttl: int = 300,
        environ: Mapping[str, str],
        admit: Callable[[DemoUser], Awaitable[bool]] | None = None,
    ) -> None:
        env = environ
        if env.get("TANDEM_ENV", "development").strip().lower() == "production":
            raise TandemError("the development identity provider cannot run in production")
        self.issuer = issuer.rstrip("/")
        secret = client_secret or secrets.token_urlsafe(24)
        self.client = _Client(client_id, secret, redirect_uris, post_logout_redirect_uris)
        self.users = {u.username: u for u in users}
        self.access_token_ttl = access_token_ttl
        self.admit = admit
        self.key = RSAKey.generate_key(2048, {"use": "sig", "alg": "RS256"}, auto_kid=True)
        self.codes: dict[str, _Code] = {}
        self.tokens: dict[str, _Token] = {}
        self.server = self._build_server()
        self.metadata = self._metadata()

    @classmethod
    def for_gateway(cls, base_url: str, **options: Any) -> DevProvider:
        """A provider at ``<base_url>/dev-idp`` for the gateway served at ``base_url``."""
        base = base_url.rstrip("/")
        return cls(
            f"{base}/dev-idp",
            redirect_uris=(f"{base}/auth/callback",),
            post_logout_redirect_uris=(f"{base}/",),
            **options,
        )

    def sso_settings(self) -> dict[str, str]:
        """The gateway settings that point its login at this provider."""
        return {
            "oidc_issuer": self.issuer,
            "oidc_client_id": self.client.client_id,
            "oidc_client_secret": self.client.client_secret,
            "oidc_redirect_uri": self.client.redirect_uris[0],
            "oidc_post_logout_redirect_uri": next(
                iter(self.client.post_logout_redirect_uris), ""
            ),
        }

    def sso_environ(self) -> dict[str, str]:
        """The same as ``TANDEM_*`` variables, for components built from a mapping."""
        environ = {f"TANDEM_{name.upper()}": value for name, value in self.sso_settings().items()}
        if self.issuer.startswith("http:"):
            environ["TANDEM_SESSION_INSECURE_LOCALHOST"] = "1"
        return environ

    def banner(self) -> str:
        """The demo accounts, for printing at start-up."""
        lines = [f"  Development sign-in ({self.issuer}), demo users:"]
        for user in self.users.values():
            lines.append(
                f"    {user.username:<15} password {user.password:<14} "
                f"roles {','.join(user.roles)}  department {user.department}"
            )
        return "\n".join(lines)

    def routes(self, path: str = "/dev-idp") -> Mount:
        return Mount(
            path,
            routes=[
                Route("/.well-known/openid-configuration", self._discovery, methods=["GET"]),
                Route("/jwks", self._jwks, methods=["GET"]),
                Route("/authorize", self._authorize, methods=["GET", "POST"]),
                Route("/token", self._token, methods=["POST"]),
                Route("/userinfo", self._userinfo, methods=["GET", "POST"]),
                Route("/end_session", self._end_session, methods=["GET", "POST"]),
            ],
        )

    async def _discovery(self, request: Request) -> Response:
        return _json(dict(self.metadata))

    async def _jwks(self, request: Request) -> Response:
        return _json(KeySet([self.key]).as_dict(private=False))

    async def _authorize(self, request: Request) -> Response:
        form = await _form(request)
        oauth_request = _Request(request, form)
        try:
            grant = self.server.get_consent_grant(oauth_request)
        except OAuth2Error as error:
            return _page("Sign-in refused", f"<p>{html.escape(error.error)}</p>", 400)
        if request.method == "GET":
            return self._login_form(oauth_request.payload.data, None)
        fields = dict(form)
        user = self.users.get(fields.get("username", ""))
        password = fields.get("password", "").encode()
        if user is None or not hmac.compare_digest(password, user.password.encode()):
            return self._login_form(oauth_request.payload.data, "Wrong user name or password.")
        if self.admit is not None and not await self.admit(user):
            return self._login_form(
                oauth_request.payload.data,
                "This employee has been deactivated and cannot sign in (EMPLOYEE_DEACTIVATED).",
            )
        response: Response = self.server.create_authorization_response(
            oauth_request, grant_user=user, grant=grant
        )
        return response

    async def _token(self, request: Request) -> Response:
        response: Response = self.server.create_token_response(
            _Request(request, await _form(request))
        )
        return response

    async def _userinfo(self, request: Request) -> Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        token = self.tokens.get(value) if scheme.lower() == "bearer" else None
        if token is None or token.is_expired() or token.is_revoked() or "openid" not in token.scope:
            challenge = {"www-authenticate": 'Bearer error="invalid_token"'}
            return Response(status_code=401, headers=challenge)
        return _json(_claims(token.user))

    async def _end_session(self, request: Request) -> Response:
        oauth_request = _Request(request, await _form(request))
        response: Response | None = self.server.create_endpoint_response(
            "end_session", oauth_request
        )
        return response or _page("Signed out", "<p>You are signed out.</p>", 200)

    def _login_form(self, params: Mapping[str, str], error: str | None) -> Response:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
            if k not in ("username", "password")
        )
        message = f'<p class="error">{html.escape(error)}</p>' if error else ""
        body = (
            f'{message}<form method="post" action="{html.escape(self.issuer)}/authorize">'
            f'{hidden}<label>User <input name="username" autocomplete="username"></label> '
            '<label>Password <input name="password" type="password"></label> '
            '<button type="submit">Sign in</button></form>'
        )
        return _page("Tandem development sign-in", body, 401 if error else 200)

    def _metadata(self) -> OpenIDProviderMetadata:
        metadata = OpenIDProviderMetadata(
            issuer=self.issuer,
            authorization_endpoint=f"{self.issuer}/authorize",
            token_endpoint=f"{self.issuer}/token",
            userinfo_endpoint=f"{self.issuer}/userinfo",
            jwks_uri=f"{self.issuer}/jwks",
            end_session_endpoint=f"{self.issuer}/end_session",
            scopes_supported=["openid", "profile", "email", "offline_access"],
            response_types_supported=["code"],
            grant_types_supported=["authorization_code", "refresh_token"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
            code_challenge_methods_supported=["S256"],
            claims_supported=["sub", "name", "email", "groups", "department", "sid"],
        )
        metadata.validate()
        return metadata

    def _build_server(self) -> AuthorizationServer:
        provider = self

        class Server(AuthorizationServer):  # type: ignore[misc]
            def query_client(self, client_id: str) -> _Client | None:
                return provider.client if client_id == provider.client.client_id else None

            def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
                if len(provider.tokens) > 10_000:  # a long-running `tandem dev`: forget the dead
                    live = {k: t for k, t in provider.tokens.items() if not t.is_expired()}
                    provider.tokens = live
                previous = request.refresh_token or request.authorization_code
                sid = previous.sid if previous is not None else generate_token(24)
                client, user, scope = request.client, request.user, token["scope"]
                access = _Token(client, user, scope, sid, token["expires_in"])
                provider.tokens[token["access_token"]] = access
                if "refresh_token" in token:
                    refresh = _Token(client, user, scope, sid, _REFRESH_TTL)
                    provider.tokens[token["refresh_token"]] = refresh

            def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
                return request

            def handle_response(self, status: int, body: Any, headers: Any) -> Response:
                content = orjson.dumps(body) if isinstance(body, dict) else (body or b"")
                return Response(content, status_code=status, headers=dict(headers))

            def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
                return None

        class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
            def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
                data = request.payload.data
                provider.codes[code] = _Code(
                    code=code,
                    client_id=request.client.client_id,
                    redirect_uri=request.payload.redirect_uri,
                    scope=request.payload.scope,
                    user=request.user,
                    nonce=data.get("nonce"),
                    code_challenge=data["code_challenge"],
                    code_challenge_method=data.get("code_challenge_method", "plain"),
                    sid=generate_token(24),
                )

            def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
                found = provider.codes.get(code)
                if found is None or found.client_id != client.client_id:
                    return None
                if time.time() > found.auth_time + _CODE_TTL:
                    return None
                return found

            def delete_authorization_code(self, authorization_code: _Code) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: _Code) -> DemoUser:
                return authorization_code.user

        class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
            INCLUDE_NEW_REFRESH_TOKEN = True

            def authenticate_refresh_token(self, refresh_token: str) -> _Token | None:
                token = provider.tokens.get(refresh_token)
                if token is None or token.is_revoked() or token.is_expired():
                    return None
                return token

            def authenticate_user(self, refresh_token: _Token) -> DemoUser:
                return refresh_token.user

            def revoke_old_credential(self, refresh_token: _Token) -> None:
                refresh_token.revoked = True

        class PKCE(CodeChallenge):  # type: ignore[misc]
            SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

            def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
                data = grant.request.payload.data
                if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
                    from authlib.oauth2.rfc6749 import InvalidRequestError

                    raise InvalidRequestError("PKCE with S256 is required")
                super().validate_code_challenge(grant, redirect_uri)

        class IDToken(OpenIDCode):  # type: ignore[misc]
            def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client: _Client) -> RSAKey:
                return provider.key

            def get_client_claims(self, client: _Client) -> dict[str, Any]:
                return {"iss": provider.issuer, "aud": [client.client_id]}

            def get_encode_header(self, client: _Client) -> dict[str, str]:
                return {"alg": "RS256", "kid": provider.key.kid or ""}

            def get_authorization_code_claims(self, authorization_code: _Code) -> dict[str, Any]:
                claims: dict[str, Any] = super().get_authorization_code_claims(authorization_code)
                claims["sid"] = authorization_code.sid
                return claims

            def generate_user_info(self, user: DemoUser, scope: str) -> UserInfo:
                return UserInfo(_claims(user))

        class EndSession(EndSessionEndpoint):  # type: ignore[misc]
            def get_server_jwks(self) -> KeySet:
                return KeySet([provider.key])

            def end_session(self, end_session_request: Any) -> None:
                sid = (end_session_request.id_token_claims or {}).get("sid")
                for token in provider.tokens.values():
                    if sid is not None and token.sid == sid:
                        token.revoked = True

        server = Server(scopes_supported=["openid", "profile", "email", "offline_access"])
        server.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_: generate_token(42),
                refresh_token_generator=lambda **_: generate_token(48),
                expires_generator=lambda client, grant_type: provider.access_token_ttl,
            ),
        )
        server.register_grant(CodeGrant, [PKCE(required=True), IDToken(require_nonce=True)])
        server.register_grant(RefreshGrant)
        server.register_endpoint(EndSession)
        return server


def _claims(user: DemoUser) -> dict[str, Any]:
    return {
        "sub": user.subject,
        "name": user.name,
        "preferred_username": user.username,
        "email": user.email,
        "groups": list(user.roles),
        "department": user.department,
    }


async def _form(request: Request) -> list[tuple[str, str]]:
    if request.method != "POST":
        return []
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        return []
    body = await request.body()
    return parse_qsl(body.decode("utf-8", "replace"), max_num_fields=50)


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def _page(title: str, body: str, status: int) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
        headers={"cache-control": "no-store"},
    )
