"""Sending one GraphQL request to a subgraph over pooled HTTP/1.1 keep-alive connections.

Two transports share one contract: :class:`AiohttpTransport` (the default: on the benchmark
workload it costs about a third of the CPU per subgraph request that httpx does, measured with
``benchmarks/run.py``) and :class:`HttpTransport` (httpx). Every failure mode a subgraph has
(refused, timed out, 5xx, not JSON, not a GraphQL response, larger than its size limit)
becomes a :class:`SubgraphError` with a code, never an exception that escapes the request.

An answer is read up to its subgraph's size limit (``max_response_bytes``, per subgraph in
``max_response_sizes``) and no further: a declared ``content-length`` over the limit fails
before the body is read, a chunked body fails as soon as what arrived passes the limit, and the
connection is dropped rather than drained (``SUBGRAPH_RESPONSE_TOO_LARGE``). The gateway's
memory for one answer is therefore bounded by the limit, not by what the subgraph sends.

Requests with the same ``share_key`` in flight at once share one call (``in_flight.py``).
"""

from __future__ import annotations

import ssl
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
import httpx
import orjson

from .in_flight import Answer, InFlight

if TYPE_CHECKING:
    from .shaping import Shaper

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "AiohttpTransport",
    "HttpTransport",
    "SubgraphError",
    "SubgraphRequest",
    "Transport",
    "decode_response",
    "encode_payload",
    "read_answer",
]

DEFAULT_MAX_RESPONSE_BYTES = 20_000_000
"""The default cap on one subgraph answer (the ``subgraph_max_response_bytes`` setting)."""

_ENCODING = "content-encoding"
UNAVAILABLE_STATUSES = frozenset({502, 503, 504})
"""HTTP answers of a proxy or server saying the subgraph is not there now."""

_HEADERS = {
    "content-type": "application/json",
    "accept": "application/graphql-response+json, application/json",
}


@dataclass(frozen=True, slots=True)
class SubgraphRequest:
    service_name: str
    url: str
    query: str
    variables: Mapping[str, Any] | None
    headers: Mapping[str, str] | None = None
    body: bytes | None = None
    """The encoded payload, when the caller made it (the identity token is bound to it)."""
    share_key: Hashable | None = None
    """Requests with the same key in flight at once share one call (``in_flight.py``); None:
    never shared. The executor sets it for queries only."""
    idempotent: bool = False
    """A read (part of a query's plan): it may be tried again (``shaping.py``)."""


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


def encode_payload(query: str, variables: Mapping[str, Any] | None) -> bytes:
    """The JSON body of a subgraph request: exactly these bytes are sent (and signed)."""
    payload: dict[str, Any] = {"query": query}
    if variables:
        payload["variables"] = variables
    return orjson.dumps(payload)


def _payload(request: SubgraphRequest) -> bytes:
    if request.body is not None:
        return request.body
    return encode_payload(request.query, request.variables)


def too_large(name: str, limit: int) -> SubgraphError:
    """The error of an answer larger than ``limit`` bytes (not read past the limit)."""
    return SubgraphError(
        name,
        f"subgraph {name} answered more than {limit} bytes (its limit); not read further",
        "SUBGRAPH_RESPONSE_TOO_LARGE",
    )


def decode_response(name: str, status: int, content: bytes) -> dict[str, Any]:
    """A subgraph's HTTP answer as a GraphQL response, or a coded :class:`SubgraphError`.

    A 502, 503 or 504 without a GraphQL response is what stands in front of a subgraph saying
    it is not there now: ``SUBGRAPH_UNAVAILABLE``, as a refused connection is."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        if status in UNAVAILABLE_STATUSES:
            raise SubgraphError(name, f"subgraph {name} answered HTTP {status}") from None
        raise SubgraphError(
            name,
            f"subgraph {name} answered HTTP {status} with a body that is not JSON",
            "SUBGRAPH_BAD_RESPONSE",
        ) from None
    if not isinstance(body, dict) or ("data" not in body and "errors" not in body):
        if status in UNAVAILABLE_STATUSES:
            raise SubgraphError(name, f"subgraph {name} answered HTTP {status}")
        raise SubgraphError(
            name,
            f"subgraph {name} answered HTTP {status} without a GraphQL response",
            "SUBGRAPH_BAD_RESPONSE",
        )
    if status >= 500 and body.get("data") is None and not body.get("errors"):
        raise SubgraphError(name, f"subgraph {name} answered HTTP {status}")
    return body


class _Calls:
    """What both transports do around their own HTTP call (``_call``): identical requests in
    flight share one call, and each call passes its subgraph's breaker and retry policy."""

    in_flight: InFlight
    shaper: Shaper | None

    async def send(self, request: SubgraphRequest) -> dict[str, Any]:
        status, content = await self.in_flight.fetch(
            request.share_key, lambda: self._shaped(request)
        )
        return decode_response(request.service_name, status, content)

    async def _shaped(self, request: SubgraphRequest) -> Answer:
        if self.shaper is None:
            return await self._call(request)
        return await self.shaper.call(request, self._call)

    async def _call(self, request: SubgraphRequest) -> Answer:
        raise NotImplementedError


