"""A finished request's spans as plain values, and the SDK spans they stand for.

A request records its spans as tuples of names, ids, times and attributes
(:class:`~gateway.telemetry.tracing.RequestTrace`); only when it ends do they become the SDK's
:class:`ReadableSpan`, the form span processors and exporters take. The plain form is what
crosses to the export process (``export_process.py``): plain values pickle in microseconds,
where building, encoding and sending the SDK's spans cost the gateway a tenth of its CPU on
the storefront benchmark.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace import TraceState as SdkTraceState

__all__ = ["LinkRecord", "ParentRecord", "SpanRecord", "TraceRecord", "readable_spans"]

TraceStateItems = tuple[tuple[str, str], ...]


class SpanRecord(NamedTuple):
    """One finished span; ``parent_id`` 0 names the trace's parent (the root span)."""

    name: str
    span_id: int
    parent_id: int
    start: int  # nanoseconds since the epoch
    end: int
    attributes: Mapping[str, Any] | None
    kind: int  # SpanKind's value
    error: str | None  # the error's code: the span's status is an error


class ParentRecord(NamedTuple):
    """The remote span a trusted client's ``traceparent`` named."""

    trace_id: int
    span_id: int
    flags: int
    state: TraceStateItems


class LinkRecord(NamedTuple):
    """A link to another trace's span (an untrusted client's ``traceparent``)."""

    trace_id: int
    span_id: int
    flags: int
    state: TraceStateItems
    attributes: Mapping[str, Any]


class TraceRecord(NamedTuple):
    """One request's spans: its children in the order they ended, then its root."""

    trace_id: int
    sampled: bool
    state: TraceStateItems
    parent: ParentRecord | None
    links: tuple[LinkRecord, ...]
    spans: list[SpanRecord]


_UNSET = Status(StatusCode.UNSET)
_ERROR = Status(StatusCode.ERROR)
_KINDS = {kind.value: kind for kind in SpanKind}


def readable_spans(
    trace: TraceRecord | tuple[Any, ...], resource: Resource, scope: InstrumentationScope
) -> list[ReadableSpan]:
    """The SDK's spans for ``trace`` (the named tuples, or the same as plain tuples: what
    the export process receives): what a span processor's ``on_end`` takes."""
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
