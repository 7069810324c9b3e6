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
gateways in one process (tests) keep their spans apart; its sampler and id generator are used
as they are, the spans recorded as :class:`RequestTrace` says and exported by the export
process (``export_process.py``: the batch processor and exporter out of the gateway's way).
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import (
    Link,
    SpanContext,
    SpanKind,
    TraceState,
    get_current_span,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from .spans import LinkRecord, ParentRecord, SpanRecord, TraceRecord, readable_spans

__all__ = [
    "EXPORTERS",
    "RequestTrace",
    "TraceParentTrust",
    "Tracing",
    "exporter_named",
    "gateway_resource",
]

EXPORTERS = ("otlp", "console")
DEFAULT_SERVICE_NAME = "tandem-gateway"
SCOPE_NAME = "tandem.gateway"


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


def gateway_resource() -> _HashedResource:
    """The resource the gateway's spans name: ``OTEL_SERVICE_NAME`` and
    ``OTEL_RESOURCE_ATTRIBUTES`` as the SDK reads them, ``tandem-gateway`` by default."""
    attributes: dict[str, Any] = {}
    if not os.environ.get("OTEL_SERVICE_NAME"):
        attributes[SERVICE_NAME] = DEFAULT_SERVICE_NAME
    return _HashedResource(Resource.create(attributes))


class SpanSink(Protocol):
    """Where finished traces go: the export process, or a span processor in this process."""

    def ship(self, trace: TraceRecord) -> None: ...

    def flush(self, timeout: float = ...) -> bool: ...

    def close(self) -> None: ...


class InProcessSpans:
    """Finished traces handed to a span processor here (an exporter object: the SDK's
    in-memory one in tests)."""

    def __init__(self, processor: SpanProcessor) -> None:
        self.processor = processor
        self.resource = gateway_resource()
        self.scope = InstrumentationScope(SCOPE_NAME)

    def ship(self, trace: TraceRecord) -> None:
        for span in readable_spans(trace, self.resource, self.scope):
            self.processor.on_end(span)

    def flush(self, timeout: float = 30.0) -> bool:
        return self.processor.force_flush(int(timeout * 1000))

    def close(self) -> None:
        self.processor.shutdown()


class Tracing:
    """The gateway's sampler and span ids (the SDK's, as ``OTEL_TRACES_SAMPLER`` says), the
    W3C propagator, the trust in clients' parents and where finished traces go."""

    def __init__(self, provider: TracerProvider, trust: TraceParentTrust, sink: SpanSink) -> None:
        self.provider = provider
        self.sink = sink
        self.sampler = provider.sampler  # OTEL_TRACES_SAMPLER (default: parent, else always)
        self.ids = provider.id_generator
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
        """Tracing exporting to ``exporter``: a name of :data:`EXPORTERS` (exported by the
        export process: ``export_process.py``), or an exporter object (in this process,
        batched unless ``batch`` is False: tests pass the SDK's in-memory one)."""
        provider = TracerProvider(resource=gateway_resource())
        sink: SpanSink
        if isinstance(exporter, str):
            from .export_process import ExportProcess

            if exporter not in EXPORTERS:
                raise ValueError(f"unknown trace exporter {exporter!r}")
            sink = ExportProcess(exporter)
        else:
            processor = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
            sink = InProcessSpans(processor)
        return cls(provider, trust, sink)

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

    def flush(self, timeout: float = 30.0) -> bool:
        """Export every finished trace now (benchmarks, tests); False if not in ``timeout``."""
        return self.sink.flush(timeout)

    def close(self) -> None:
        """Export what is left and stop."""
        self.sink.close()
        self.provider.shutdown()


def _state(state: TraceState | None) -> tuple[tuple[str, str], ...]:
    return tuple(state.items()) if state else ()


class RequestTrace:
    """One request's spans, recorded as plain values while it runs (``spans.py``) and handed
    to the tracing's sink when it ends.

    Why not the SDK's tracer for each span: a tracer's span takes a sampler call, a lock,
    bounded attribute maps and two processor calls; on the storefront query (a root, four
    phases, six fetches) that was a fifth of the gateway's CPU. Here the sampler decides once
    per request, a child span is a clock reading, an id and a tuple, and the SDK's spans are
    built by the export process.
    """

    __slots__ = (
        "ids",
        "links",
        "parent",
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
        self.started = time.time_ns()
        self.spans: list[SpanRecord] = []

    def new_id(self) -> int:
        return self.ids.generate_span_id()

    def traceparent(self, span_id: int) -> str:
        """The W3C ``traceparent`` naming ``span_id`` in this trace."""
        return f"00-{self.trace_id:032x}-{span_id:016x}-{'01' if self.sampled else '00'}"

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
        self.spans.append((name, span_id, parent_id, start, end, attributes, kind.value, error))

    def finish(self, name: str, attributes: Mapping[str, Any], error: str | None) -> None:
        """The root span ends: it and its children go to the tracing's sink."""
        parent = self.parent
        spans = self.spans
        spans.append(
            (
                name,
                self.root_id,
                0,
                self.started,
                time.time_ns(),
                attributes,
                SpanKind.SERVER.value,
                error,
            )
        )
        self.spans = []
        remote: ParentRecord | None = None
        if parent is not None:
            remote = (
                parent.trace_id,
                parent.span_id,
                int(parent.trace_flags),
                _state(parent.trace_state),
            )
        links: tuple[LinkRecord, ...] = tuple(
            (
                link.context.trace_id,
                link.context.span_id,
                int(link.context.trace_flags),
                _state(link.context.trace_state),
                dict(link.attributes or {}),
            )
            for link in self.links
        )
        trace: TraceRecord = (
            self.trace_id,
            self.sampled,
            _state(self.trace_state),
            remote,
            links,
            spans,
        )
        self.tracing.sink.ship(trace)


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
