"""Who a GraphQL request acts for: a bearer token, a browser session, or (development only)
identity headers, tried in that order. A bearer token that is present but invalid is refused
(401) rather than ignored: failing closed never turns a bad credential into an anonymous call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request

from subgraphs.common.tokens import Principal

from .bearer import BearerAuthenticator
from .dev_identity import DevIdentity

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
    ) -> None:
        self.bearer = bearer
        self.sessions = sessions
        self.dev_identity = dev_identity

    async def identify(self, request: Request) -> Principal | None:
        authorization = request.headers.get("authorization")
        if authorization is not None and self.bearer is not None:
            return await self.bearer.authenticate(authorization)
        if self.sessions is not None:
            principal = await self.sessions(request)
            if principal is not None:
                return principal
        if self.dev_identity is not None:
            return self.dev_identity.principal(request.headers)
        return None
