"""OpenID Connect relying party: discovery, PKCE login, code exchange, ID and logout tokens.

Authlib's spec-level pieces (PKCE, random values, URL building, the ID-token claim rules);
JOSE through :mod:`gateway.auth.jose`, metadata and keys through the gateway's one cache
(:class:`gateway.auth.jwks.JwksCache`). HTTP is plain ``httpx`` calls made here, not
authlib's httpx client (deprecated in 1.9).

``protocol = "oauth2"`` serves providers that are not OpenID providers (no ID token;
identity from a userinfo endpoint, as many directories and chat platforms offer): the
endpoints come from the settings or RFC 8414 metadata, no ``nonce`` is sent, no ID token
is expected, and who the user is comes from the userinfo answer alone.

Scopes (Core 1.0 §5.4, §11): ``openid profile email`` unless configured; ``offline_access``
is added only when the provider lists it in ``scopes_supported`` (a provider that does not
offer it answers ``invalid_scope``).

The authorization response is read in this order: an ``iss`` naming another issuer is
refused (RFC 9207); then a provider ``error`` is reported as what it is (``access_denied``:
the user cancelled); only then is a missing ``iss`` refused where the provider promised it.

Specs followed, by section:

- Discovery 1.0 §4.3: the discovered ``issuer`` must equal the configured one exactly.
- RFC 7636: PKCE with ``S256`` only; Core 1.0 §3.1.2.1: ``state`` and ``nonce`` each login.
- RFC 9207: an ``iss`` in the authorization response must be the issuer; it is required
  when the provider advertises ``authorization_response_iss_parameter_supported``.
- Core 1.0 §3.1.3.7: ID token signature against the JWKS (asymmetric algorithms the
  provider advertises, never ``none`` or HMAC), ``iss``, ``aud`` holds the client id,
  ``azp``, ``exp``, ``iat``, ``nonce``, ``at_hash``; an unknown ``kid`` re-fetches the
  JWKS once (rate-limited), so key rotation needs no restart.
- Core 1.0 §12.2: a refreshed ID token keeps ``iss``, ``sub`` and ``aud``; §5.3.2: the
  userinfo ``sub`` must be the ID token's.
- RP-Initiated Logout 1.0 §2: the end-session URL carries ``id_token_hint``.
- Back-Channel Logout 1.0 §2.4, §2.6: the logout token's signature, ``iss``, ``aud``,
  ``iat``, the ``events`` member, ``sid`` or ``sub``, no ``nonce``, and a ``jti`` used once.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final
from urllib.parse import quote

import httpx
from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.common.urls import add_params_to_uri  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]
from authlib.oidc.core import CodeIDToken  # type: ignore[import-untyped]

from ..errors import RequestError, TandemError
from . import jose
from .jwks import JwksCache, ProviderUnavailable, Source

__all__ = [
    "BACKCHANNEL_LOGOUT_EVENT",
    "AuthorizationRequest",
    "LoginError",
    "LogoutToken",
    "LogoutTokenError",
    "OIDCClient",
    "OIDCSettings",
    "ProviderError",
    "ProviderMetadata",
    "ProviderRefused",
    "TokenRejected",
    "TokenSet",
]

BACKCHANNEL_LOGOUT_EVENT: Final = "http://schemas.openid.net/event/backchannel-logout"
_AUTH_METHODS: Final = ("client_secret_basic", "client_secret_post", "none")
DEFAULT_SCOPES: Final = ("openid", "profile", "email")
"""Asked for when ``scopes`` are not configured (plus ``offline_access`` if offered)."""
PROTOCOLS: Final = ("oidc", "oauth2")


class LoginError(RequestError):
    """The login cannot complete: an error from the provider, or a response that fails checks."""

    code = "LOGIN_FAILED"
    status = 401


class ProviderRefused(LoginError):
    """The provider answered the authorization request with an error (RFC 6749 §4.1.2.1).

    ``error`` is the provider's code (``access_denied`` when the user cancelled),
    ``description`` its text, both reduced to printable characters.
    """

    def __init__(self, error: str, description: str | None) -> None:
        self.error = error if error.replace("_", "").isalnum() and len(error) < 64 else "error"
        self.description = description
        text = f"the identity provider refused the login: {self.error}"
        super().__init__(text + (f" ({description})" if description else ""))

    @property
    def cancelled(self) -> bool:
        """True when the user declined (pressed Cancel) at the provider."""
        return self.error == "access_denied"


class LogoutTokenError(RequestError):
    """A back-channel logout token is refused (Back-Channel Logout 1.0 §2.8: status 400)."""

    code = "LOGOUT_TOKEN_INVALID"
    status = 400


class ProviderError(TandemError):
    """The OpenID provider could not be reached or answered nonsense."""

    code = "IDP_UNAVAILABLE"
    status = 502


class TokenRejected(TandemError):
    """The provider refused a grant (``invalid_grant`` and the like): the session is over."""

    code = "UNAUTHENTICATED"
    status = 401


@dataclass(frozen=True, slots=True)
class OIDCSettings:
    """How the gateway is registered with its OpenID provider."""

    issuer: str
    client_id: str
    redirect_uri: str
    client_secret: str | None = None
    scopes: tuple[str, ...] | None = None
    auth_method: str = "client_secret_basic"
    post_logout_redirect_uri: str | None = None
    leeway: int = 60
    timeout: float = 10.0
    extra_params: tuple[tuple[str, str], ...] = ()
    protocol: str = "oidc"
    discovery_url: str = ""
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None

    def __post_init__(self) -> None:
        if self.auth_method not in _AUTH_METHODS:
            raise TandemError(f"unsupported client authentication {self.auth_method!r}")
        if self.auth_method != "none" and not self.client_secret:
            raise TandemError("an OIDC client secret is required for " + self.auth_method)
        if self.protocol not in PROTOCOLS:
            raise TandemError(f"oidc_protocol must be one of {', '.join(PROTOCOLS)}")
        if self.protocol == "oidc" and self.scopes is not None and "openid" not in self.scopes:
            raise TandemError("the OIDC scopes must include 'openid'")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> OIDCSettings | None:
        """``TANDEM_OIDC_*`` settings, or None when ``TANDEM_OIDC_ISSUER`` is not set."""
        env = environ
        issuer = env.get("TANDEM_OIDC_ISSUER", "").strip()
        if not issuer:
            return None
        try:
            client_id = env["TANDEM_OIDC_CLIENT_ID"]
            redirect_uri = env["TANDEM_OIDC_REDIRECT_URI"]
        except KeyError as missing:
            raise TandemError(f"{missing.args[0]} is required with TANDEM_OIDC_ISSUER") from None
        scopes = env.get("TANDEM_OIDC_SCOPES")
        return cls(
            issuer=issuer,
            client_id=client_id,
            redirect_uri=redirect_uri,
            client_secret=env.get("TANDEM_OIDC_CLIENT_SECRET") or None,
            scopes=tuple(scopes.split()) if scopes else None,
            auth_method=env.get("TANDEM_OIDC_AUTH_METHOD", "client_secret_basic"),
            post_logout_redirect_uri=env.get("TANDEM_OIDC_POST_LOGOUT_REDIRECT_URI") or None,
            protocol=env.get("TANDEM_OIDC_PROTOCOL", "oidc") or "oidc",
            discovery_url=env.get("TANDEM_OIDC_DISCOVERY_URL", ""),
            authorization_endpoint=env.get("TANDEM_OIDC_AUTHORIZATION_ENDPOINT") or None,
            token_endpoint=env.get("TANDEM_OIDC_TOKEN_ENDPOINT") or None,
            userinfo_endpoint=env.get("TANDEM_OIDC_USERINFO_ENDPOINT") or None,
        )

    @property
    def oauth2(self) -> bool:
        """True for a plain OAuth 2.0 provider: no ID token, identity from userinfo."""
        return self.protocol == "oauth2"


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    """The parts of the provider's discovery document the gateway uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str | None = None
    userinfo_endpoint: str | None = None
    end_session_endpoint: str | None = None
    id_token_algorithms: tuple[str, ...] = ("RS256",)
    iss_parameter_supported: bool = False
    scopes_supported: tuple[str, ...] = ()

    @classmethod
    def from_document(
        cls, document: Any, expected_issuer: str, settings: OIDCSettings | None = None
    ) -> ProviderMetadata:
        """Read a discovery document (or RFC 8414 metadata), refusing one for another
        issuer (Discovery 1.0 §4.3); endpoints in ``settings`` take precedence."""
        if not isinstance(document, dict):
            raise ProviderError("the provider's discovery document is not a JSON object")
        if document.get("issuer") != expected_issuer:
            raise ProviderError("the provider's discovery document names another issuer")
        oauth2 = settings is not None and settings.oauth2
        given = {
            "authorization_endpoint": settings.authorization_endpoint if settings else None,
            "token_endpoint": settings.token_endpoint if settings else None,
            "userinfo_endpoint": settings.userinfo_endpoint if settings else None,
        }
        names = ("authorization_endpoint", "token_endpoint", *(() if oauth2 else ("jwks_uri",)))
        try:
            required = {name: _url(given.get(name) or document[name]) for name in names}
        except (KeyError, TypeError):
            raise ProviderError("the provider's discovery document lacks an endpoint") from None
        offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = tuple(a for a in offered if a in jose.ASYMMETRIC_ALGORITHMS)
        if not algorithms and not oauth2:
            raise ProviderError("the provider signs ID tokens with no acceptable algorithm")
        userinfo = given["userinfo_endpoint"] or document.get("userinfo_endpoint")
        if oauth2 and userinfo is None:
            raise ProviderError("an OAuth 2.0 provider needs a userinfo endpoint")
        scopes = document.get("scopes_supported")
        return cls(
            issuer=expected_issuer,
            userinfo_endpoint=_optional_url(userinfo),
            end_session_endpoint=_optional_url(document.get("end_session_endpoint")),
            id_token_algorithms=algorithms,
            iss_parameter_supported=(
                document.get("authorization_response_iss_parameter_supported") is True
            ),
            scopes_supported=tuple(s for s in scopes if isinstance(s, str))
            if isinstance(scopes, list)
            else (),
            **required,
        )

    def scopes_for(self, settings: OIDCSettings) -> tuple[str, ...]:
        """The scopes to ask for: configured ones, else the defaults plus ``offline_access``
        when the provider lists it (never a scope it would refuse by default)."""
        if settings.scopes is not None:
            return settings.scopes
        if settings.oauth2:
            return ()
        offline = ("offline_access",) if "offline_access" in self.scopes_supported else ()
        return (*DEFAULT_SCOPES, *offline)


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """One login's authorization URL and the secrets to remember until its callback."""

    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True, slots=True)
