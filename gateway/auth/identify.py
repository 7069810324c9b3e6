"""Who a GraphQL request acts for: a bearer token, a browser session, or (development only)
identity headers, tried in that order. A bearer token that is present but invalid is refused
(401) rather than ignored: failing closed never turns a bad credential into an anonymous call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request

from tandem_shared.tokens import Principal

from .bearer import BearerAuthenticator
from .dev_identity import DevIdentity
from .integrators import MemoryRateLimiter, RateLimiter, TrustedDocuments

__all__ = ["Identifier", "SessionResolver"]

SessionResolver = Callable[[Request], Awaitable[Principal | None]]


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
        """The caller's principal; for integrator clients, their limits are applied here."""
        authorization = request.headers.get("authorization")
        if authorization is not None and self.bearer is not None:
            identity = await self.bearer.identify(authorization)
            client = identity.client
            if client is not None and client.rate_limit_per_minute:
                await self.rate_limiter.hit(
                    f"{identity.issuer}|{identity.principal.client_id}",
                    client.rate_limit_per_minute,
                )
            if client is not None and client.trusted_documents:
                self.trusted_documents.check(client.trusted_documents, query)
            return identity.principal
        if self.sessions is not None:
            principal = await self.sessions(request)
            if principal is not None:
                return principal
        if self.dev_identity is not None:
            return self.dev_identity.principal(request.headers)
        return None
