"""Traces with the OpenTelemetry SDK: one span per request, W3C ``traceparent`` in and out.

Tracing is off unless the ``tracing`` setting (or, when that is unset, the standard
``OTEL_TRACES_EXPORTER``) names an exporter: ``otlp`` (OTLP over HTTP/protobuf) or
``console``. Everything else about the export is the SDK's standard environment:
``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, ``..._HEADERS``,
``..._TIMEOUT``, ``OTEL_TRACES_SAMPLER`` and ``OTEL_TRACES_SAMPLER_ARG`` (default: a parent's
decision, else every trace), ``OTEL_SERVICE_NAME`` (default ``tandem-gateway``),
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_BSP_*`` (the batch processor's queue and delay). Apollo
Router and Hive Router ship the same way: metrics on, tracing opt-in, since a trace exporter
needs somewhere to send to.

A client's ``traceparent`` continues its trace only from addresses ``trace_parent_from``
trusts (``*`` for any; CIDR blocks for a proxy or a mesh; by default none): a client that
chooses its trace ids and sampling flag could otherwise flood the tracing backend or splice
its spans into someone else's trace. An untrusted request starts a new trace, with the
client's span context kept as a link. Each subgraph request carries a ``traceparent`` naming
its fetch span, so the subgraphs' spans hang below it.

The gateway has its own :class:`TracerProvider` (not the process-global one), so that two
gateways in one process (tests) keep their spans apart; its sampler, id generator, resource
and span processor are used as they are, the spans recorded as :class:`RequestTrace` says.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import (
    Link,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
    get_current_span,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

__all__ = ["EXPORTERS", "RequestTrace", "TraceParentTrust", "Tracing", "exporter_named"]

EXPORTERS = ("otlp", "console")
DEFAULT_SERVICE_NAME = "tandem-gateway"


def exporter_named(setting: str | None) -> str | None:
    """The exporter the setting names, else ``OTEL_TRACES_EXPORTER``'s; None: tracing off."""
    name = setting if setting is not None else os.environ.get("OTEL_TRACES_EXPORTER", "")
    name = name.strip().lower()
    return name if name in EXPORTERS else None


class TraceParentTrust:
    """Which clients' ``traceparent`` is continued: ``*``, or addresses in CIDR blocks."""

    def __init__(self, entries: Sequence[str]) -> None:
        self.everyone = "*" in entries
        self.networks = tuple(
            ipaddress.ip_network(entry, strict=False) for entry in entries if entry != "*"
        )

    def trusts(self, address: str | None) -> bool:
        if self.everyone:
            return True
        if not self.networks or address is None:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)


class Tracing:
    """The gateway's provider (its sampler, ids, resource, span processor), the W3C
    propagator and the trust in clients' parents."""

    def __init__(
        self, provider: TracerProvider, trust: TraceParentTrust, processor: SpanProcessor
    ) -> None:
        self.provider = provider
        self.processor = processor
        self.sampler = provider.sampler  # OTEL_TRACES_SAMPLER (default: parent, else always)
        self.ids = provider.id_generator
        self.resource = _HashedResource(provider.resource)
        self.scope = InstrumentationScope("tandem.gateway")
        self.propagator = TraceContextTextMapPropagator()
        self.trust = trust

    @classmethod
    def create(
        cls,
        exporter: str | SpanExporter,
        trust: TraceParentTrust,
        *,
        batch: bool = True,
    ) -> Tracing:
        """A provider exporting to ``exporter`` (a name of :data:`EXPORTERS`, or an exporter
        object: tests pass the SDK's in-memory one), batched unless ``batch`` is False."""
        attributes: dict[str, Any] = {}
        if not os.environ.get("OTEL_SERVICE_NAME"):
            attributes[SERVICE_NAME] = DEFAULT_SERVICE_NAME
        provider = TracerProvider(resource=Resource.create(attributes))
        if exporter == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        elif exporter == "console":
            exporter = ConsoleSpanExporter()
        assert isinstance(exporter, SpanExporter), exporter
        processor = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
        provider.add_span_processor(processor)
        return cls(provider, trust, processor)

    def start(self, headers: Mapping[str, str], client: str | None, name: str) -> RequestTrace:
        """The request's trace: below the client's ``traceparent`` when the client is
        trusted, else a new trace linked to it; sampled as the provider's sampler says."""
        parent: SpanContext | None = None
        links: tuple[Link, ...] = ()
        given = headers.get("traceparent")
        context = None
        if given:
            carrier = {"traceparent": given}
            if "tracestate" in headers:
                carrier["tracestate"] = headers["tracestate"]
            extracted = self.propagator.extract(carrier)
            remote = get_current_span(extracted).get_span_context()
            if remote.is_valid:
                if self.trust.trusts(client):
                    parent, context = remote, extracted
                else:
                    links = (Link(remote, {"tandem.link": "untrusted traceparent"}),)
        trace_id = parent.trace_id if parent is not None else self.ids.generate_trace_id()
        decision = self.sampler.should_sample(
            context, trace_id, name, SpanKind.SERVER, None, links or None
        )
        return RequestTrace(
            self,
            trace_id,
            parent,
            links,
            sampled=decision.decision.is_sampled(),  # type: ignore[no-untyped-call]
            trace_state=decision.trace_state,
        )

    def close(self) -> None:
        """Export what is left and stop."""
        self.provider.shutdown()


