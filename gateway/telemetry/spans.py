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


def readable_spans(
    trace: TraceRecord, resource: Resource, scope: InstrumentationScope
) -> list[ReadableSpan]:
    """The SDK's spans for ``trace``: what a span processor's ``on_end`` takes."""
    flags = TraceFlags(TraceFlags.SAMPLED if trace.sampled else TraceFlags.DEFAULT)
    state = SdkTraceState(list(trace.state)) if trace.state else None
    contexts: dict[int, SpanContext] = {}

    def context(span_id: int) -> SpanContext:
        known = contexts.get(span_id)
        if known is None:
            known = contexts[span_id] = SpanContext(trace.trace_id, span_id, False, flags, state)
        return known

    parent = trace.parent
    remote = (
        SpanContext(
            parent.trace_id,
            parent.span_id,
            True,
            TraceFlags(parent.flags),
            SdkTraceState(list(parent.state)) if parent.state else None,
        )
        if parent is not None
        else None
    )
    links = tuple(
        Link(
            SpanContext(
                link.trace_id,
                link.span_id,
                True,
                TraceFlags(link.flags),
                SdkTraceState(list(link.state)) if link.state else None,
            ),
            link.attributes,
        )
        for link in trace.links
    )
    spans = []
    for span in trace.spans:
        root = span.parent_id == 0
        spans.append(
            ReadableSpan(
                span.name,
                context(span.span_id),
                remote if root else context(span.parent_id),
                resource,
                span.attributes or {},
                links=links if root else (),
                kind=SpanKind(span.kind),
                status=_ERROR if span.error is not None else _UNSET,
                start_time=span.start,
                end_time=span.end,
                instrumentation_scope=scope,
            )
        )
    return spans
