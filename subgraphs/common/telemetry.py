"""Traces of a subgraph: the gateway's trace continued, down to each SQL statement.

On when ``OTEL_TRACES_EXPORTER`` is ``otlp`` (OTLP over HTTP/protobuf) or ``console``; the
rest is the SDK's standard environment (``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_SERVICE_NAME``
(default ``tandem-<name>``), ``OTEL_TRACES_SAMPLER``, ``OTEL_BSP_*``...). Each request to the
subgraph gets a server span, a child of the span its ``traceparent`` names (the gateway's
fetch), with the gateway's ``x-request-id`` as ``tandem.request_id``; below it strawberry's
OpenTelemetry extension adds parsing, validation and resolver spans, and the SQLAlchemy
instrumentation one span per statement.

What is left out, as at the gateway: the document's text and resolver arguments (they may
hold a client's literals and variables), and SQL parameters (the instrumentation records the
statement with its placeholders, never the values bound to them).
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable, Generator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import REGISTRY, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Lifespan, Message, Receive, Scope, Send
from strawberry.extensions import LifecycleStep
from strawberry.extensions.tracing import OpenTelemetryExtension
from strawberry.federation import Schema

__all__ = [
    "METRICS_PATH",
    "TracingMiddleware",
    "metrics_route",
    "observe_event_lag",
    "traced_lifespan",
    "traced_schema",
    "tracer_provider",
]

METRICS_PATH = "/metrics"
EVENT_LAG = Histogram(
    "tandem_event_lag_seconds",
    "Seconds from an event's entry on the Redis stream to its effect committed here, by "
    "topic and consumer group (OA -> ERP and back)",
    ["topic", "group"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
"""In the process's default registry: one subgraph per process (``python -m subgraphs.oa``)."""

EXPORTERS = ("otlp", "console")


def tracer_provider(name: str) -> TracerProvider | None:
    """The subgraph's provider as ``OTEL_*`` say, or None when tracing is off."""
    exporter_name = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter_name not in EXPORTERS:
        return None
    attributes: dict[str, Any] = {}
    if not os.environ.get("OTEL_SERVICE_NAME"):
        attributes[SERVICE_NAME] = f"tandem-{name}"
    provider = TracerProvider(resource=Resource.create(attributes))
    if exporter_name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    return provider


class _Operation(OpenTelemetryExtension):
    """Strawberry's extension without the document's text and resolver arguments."""

    def __init__(self, *, execution_context: Any = None, provider: TracerProvider) -> None:
        super().__init__(
            execution_context=execution_context,
            arg_filter=lambda arguments, info: {},
            tracer_provider=provider,
        )

    def on_operation(self) -> Generator[None, None, None]:
        name = self.execution_context.operation_name
        span = self._tracer.start_span(
            f"GraphQL Query: {name}" if name else "GraphQL Query", kind=SpanKind.INTERNAL
        )
        span.set_attribute("component", "graphql")
        self._span_holder[LifecycleStep.OPERATION] = span
        yield
        span.end()


def traced_schema(schema: Schema, provider: TracerProvider) -> Schema:
    """``schema`` with the operation extension added (strawberry keeps extensions as a tuple
    of classes or factories, made anew for each operation)."""

    if any(getattr(extension, "tandem_traced", False) for extension in schema.extensions):
        return schema  # an app built again in the same process

    def extension(*, execution_context: Any = None) -> _Operation:
        return _Operation(execution_context=execution_context, provider=provider)

    extension.tandem_traced = True  # type: ignore[attr-defined]
    schema.extensions = (*schema.extensions, extension)
    return schema


class TracingMiddleware:
    """A server span per HTTP request, in the trace its ``traceparent`` names."""

    def __init__(self, app: ASGIApp, provider: TracerProvider, name: str) -> None:
        self.app = app
        self.tracer = provider.get_tracer(f"tandem.{name}")
        self.propagator = TraceContextTextMapPropagator()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/health":  # probes make no traces
            await self.app(scope, receive, send)
            return
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        parent = self.propagator.extract(headers)
        span = self.tracer.start_span(
            f"{scope['method']} {scope['path']}", context=parent, kind=SpanKind.SERVER
        )
        span.set_attribute("http.request.method", scope["method"])
        span.set_attribute("url.path", scope["path"])
        request_id = headers.get("x-request-id")
        if request_id is not None:
            span.set_attribute("tandem.request_id", request_id[:64])
        token = otel_context.attach(set_span_in_context(span, parent))

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = int(message["status"])
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            otel_context.detach(token)
            span.end()


def traced_lifespan(
    lifespan: Lifespan[Starlette] | None, provider: TracerProvider
) -> Callable[[Starlette], Any]:
    """``lifespan`` with the engine it yields (``engine`` in its state) instrumented, and
    the spans left exported when the app stops."""

    @asynccontextmanager
    async def traced(app: Starlette) -> AsyncIterator[Mapping[str, Any] | None]:
        try:
            if lifespan is None:
                yield None
                return
            async with lifespan(app) as state:
                engine = state.get("engine") if isinstance(state, Mapping) else None
                if engine is not None:
                    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

                    SQLAlchemyInstrumentor().instrument(
                        engine=engine.sync_engine,
                        tracer_provider=provider,
                        skip_dep_check=True,  # its range stops below SQLAlchemy 2.1; works
                    )
                yield state
        finally:
            provider.shutdown()

    return traced


def observe_event_lag(topic: str, group: str, message_id: str) -> None:
    """Count the lag of an event applied now, read from its Redis stream entry id
    (``<milliseconds>-<sequence>``: when the relay put it on the stream). The in-process bus
    numbers its entries instead: nothing to measure there."""
    stamp, _, _ = message_id.partition("-")
    if not stamp.isdigit() or len(stamp) < 12:
        return
    EVENT_LAG.labels(topic, group).observe(max(0.0, time.time() - int(stamp) / 1000))


def metrics_route() -> Route:
    """``GET /metrics``: the process's registry in Prometheus' text format."""

    async def exposition(_: Request) -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return Route(METRICS_PATH, exposition, methods=["GET"])
