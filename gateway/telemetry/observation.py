"""What one GraphQL operation leaves for telemetry, gathered as it runs.

The HTTP layer makes an :class:`Observation` per operation and installs it for the task
(:func:`observing`); the pipeline and the executor find it with :func:`observation` and note
what they learn (the operation, the caches' answers, denials, decryptions, each subgraph
fetch). When the operation ends, ``recorder.py`` turns the notes into metrics, a log line and
the root span's attributes, all in one place.

Why notes rather than calls into OpenTelemetry and prometheus-client where things happen: the
pipeline is the gateway's hot path. Untraced (the default), a phase is one shared no-op context
manager and a fetch a small object holding a clock reading; only a request whose trace is
sampled builds spans. Outside the HTTP layer (``tandem plan``, a reload warming plans, tests
calling :class:`~gateway.pipeline.Gateway` directly) :func:`observation` gives a shared
observation whose notes nobody reads.

Nothing noted here holds a variable's value, a token or a decrypted value: operation names,
coordinates, subgraph names, error codes, durations.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer

__all__ = ["Fetch", "Observation", "Phase", "observation", "observing"]

REQUEST_ID_HEADER = "x-request-id"


class Phase:
    """A pipeline phase as a span (``tracing.py`` makes them), or the shared no-op."""

    __slots__ = ("span",)

    def __init__(self, span: Span | None = None) -> None:
        self.span = span

    def __enter__(self) -> Phase:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.end(error)

    def set(self, name: str, value: str | bool | int) -> None:
        if self.span is not None:
            self.span.set_attribute(name, value)

    def end(self, error: BaseException | None = None) -> None:
        span = self.span
        if span is not None:
            if error is not None:
                _failed(span, getattr(error, "code", None) or type(error).__name__)
            span.end()


_NO_PHASE = Phase()


class Fetch:
    """One subgraph fetch: its duration and outcome, its span when traced."""

    __slots__ = ("observation", "service_name", "span", "started")

    def __init__(self, observation: Observation, service_name: str, span: Span | None) -> None:
        self.observation = observation
        self.service_name = service_name
        self.span = span
        self.started = time.perf_counter()

    def headers(self, headers: Mapping[str, str] | None) -> Mapping[str, str] | None:
        """``headers`` plus the request id and, when traced, ``traceparent`` naming this fetch
        (a request that joins an identical one in flight carries the first one's: see
        ``executor/in_flight.py``)."""
        observation = self.observation
        request_id = observation.request_id
        if request_id is None:
            return headers
        extra = dict(headers) if headers else {}
        extra[REQUEST_ID_HEADER] = request_id
        tracing = observation.tracing
        if tracing is not None and observation.parent is not None:
            tracing.inject(extra, self.span, observation.parent)
        return extra

    def end(self, code: str | None = None) -> None:
        """The fetch is over: ``code`` is its error's (None: the subgraph answered)."""
        seconds = time.perf_counter() - self.started
        self.observation.fetches.append((self.service_name, seconds, code))
        span = self.span
        if span is not None:
            if code is not None:
                _failed(span, code)
            span.end()


class Observation:
    """The notes of one operation (see the module docstring)."""

    __slots__ = (
        "batch_index",
        "decryptions",
        "denied",
        "document_cached",
        "error_code",
        "fetches",
        "kind",
        "operation_name",
        "outcome",
        "parent",
        "plan_cached",
        "query",
        "request_id",
        "span",
        "started",
        "subject",
        "tracer",
        "tracing",
    )

    def __init__(
        self,
        request_id: str | None = None,
        *,
        tracing: Any = None,
        span: Span | None = None,
        started: float | None = None,
    ) -> None:
        self.request_id = request_id
        self.started = time.perf_counter() if started is None else started
        self.tracing = tracing  # the Tracing (tracing.py) when traces are on, else None
        self.span = span  # the operation's span when this request is sampled
        self.tracer: Tracer | None = None  # set when this request is sampled
        self.parent: Context | None = None  # the context children start in, and propagate
        if span is not None:
            from opentelemetry.trace import set_span_in_context

            self.parent = set_span_in_context(span)
            if span.is_recording():
                self.tracer = tracing.tracer
        self.batch_index: int | None = None
        self.subject: str | None = None
        self.query: str | None = None
        self.operation_name: str | None = None
        self.kind: str | None = None
        self.outcome = "error"
        self.error_code: str | None = None
        self.document_cached: bool | None = None
        self.plan_cached: bool | None = None
        self.denied: set[str] = set()  # coordinates answered FORBIDDEN
        self.decryptions: list[str] = []
        self.fetches: list[tuple[str, float, str | None]] = []

    def phase(self, name: str, attributes: Mapping[str, str | bool] | None = None) -> Phase:
        """A child span named ``name`` when this request is traced, else the shared no-op."""
        tracer = self.tracer
        if tracer is None:
            return _NO_PHASE
        return Phase(tracer.start_span(name, context=self.parent, attributes=attributes))

    def fetch(self, service_name: str) -> Fetch:
        """A subgraph fetch starting now (a client span when this request is traced)."""
        tracer = self.tracer
        span = None
        if tracer is not None:
            from opentelemetry.trace import SpanKind

            span = tracer.start_span(
                f"subgraph {service_name}",
                context=self.parent,
                kind=SpanKind.CLIENT,
                attributes={"subgraph.name": service_name},
            )
        return Fetch(self, service_name, span)

    def identify(self, query: str, name: str | None, kind: str) -> None:
        """The operation is known: its document's text (hashed only if needed), name, kind."""
        self.query = query
        self.operation_name = name
        self.kind = kind

    def answered(self, response: Mapping[str, Any]) -> None:
        """The operation ran: ``success`` without errors, ``partial`` with data and errors,
        ``error`` with errors and no data; the coordinates it was refused (once each)."""
        errors = response.get("errors")
        if not errors:
            self.outcome = "success"
            return
        self.outcome = "partial" if response.get("data") is not None else "error"
        for error in errors:  # a denial, whoever decided it: the policy, a relation, a key
            extensions = error.get("extensions") or {}
            if extensions.get("code") == "FORBIDDEN" and "coordinate" in extensions:
                self.denied.add(extensions["coordinate"])

    def refused(self, code: str) -> None:
        self.outcome = "error"
        self.error_code = code


def _failed(span: Span, code: str) -> None:
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute("error.type", code)
    span.set_status(Status(StatusCode.ERROR))


class _NoFetch(Fetch):
    """A fetch outside any request: nothing kept."""

    __slots__ = ()

    def __init__(self) -> None:
        pass

    def headers(self, headers: Mapping[str, str] | None) -> Mapping[str, str] | None:
        return headers

    def end(self, code: str | None = None) -> None:
        pass


_NO_FETCH = _NoFetch()


class _Unobserved(Observation):
    """The notes of work outside an HTTP request: nobody reads them, no fetch is kept."""

    __slots__ = ()

    def fetch(self, service_name: str) -> Fetch:
        return _NO_FETCH


_UNOBSERVED = _Unobserved()
_current: ContextVar[Observation] = ContextVar("tandem_observation", default=_UNOBSERVED)


def observation() -> Observation:
    """The running operation's observation (a shared unread one outside the HTTP layer)."""
    return _current.get()


@contextmanager
def observing(observed: Observation) -> Iterator[Observation]:
    """Make ``observed`` the running operation's observation inside the block."""
    token = _current.set(observed)
    try:
        yield observed
    finally:
        _current.reset(token)