class AiohttpTransport(_Calls):
    """The default transport: one aiohttp session, a keep-alive pool per subgraph host."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        timeouts: Mapping[str, float] | None = None,
        max_connections: int = 64,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_response_sizes: Mapping[str, int] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        shaper: Shaper | None = None,
    ) -> None:
        self.shaper = shaper  # circuit breakers and retries (shaping.py); None: neither
        self.timeout = timeout
        self.timeouts = dict(timeouts or {})
        self.max_connections = max_connections
        self.max_response_bytes = max_response_bytes
        self.max_response_sizes = dict(max_response_sizes or {})
        self.ssl_context = ssl_context  # https:// subgraphs (gateway/executor/tls.py)
        self.session: aiohttp.ClientSession | None = None
        self._timeouts: dict[str, aiohttp.ClientTimeout] = {}
        self.in_flight = InFlight()

    def _session(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=0,
                    limit_per_host=self.max_connections,
                    ssl=self.ssl_context if self.ssl_context is not None else True,
                ),
                trust_env=False,
                auto_decompress=True,
            )
        return self.session

    async def _call(self, request: SubgraphRequest) -> Answer:
        name = request.service_name
        headers = _HEADERS if not request.headers else {**_HEADERS, **request.headers}
        seconds = self.timeouts.get(name, self.timeout)
        timeout = self._timeouts.get(name)
        if timeout is None:
            timeout = self._timeouts[name] = aiohttp.ClientTimeout(total=seconds)
        try:
            async with self._session().post(
                request.url, data=_payload(request), headers=headers, timeout=timeout
            ) as response:
                limit = self.max_response_sizes.get(name, self.max_response_bytes)
                content = await read_answer(response, name, limit)
                status = response.status
        except TimeoutError:
            raise SubgraphError(
                name, f"subgraph {name} did not answer within {seconds:g}s", "SUBGRAPH_TIMEOUT"
            ) from None
        except aiohttp.ClientError as error:
            raise SubgraphError(
                name, f"subgraph {name} is unreachable ({type(error).__name__})"
            ) from None
        return status, content

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None


async def read_answer(response: aiohttp.ClientResponse, name: str, limit: int) -> bytes:
    """An aiohttp answer's body, or :func:`too_large` once it passes ``limit`` bytes."""
    # a compressed body's content-length says nothing of its decoded size
    declared = None if _ENCODING in response.headers else response.content_length
    if declared is not None and declared <= limit:
        return await response.read()  # the usual case: one read
    return await _read_at_most(response.content, name, limit, declared)


async def _read_at_most(
    stream: aiohttp.StreamReader, name: str, limit: int, declared: int | None
) -> bytes:
    """The body, or :func:`too_large` once it passes ``limit`` (leaving the rest unread)."""
    if declared is not None:  # more than the limit, said up front (not compressed)
        raise too_large(name, limit)
    chunks: list[bytes] = []
    size = 0
    while chunk := await stream.readany():
        size += len(chunk)
        if size > limit:
            raise too_large(name, limit)
        chunks.append(chunk)
    return b"".join(chunks)


class HttpTransport(_Calls):
    """The production transport: one pooled ``httpx.AsyncClient`` per subgraph origin.

    One client per origin keeps each connection pool small: httpcore scans its whole pool on
    every request, so a single pool shared by all subgraphs costs more as load grows.
    """

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        timeouts: Mapping[str, float] | None = None,
        max_connections: int = 64,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_response_sizes: Mapping[str, int] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        shaper: Shaper | None = None,
    ) -> None:
        self.shaper = shaper  # circuit breakers and retries (shaping.py); None: neither
        self.timeout = timeout
        self.timeouts = dict(timeouts or {})
        self.max_connections = max_connections
        self.max_response_bytes = max_response_bytes
        self.max_response_sizes = dict(max_response_sizes or {})
        self.ssl_context = ssl_context  # https:// subgraphs (gateway/executor/tls.py)
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.in_flight = InFlight()

    def _client(self, service_name: str) -> httpx.AsyncClient:
        client = self.clients.get(service_name)
        if client is None:
            client = httpx.AsyncClient(
                limits=httpx.Limits(
                    max_connections=self.max_connections,
                    max_keepalive_connections=self.max_connections,
                ),
                timeout=self.timeouts.get(service_name, self.timeout),
                trust_env=False,
                verify=self.ssl_context if self.ssl_context is not None else True,
            )
            self.clients[service_name] = client
        return client

    async def _call(self, request: SubgraphRequest) -> Answer:
        headers = _HEADERS if not request.headers else {**_HEADERS, **request.headers}
        name = request.service_name
        timeout = self.timeouts.get(name, self.timeout)
        limit = self.max_response_sizes.get(name, self.max_response_bytes)
        try:
            async with self._client(name).stream(
                "POST", request.url, content=_payload(request), headers=headers
            ) as response:
                declared = response.headers.get("content-length")
                if (
                    declared is not None
                    and declared.isdigit()
                    and int(declared) > limit
                    and _ENCODING not in response.headers
                ):
                    raise too_large(name, limit)
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise too_large(name, limit)
                    chunks.append(chunk)
                status = response.status_code
        except httpx.TimeoutException:
            raise SubgraphError(
                name, f"subgraph {name} did not answer within {timeout:g}s", "SUBGRAPH_TIMEOUT"
            ) from None
        except httpx.HTTPError as error:
            raise SubgraphError(
                name, f"subgraph {name} is unreachable ({type(error).__name__})"
            ) from None
        return status, b"".join(chunks)

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()
        self.clients.clear()
