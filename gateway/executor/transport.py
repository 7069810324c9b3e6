"""Sending one GraphQL request to a subgraph over pooled HTTP/1.1 keep-alive connections.

Every failure mode a subgraph has (refused, timed out, 5xx, not JSON, not a GraphQL response)
becomes a :class:`SubgraphError` with a code, never an exception that escapes the request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import orjson

__all__ = ["HttpTransport", "SubgraphError", "SubgraphRequest", "Transport"]


@dataclass(frozen=True, slots=True)
class SubgraphRequest:
    service_name: str
    url: str
    query: str
    variables: Mapping[str, Any] | None
    headers: Mapping[str, str] | None = None


class SubgraphError(Exception):
    """A subgraph gave no usable GraphQL response."""

    def __init__(self, service_name: str, message: str, code: str = "SUBGRAPH_UNAVAILABLE"):
        super().__init__(message)
        self.service_name = service_name
        self.message = message
        self.code = code


class Transport(Protocol):
    """Sends a request to a subgraph and returns its decoded GraphQL response."""

    async def send(self, request: SubgraphRequest) -> dict[str, Any]: ...

    async def close(self) -> None: ...


class HttpTransport:
    """The production transport: one pooled ``httpx.AsyncClient`` for all subgraphs."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        timeouts: Mapping[str, float] | None = None,
        max_connections: int = 200,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.timeout = timeout
        self.timeouts = dict(timeouts or {})
        self.client = client or httpx.AsyncClient(
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            timeout=timeout,
            trust_env=False,
        )

    async def send(self, request: SubgraphRequest) -> dict[str, Any]:
        payload: dict[str, Any] = {"query": request.query}
        if request.variables:
            payload["variables"] = request.variables
        headers = {
            "content-type": "application/json",
            "accept": "application/graphql-response+json, application/json",
        }
        if request.headers:
            headers.update(request.headers)
        name = request.service_name
        timeout = self.timeouts.get(name, self.timeout)
        try:
            response = await self.client.post(
                request.url,
                content=orjson.dumps(payload),
                headers=headers,
                timeout=timeout,
            )
        except httpx.TimeoutException:
            raise SubgraphError(name, f"subgraph {name} did not answer within {timeout:g}s",
                                "SUBGRAPH_TIMEOUT") from None
        except httpx.HTTPError as error:
            raise SubgraphError(
                name, f"subgraph {name} is unreachable ({type(error).__name__})"
            ) from None
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise SubgraphError(
                name,
                f"subgraph {name} answered HTTP {response.status_code} with a body that is not JSON",
                "SUBGRAPH_BAD_RESPONSE",
            ) from None
        if not isinstance(body, dict) or ("data" not in body and "errors" not in body):
            raise SubgraphError(
                name,
                f"subgraph {name} answered HTTP {response.status_code} without a GraphQL response",
                "SUBGRAPH_BAD_RESPONSE",
            )
        if response.status_code >= 500 and body.get("data") is None and not body.get("errors"):
            raise SubgraphError(name, f"subgraph {name} answered HTTP {response.status_code}")
        return body

    async def close(self) -> None:
        await self.client.aclose()
