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
gateways in one process (tests) keep their spans apart.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.trace import Link, Span, SpanKind, get_current_span, set_span_in_context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

__all__ = ["EXPORTERS", "TraceParentTrust", "Tracing", "exporter_named"]

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
    """The gateway's tracer, the W3C propagator and the trust in clients' parents."""

    def __init__(self, provider: TracerProvider, trust: TraceParentTrust) -> None:
        self.provider = provider
        self.tracer = provider.get_tracer("tandem.gateway")
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
        return cls(provider, trust)

    def start(self, headers: Mapping[str, str], client: str | None, name: str) -> Span:
        """The request's server span: a child of the client's ``traceparent`` when the client
        is trusted, else a new trace linked to it."""
        carrier = {"traceparent": headers.get("traceparent") or ""}
        if "tracestate" in headers:
            carrier["tracestate"] = headers["tracestate"]
        context: Context | None = None
        links: list[Link] = []
        if carrier["traceparent"]:
            given = self.propagator.extract(carrier)
            if self.trust.trusts(client):
                context = given
            else:
                parent = get_current_span(given).get_span_context()
                if parent.is_valid:
                    links.append(Link(parent, {"tandem.link": "untrusted traceparent"}))
                context = Context()
        return self.tracer.start_span(name, context=context, kind=SpanKind.SERVER, links=links)

    def child(self, parent: Span, name: str) -> Span:
        """A span below ``parent`` (an operation of a batch)."""
        return self.tracer.start_span(name, context=set_span_in_context(parent))

    def inject(self, headers: MutableMapping[str, str], span: Span | None, parent: Context) -> None:
        """Add ``traceparent`` (and ``tracestate``) naming ``span`` (else ``parent``'s)."""
        self.propagator.inject(headers, set_span_in_context(span) if span is not None else parent)

    def close(self) -> None:
        """Export what is left and stop."""
        self.provider.shutdown()