class TokenSet:
    """A token response after validation; ``claims`` are the ID token's, when one came."""

    access_token: str
    expires_at: float
    refresh_token: str | None = None
    id_token: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LogoutToken:
    """A validated back-channel logout token: end the sessions of ``sid``, else of ``sub``."""

    issuer: str
    sid: str | None
    sub: str | None
    jti: str


class OIDCClient:
    """Talks to one OpenID provider for the gateway's browser login."""

    def __init__(
        self,
        settings: OIDCSettings,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=settings.timeout)
        self._clock = clock
        self._metadata: ProviderMetadata | None = None
        self.provider = JwksCache(
            Source(
                settings.issuer, discovery_url=settings.discovery_url, timeout=settings.timeout
            ),
            self._http,
        )
        """The provider's metadata and keys: the gateway's one discovery and JWKS cache."""

    def share(self, cache: JwksCache) -> None:
        """Read the provider through ``cache`` (the bearer tokens' cache of the same issuer),
        so the gateway keeps one copy of its metadata and keys."""
        if cache.provider.issuer != self.settings.issuer:
            raise ValueError("a key cache of another issuer")
        self.provider = cache
        self._metadata = None

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def metadata(self) -> ProviderMetadata:
        """The provider's metadata, fetched once (OpenID Connect Discovery 1.0)."""
        if self._metadata is None:
            try:
                document = await self.provider.metadata()
            except ProviderUnavailable:
                raise ProviderError("the identity provider could not be reached") from None
            self._metadata = ProviderMetadata.from_document(
                dict(document), self.settings.issuer, self.settings
            )
        return self._metadata

    async def authorization_request(self, **extra: str) -> AuthorizationRequest:
        """A fresh authorization URL with PKCE (S256), ``state`` and ``nonce``."""
        metadata = await self.metadata()
        state, nonce, verifier = generate_token(43), generate_token(43), generate_token(64)
        params = {
            **dict(self.settings.extra_params),  # e.g. prompt, acr_values: never the ones below
            **extra,
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": self.settings.redirect_uri,
            "state": state,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        scopes = metadata.scopes_for(self.settings)
        if scopes:
            params["scope"] = " ".join(scopes)
        if not self.settings.oauth2:
            params["nonce"] = nonce
        url = add_params_to_uri(metadata.authorization_endpoint, params)
        return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)

    async def complete_login(
        self, params: Mapping[str, str], *, nonce: str, code_verifier: str
    ) -> TokenSet:
        """Check the authorization response (``state`` already matched), exchange the code."""
        metadata = await self.metadata()
        issuer = params.get("iss")
        if issuer is not None and issuer != metadata.issuer:
            raise LoginError("the authorization response names another issuer")
        if "error" in params:
            raise ProviderRefused(
                _printable(params["error"], 64) or "error",
                _printable(params.get("error_description") or "", 300) or None,
            )
        if issuer is None and metadata.iss_parameter_supported:
            raise LoginError("the authorization response lacks the issuer (RFC 9207)")
        code = params.get("code")
        if not code:
            raise LoginError("the authorization response has no code")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "code_verifier": code_verifier,
        }
        response = await self._token_request(form, refused=LoginError)
        if not self.settings.oauth2 and not isinstance(response.get("id_token"), str):
            raise LoginError("the token response has no ID token")
        return await self._token_set(response, nonce=nonce, previous=None)

    async def refresh(self, refresh_token: str, previous_claims: Mapping[str, Any]) -> TokenSet:
        """The refresh-token grant (RFC 6749 §6); a new ID token must match the old (§12.2)."""
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        response = await self._token_request(form, refused=TokenRejected)
        tokens = await self._token_set(response, nonce=None, previous=previous_claims)
        if tokens.refresh_token is None:  # the provider does not rotate: keep the old one
            tokens = replace(tokens, refresh_token=refresh_token)
        return tokens

    async def userinfo(self, access_token: str, subject: str | None) -> dict[str, Any]:
        """The userinfo claims (Core 1.0 §5.3), or {} when the provider has no such endpoint.

        ``subject`` is the ID token's ``sub`` the answer must name; None for a plain OAuth 2.0
        provider, whose answer is the identity.
        """
        metadata = await self.metadata()
        if metadata.userinfo_endpoint is None:
            return {}
        try:
            response = await self._http.get(
                metadata.userinfo_endpoint,
                headers={"authorization": f"Bearer {access_token}", "accept": "application/json"},
            )
        except httpx.HTTPError:
            raise ProviderError("the identity provider could not be reached") from None
        if response.status_code == 401:
            raise TokenRejected("the identity provider refused the access token")
        claims = _json_object(response)
        if subject is not None and claims.get("sub") != subject:
            raise TokenRejected("the userinfo response is for another subject")
        return claims

    async def validate_id_token(
        self, id_token: str, *, nonce: str | None, access_token: str | None = None
    ) -> dict[str, Any]:
        """The ID token's claims after every check of Core 1.0 §3.1.3.7."""
        metadata = await self.metadata()
        token = await self._decode(id_token, metadata.id_token_algorithms)
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": metadata.issuer},
            "aud": {"essential": True, "value": self.settings.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
        }
        if nonce is not None:
            options["nonce"] = {"essential": True, "value": nonce}
        params = {"nonce": nonce, "client_id": self.settings.client_id}
        if access_token is not None:
            params["access_token"] = access_token
        claims = CodeIDToken(token.claims, token.header, options, params)
        try:
            claims.validate(now=int(self._clock()), leeway=self.settings.leeway)
        except jose.JoseError as error:
            raise LoginError(f"the ID token is not valid ({error.error})") from None
        audience = token.claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and "azp" not in token.claims:
            raise LoginError("the ID token has several audiences and no azp")
        return dict(token.claims)

    async def logout_url(self, id_token_hint: str | None, state: str | None = None) -> str | None:
        """The RP-initiated logout URL (RP-Initiated Logout 1.0 §2), or None without one."""
        metadata = await self.metadata()
        if metadata.end_session_endpoint is None:
            return None
        params = {"client_id": self.settings.client_id}
        if id_token_hint:
            params["id_token_hint"] = id_token_hint
        if self.settings.post_logout_redirect_uri:
            params["post_logout_redirect_uri"] = self.settings.post_logout_redirect_uri
            if state:
                params["state"] = state
        url: str = add_params_to_uri(metadata.end_session_endpoint, params)
        return url

    async def validate_logout_token(
        self, logout_token: str, *, first_use: Callable[[str, int], Awaitable[bool]]
    ) -> LogoutToken:
        """Validate a back-channel logout token (Back-Channel Logout 1.0 §2.6).

        ``first_use(key, ttl)`` records ``jti`` and answers False when it was seen before.
        """
        metadata = await self.metadata()
        try:
            token = await self._decode(logout_token, metadata.id_token_algorithms)
        except LoginError as error:
            raise LogoutTokenError(error.message.replace("ID token", "logout token")) from None
        if token.header.get("typ") not in (None, "logout+jwt", "JWT"):
            raise LogoutTokenError("the logout token has an unexpected type")
        registry = jose.JWTClaimsRegistry(
            now=int(self._clock()),
            leeway=self.settings.leeway,
            iss={"essential": True, "value": metadata.issuer},
            aud={"essential": True, "value": self.settings.client_id},
            iat={"essential": True},
            jti={"essential": True},
        )
        claims = token.claims
        try:
            registry.validate(claims)
        except jose.JoseError as error:
            raise LogoutTokenError(f"the logout token is not valid ({error.error})") from None
        events = claims.get("events")
        if not isinstance(events, dict) or not isinstance(
            events.get(BACKCHANNEL_LOGOUT_EVENT), dict
        ):
            raise LogoutTokenError("the logout token lacks the back-channel logout event")
        if "nonce" in claims:
            raise LogoutTokenError("a logout token must not contain a nonce")
        sid, sub = claims.get("sid"), claims.get("sub")
        if not isinstance(sid, str) and not isinstance(sub, str):
            raise LogoutTokenError("the logout token names neither sid nor sub")
        iat = claims["iat"]
        if iat < self._clock() - 600 - self.settings.leeway:
            raise LogoutTokenError("the logout token is too old")
        jti_ttl = 600 + 2 * self.settings.leeway
        if not await first_use(f"{metadata.issuer} {claims['jti']}", jti_ttl):
            raise LogoutTokenError("the logout token was already used")
        return LogoutToken(
            issuer=metadata.issuer,
            sid=sid if isinstance(sid, str) else None,
            sub=sub if isinstance(sub, str) else None,
            jti=claims["jti"],
        )

    async def _token_set(
        self,
        response: dict[str, Any],
        *,
        nonce: str | None,
        previous: Mapping[str, Any] | None,
    ) -> TokenSet:
        access_token = response.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise ProviderError("the token response has no access token")
        if str(response.get("token_type", "")).lower() != "bearer":
            raise ProviderError("the token response is not a bearer token")
        expires_in = response.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 300.0
        refresh_token = response.get("refresh_token")
        id_token = response.get("id_token")
        claims: dict[str, Any] = dict(previous or {})
        if isinstance(id_token, str):
            fresh = await self.validate_id_token(id_token, nonce=nonce, access_token=access_token)
            if previous is not None and any(
                fresh.get(name) != previous.get(name) for name in ("iss", "sub", "aud")
            ):
                raise TokenRejected("the refreshed ID token is for another subject")
            claims = fresh
        return TokenSet(
            access_token=access_token,
            expires_at=self._clock() + lifetime,
            refresh_token=refresh_token if isinstance(refresh_token, str) else None,
            id_token=id_token if isinstance(id_token, str) else None,
            claims=claims,
        )

    async def _token_request(
        self, form: dict[str, str], *, refused: type[TandemError]
    ) -> dict[str, Any]:
        metadata = await self.metadata()
        headers = {"accept": "application/json"}
        secret = self.settings.client_secret or ""
        if self.settings.auth_method == "client_secret_basic":
            pair = f"{quote(self.settings.client_id, safe='')}:{quote(secret, safe='')}"
            headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            form = {**form, "client_id": self.settings.client_id}
            if self.settings.auth_method == "client_secret_post":
                form["client_secret"] = secret
        try:
            response = await self._http.post(metadata.token_endpoint, data=form, headers=headers)
        except httpx.HTTPError:
            raise ProviderError("the identity provider could not be reached") from None
        if 400 <= response.status_code < 500:
            error = _json_object(response, strict=False).get("error")
            code = error if isinstance(error, str) and error.isidentifier() else "refused"
            raise refused(f"the identity provider refused the grant: {code}")
        return _json_object(response)

    async def _decode(self, value: str, algorithms: tuple[str, ...]) -> jose.Token:
        """A token signed by the provider: its key from the one JWKS cache (an unknown
        ``kid`` re-fetches the key set once, rate-limited), one allowed algorithm."""
        parts = jose.peek(value)
        if parts is None:
            raise LoginError("the ID token is malformed")
        algorithm, kid = parts[0].get("alg"), parts[0].get("kid")
        if algorithm not in algorithms or not isinstance(kid, str | None):
            raise LoginError("the ID token is not valid (unsupported algorithm or key id)")
        try:
            key = await self.provider.key(kid, algorithm)
        except ProviderUnavailable:
            raise ProviderError("the provider's JWKS cannot be read") from None
        if key is None:
            raise LoginError("the ID token is not valid (unknown signing key)")
        try:
            return jose.verify(value, key, [algorithm])
        except jose.JoseError as error:
            raise LoginError(f"the ID token is not valid ({error.error})") from None
        except ValueError:
            raise LoginError("the ID token is malformed") from None


def _printable(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, printable ASCII only (it goes into a page)."""
    return "".join(c for c in text[:limit] if " " <= c <= "~")


def _json_object(response: httpx.Response, *, strict: bool = True) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and (response.status_code < 400 or not strict):
        return body
    if strict:
        raise ProviderError(f"the identity provider answered {response.status_code}")
    return {}


def _url(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise TypeError(value)
    return value


def _optional_url(value: Any) -> str | None:
    return _url(value) if value is not None else None
