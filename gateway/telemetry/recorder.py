"""The gateway's telemetry as one object: begin an operation, finish it, serve ``/metrics``.

:meth:`Telemetry.begin` is called by the HTTP layer when a GraphQL request arrives (its
observation starts the request's server span when tracing is on); :meth:`Telemetry.finish`
when it is answered: the operation is counted (``metrics.py``), its span given its
attributes and ended (``tracing.py``), its log line written (``logs.py``). The README's
Operating section lists the metrics, span attributes and log fields.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .logs import FIELDS, REQUEST_LOGGER
from .metrics import CONTENT_TYPE_LATEST, Metrics
from .observation import Observation
from .tracing import Tracing

__all__ = ["Telemetry"]

log = logging.getLogger(REQUEST_LOGGER)


class Telemetry:
    """Metrics (None: off), tracing (None: off) and the request log line."""

    def __init__(
        self, metrics: Metrics | None = None, tracing: Tracing | None = None, path: str = "/metrics"
    ) -> None:
        self.metrics = metrics
        self.tracing = tracing
        self.path = path

    def begin(self, request: Request, request_id: str | None) -> Observation:
        """The observation of a request arriving now."""
        started = time.perf_counter()
        tracing = self.tracing
        if tracing is not None:
            client = request.client.host if request.client is not None else None
            path = request.scope["path"]  # not request.url: a URL object built for it
            trace = tracing.start(request.headers, client, f"{request.method} {path}")
            observed = Observation(request_id, trace=trace, started=started)
            observed.http = (request.method, path)
            return observed
        return Observation(request_id, started=started)

    def child(self, parent: Observation, index: int) -> Observation:
        """The observation of operation ``index`` of a batch ``parent`` carries (its spans
        below an operation span of its own)."""
        trace = parent.trace
        observed = Observation(
            parent.request_id, trace=trace, span_id=trace.new_id() if trace else None
        )
        observed.batch_index = index
        observed.subject = parent.subject
        return observed

    def finish(self, observed: Observation, status: int, *, counted: bool = True) -> None:
        """``observed`` was answered with HTTP ``status``; ``counted``: it ran one operation
        (a batch's envelope did not: its operations were counted one by one)."""
        seconds = time.perf_counter() - observed.started
        if counted and self.metrics is not None:
            self.metrics.record(observed, seconds)
        if counted and log.isEnabledFor(logging.INFO):
            log.info("request", extra={FIELDS: _log_fields(observed, status, seconds)})
        trace = observed.trace
        if trace is not None and trace.sampled:
            attributes = _attributes(observed, status, counted)
            if observed.batch_index is None:
                trace.finish(_span_name(observed, counted), attributes, observed.error_code)
            else:
                trace.record(
                    "graphql.operation",
                    observed.span_id,
                    trace.root_id,
                    observed.started_ns,
                    time.time_ns(),
                    attributes,
                    error=observed.error_code,
                )

    def routes(self) -> list[Route]:
        """``GET /metrics`` when metrics are on."""
        metrics = self.metrics
        if metrics is None:
            return []

        async def exposition(request: Request) -> Response:
            return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

        return [Route(self.path, exposition, methods=["GET"])]

    def close(self) -> None:
        if self.tracing is not None:
            self.tracing.close()


def document_hash(query: str | None) -> str | None:
    """The SHA-256 of the document's text (what APQ and manifests name it by)."""
    return hashlib.sha256(query.encode()).hexdigest() if query is not None else None


def _log_fields(observed: Observation, status: int, seconds: float) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "request_id": observed.request_id,
        "operation_name": observed.operation_name,
        "operation_kind": observed.kind,
        "document_hash": document_hash(observed.query),
        "subject": observed.subject,
        "status": status,
        "outcome": observed.outcome,
        "error_code": observed.error_code,
        "duration_ms": round(seconds * 1000, 3),
        "subgraphs": _timings(observed.fetches),
    }
    if observed.batch_index is not None:
        fields["batch_index"] = observed.batch_index
    if observed.trace is not None:
        fields["trace_id"] = f"{observed.trace.trace_id:032x}"
    return fields


def _timings(fetches: list[tuple[str, float, str | None]]) -> list[Mapping[str, Any]]:
    return [
        {"subgraph": name, "ms": round(took * 1000, 3), **({"error": code} if code else {})}
        for name, took, code in fetches
    ]


def _span_name(observed: Observation, counted: bool) -> str:
    if counted and observed.kind is not None:
        return f"{observed.kind} {observed.operation_name or ''}".rstrip()
    method, path = observed.http or ("POST", "/graphql")
    return f"{method} {path}"


def _attributes(observed: Observation, status: int, counted: bool) -> dict[str, Any]:
    """The operation span's attributes: what the operation was and how it ended."""
    attributes: dict[str, Any] = {}
    if observed.http is not None:
        attributes["http.request.method"], attributes["url.path"] = observed.http
    if observed.request_id is not None:
        attributes["tandem.request_id"] = observed.request_id
    if counted:
        if observed.kind is not None:
            attributes["graphql.operation.type"] = observed.kind
            if observed.operation_name is not None:
                attributes["graphql.operation.name"] = observed.operation_name
            digest = document_hash(observed.query)
            if digest is not None:
                attributes["graphql.document.hash"] = digest
        attributes["tandem.outcome"] = observed.outcome
        if observed.document_cached is not None:
            attributes["tandem.document.cache_hit"] = observed.document_cached
    if observed.batch_index is None:
        attributes["http.response.status_code"] = status
    else:
        attributes["tandem.batch.index"] = observed.batch_index
    if observed.error_code is not None:
        attributes["error.type"] = observed.error_code
    return attributes
