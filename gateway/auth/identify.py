"""Who a GraphQL request acts for: a bearer token, a browser session, or (development only)
identity headers, tried in that order. A bearer token that is present but invalid is refused
(401) rather than ignored: failing closed never turns a bad credential into an anonymous call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request

from tandem_shared.tokens import Principal

from .bearer import BearerAuthenticator
from .dev_identity import DevIdentity
from .integrators import MemoryRateLimiter, RateLimiter, TrustedDocuments

__all__ = ["Caller", "Identifier", "SessionResolver"]

SessionResolver = Callable[[Request], Awaitable[Principal | None]]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a request acts for, and the trusted-documents list it is limited to, if any."""

    principal: Principal | None
    trusted_documents: str | None = None


class Identifier:
    """Resolves the principal of a request from whichever credentials are configured."""

    def __init__(
        self,
        *,
        bearer: BearerAuthenticator | None = None,
        sessions: SessionResolver | None = None,
        dev_identity: DevIdentity | None = None,
        rate_limiter: RateLimiter | None = None,
        trusted_documents: TrustedDocuments | None = None,
    ) -> None:
        self.rate_limiter = rate_limiter or MemoryRateLimiter()
        self.trusted_documents = trusted_documents or TrustedDocuments(None)
        self.bearer = bearer
        self.sessions = sessions
        self.dev_identity = dev_identity

    async def start(self) -> None:
        """Start-up checks that need the providers: an introspection endpoint for every
        provider configured for opaque tokens (a missing one is a configuration error)."""
        if self.bearer is not None:
            await self.bearer.check_endpoints()

    async def identify(self, request: Request, query: str = "") -> Principal | None:
        """The caller's principal; for integrator clients, their limits are applied here
        (``query`` must then be one of their trusted documents)."""
        caller = await self.caller(request)
        if caller.trusted_documents:
            self.trusted_documents.check(caller.trusted_documents, query)
        return caller.principal

    async def caller(self, request: Request, operations: int = 1) -> Caller:
        """The caller, its integrator client's rate limit charged ``operations`` (a batch
        counts each); its trusted documents are for the caller to apply
        (``gateway/persisted``: the request may name one by id)."""
        authorization = request.headers.get("authorization")
        if authorization is not None and self.bearer is not None:
            identity = await self.bearer.identify(authorization)
            client = identity.client
            if client is not None and client.rate_limit_per_minute:
                await self.rate_limiter.hit(
                    f"{identity.issuer}|{identity.principal.client_id}",
                    client.rate_limit_per_minute,
                    operations,
                )
            documents = client.trusted_documents if client is not None else None
            return Caller(identity.principal, documents or None)
        if self.sessions is not None:
            principal = await self.sessions(request)
            if principal is not None:
                return Caller(principal)
        if self.dev_identity is not None:
            return Caller(self.dev_identity.principal(request.headers))
        return Caller(None)
