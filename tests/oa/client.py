"""A GraphQL client for the OA app that signs each request as the gateway would."""

from __future__ import annotations

from typing import Any

import httpx

from tandem_shared.tokens import Principal
from tests.common.signing import signed

__all__ = ["OAClient"]


class OAClient:
    """Posts operations to ``/graphql`` as a given principal."""

    def __init__(self, http: httpx.AsyncClient, private_key: str) -> None:
        self.http = http
        self.private_key = private_key

    async def post(self, who: Principal, query: str, **variables: Any) -> dict[str, Any]:
        """The whole response body of ``query`` run as ``who``."""
        payload = {"query": query, "variables": variables}
        response = await self.http.post("/graphql", **signed(self.private_key, "oa", who, payload))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, who: Principal, query: str, **variables: Any) -> dict[str, Any]:
        """The ``data`` of a response that must have no errors."""
        body = await self.post(who, query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def error(self, who: Principal, query: str, **variables: Any) -> dict[str, Any]:
        """The one error of a response that must fail: ``{"message", "code", "field"?, ...}``."""
        body = await self.post(who, query, **variables)
        errors = body.get("errors")
        assert errors and len(errors) == 1, body
        return {"message": errors[0]["message"], **errors[0].get("extensions", {})}
