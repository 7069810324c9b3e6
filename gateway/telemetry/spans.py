"""A finished request's spans as plain values, and the SDK spans they stand for.

A request records its spans as plain tuples of names, ids, times and attributes
(:class:`~gateway.telemetry.tracing.RequestTrace`); only when it ends do they become the SDK's
:class:`ReadableSpan`, the form span processors and exporters take. The plain form is what
crosses to the export process (``export_process.py``): plain tuples pickle in microseconds
(named tuples took four times as long: their ``__reduce_ex__`` runs in Python),
where building, encoding and sending the SDK's spans cost the gateway a tenth of its CPU on
the storefront benchmark.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace import TraceState as SdkTraceState

__all__ = ["LinkRecord", "ParentRecord", "SpanRecord", "TraceRecord", "readable_spans"]

TraceStateItems = tuple[tuple[str, str], ...]


SpanRecord = tuple[str, int, int, int, int, Mapping[str, Any] | None, int, str | None]
"""One finished span: name, span id, parent id (0: the trace's parent, so the root span),
start and end (nanoseconds since the epoch), attributes, kind (``SpanKind``'s value), error
code (its status is then an error)."""

ParentRecord = tuple[int, int, int, TraceStateItems]
"""The remote span a trusted client's ``traceparent`` named: trace id, span id, flags, state."""

LinkRecord = tuple[int, int, int, TraceStateItems, Mapping[str, Any]]
"""A link to another trace's span (an untrusted client's ``traceparent``): trace id, span id,
flags, state, the link's attributes."""

TraceRecord = tuple[
    int, bool, TraceStateItems, ParentRecord | None, tuple[LinkRecord, ...], list[SpanRecord]
]
"""One request's spans: trace id, sampled, trace state, parent, links, and the spans (its
children in the order they ended, then its root)."""


_UNSET = Status(StatusCode.UNSET)
_ERROR = Status(StatusCode.ERROR)
_KINDS = {kind.value: kind for kind in SpanKind}


def readable_spans(
    trace: TraceRecord, resource: Resource, scope: InstrumentationScope
) -> list[ReadableSpan]:
    """The SDK's spans for ``trace``: what a span processor's ``on_end`` takes."""
    trace_id, sampled, trace_state, parent, link_records, span_records = trace
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    state = SdkTraceState(list(trace_state)) if trace_state else None
    contexts: dict[int, SpanContext] = {}

    def context(span_id: int) -> SpanContext:
        known = contexts.get(span_id)
        if known is None:
            known = contexts[span_id] = SpanContext(trace_id, span_id, False, flags, state)
        return known

    remote = _remote(*parent) if parent is not None else None
    links = tuple(
        Link(_remote(link_trace, link_span, link_flags, link_state), attributes)
        for link_trace, link_span, link_flags, link_state, attributes in link_records
    )
    spans = []
    for name, span_id, parent_id, start, end, attributes, kind, error in span_records:
        root = parent_id == 0
        spans.append(
            ReadableSpan(
                name,
                context(span_id),
                remote if root else context(parent_id),
                resource,
                attributes or {},
                links=links if root else (),
                kind=_KINDS[kind],
                status=_ERROR if error is not None else _UNSET,
                start_time=start,
                end_time=end,
                instrumentation_scope=scope,
            )
        )
    return spans


def _remote(trace_id: int, span_id: int, flags: int, state: TraceStateItems) -> SpanContext:
    """Another process's span: a trusted client's parent, or a link's target."""
    return SpanContext(
        trace_id, span_id, True, TraceFlags(flags), SdkTraceState(list(state)) if state else None
    )