class RequestTrace:
    """One request's spans, recorded as plain values while it runs and handed to the span
    processor (and so to the exporter) as the SDK's :class:`ReadableSpan` when it ends.

    Why not the SDK's tracer for each span: a tracer's span takes a sampler call, a lock,
    bounded attribute maps and two processor calls; on the storefront query (a root, four
    phases, six fetches) that was a fifth of the gateway's CPU. Here the sampler decides once
    per request, children are a clock reading and an id each, and the spans are built once,
    at the end, in the form the exporters take.
    """

    __slots__ = (
        "ids",
        "links",
        "parent",
        "root",
        "root_id",
        "sampled",
        "spans",
        "started",
        "trace_id",
        "trace_state",
        "tracing",
    )

    def __init__(
        self,
        tracing: Tracing,
        trace_id: int,
        parent: SpanContext | None,
        links: tuple[Link, ...],
        *,
        sampled: bool,
        trace_state: TraceState | None = None,
    ) -> None:
        self.tracing = tracing
        self.ids = tracing.ids
        self.trace_id = trace_id
        self.parent = parent
        self.links = links
        self.sampled = sampled
        self.trace_state = trace_state
        self.root_id = self.ids.generate_span_id()
        self.root = self.context(self.root_id)  # most spans' parent: built once
        self.started = time.time_ns()
        self.spans: list[ReadableSpan] = []

    def new_id(self) -> int:
        return self.ids.generate_span_id()

    def traceparent(self, span_id: int) -> str:
        """The W3C ``traceparent`` naming ``span_id`` in this trace."""
        return f"00-{self.trace_id:032x}-{span_id:016x}-{'01' if self.sampled else '00'}"

    def context(self, span_id: int) -> SpanContext:
        flags = TraceFlags(TraceFlags.SAMPLED if self.sampled else TraceFlags.DEFAULT)
        return SpanContext(self.trace_id, span_id, False, flags, self.trace_state)

    def record(
        self,
        name: str,
        span_id: int,
        parent_id: int,
        start: int,
        end: int,
        attributes: Mapping[str, Any] | None = None,
        *,
        kind: SpanKind = SpanKind.INTERNAL,
        error: str | None = None,
    ) -> None:
        """A finished child span (times in nanoseconds since the epoch)."""
        if error is not None:
            attributes = {**(attributes or {}), "error.type": error}
        self.spans.append(
            ReadableSpan(
                name,
                self.context(span_id),
                self.root if parent_id == self.root_id else self.context(parent_id),
                self.tracing.resource,
                attributes or {},
                kind=kind,
                status=_ERROR if error is not None else _UNSET,
                start_time=start,
                end_time=end,
                instrumentation_scope=self.tracing.scope,
            )
        )

    def finish(self, name: str, attributes: Mapping[str, Any], error: str | None) -> None:
        """The root span ends: it and its children go to the span processor."""
        root = ReadableSpan(
            name,
            self.root,
            self.parent,
            self.tracing.resource,
            attributes,
            links=self.links,
            kind=SpanKind.SERVER,
            status=_ERROR if error is not None else _UNSET,
            start_time=self.started,
            end_time=time.time_ns(),
            instrumentation_scope=self.tracing.scope,
        )
        processor = self.tracing.processor
        for span in self.spans:
            processor.on_end(span)
        processor.on_end(root)
        self.spans = []


class _HashedResource(Resource):
    """The provider's resource, its hash computed once: the OTLP encoder groups spans by
    resource, hashing it for every span, and a resource's hash is the JSON of its attributes
    (a fifth of the encoder's time per span, measured). Resources are immutable."""

    def __init__(self, resource: Resource) -> None:
        super().__init__(resource.attributes, resource.schema_url)
        self._hash = super().__hash__()

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other)


_UNSET = Status(StatusCode.UNSET)
_ERROR = Status(StatusCode.ERROR)
