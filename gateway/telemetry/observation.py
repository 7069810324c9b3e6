"""What one GraphQL operation leaves for telemetry, gathered as it runs.

The HTTP layer makes an :class:`Observation` per operation and installs it for the task
(:func:`observing`); the pipeline and the executor find it with :func:`observation` and note
what they learn (the operation, the caches' answers, denials, decryptions, each subgraph
fetch). When the operation ends, ``recorder.py`` turns the notes into metrics, a log line and
the root span's attributes, all in one place.

Why notes rather than calls into OpenTelemetry and prometheus-client where things happen: the
pipeline is the gateway's hot path. Untraced (the default), a phase is one shared no-op context
manager and a fetch a small object holding a clock reading; only a request whose trace is
sampled records spans (:class:`~gateway.telemetry.tracing.RequestTrace`). Outside the HTTP
layer (``tandem plan``, a reload warming plans, tests calling
:class:`~gateway.pipeline.Gateway` directly) :func:`observation` gives a shared observation
whose notes nobody reads.

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

from opentelemetry.trace import SpanKind

if TYPE_CHECKING:
    from .tracing import RequestTrace

__all__ = ["Fetch", "Observation", "Phase", "observation", "observing"]

REQUEST_ID_HEADER = "x-request-id"


class Phase:
    """A pipeline phase recorded as a child span (when the request is sampled), or the
    shared no-op."""

    __slots__ = ("attributes", "name", "observation", "started")

    def __init__(
        self,
        observation: Observation | None = None,
        name: str = "",
        attributes: Mapping[str, str | bool] | None = None,
    ) -> None:
        self.observation = observation
        self.name = name
        self.attributes = attributes
        self.started = time.time_ns() if observation is not None else 0

    def __enter__(self) -> Phase:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.end(error)

    def end(self, error: BaseException | None = None) -> None:
        observed = self.observation
        if observed is None:
            return
        trace = observed.trace
        assert trace is not None
        code = None
        if error is not None:
            code = getattr(error, "code", None) or type(error).__name__
        trace.record(
            self.name,
            trace.new_id(),
            observed.span_id,
            self.started,
            time.time_ns(),
            self.attributes,
            error=code,
        )


_NO_PHASE = Phase()


class Fetch:
    """One subgraph fetch: its duration and outcome, its span when sampled."""

    __slots__ = ("observation", "service_name", "span_id", "started", "wall")

    def __init__(self, observation: Observation, service_name: str) -> None:
        self.observation = observation
        self.service_name = service_name
        trace = observation.trace
        self.span_id = trace.new_id() if trace is not None else 0
        self.wall = time.time_ns() if observation.recording else 0
        self.started = time.perf_counter()

    def headers(self, headers: Mapping[str, str] | None) -> Mapping[str, str] | None:
        """``headers`` plus the request id and, when traced, ``traceparent`` naming this fetch
        (a request that joins an identical one in flight carries the first one's: see
        ``executor/in_flight.py``)."""
        observation = self.observation
        request_id = observation.request_id
        trace = observation.trace
        if request_id is None and trace is None:
            return headers
        extra = dict(headers) if headers else {}
        if request_id is not None:
            extra[REQUEST_ID_HEADER] = request_id
        if trace is not None:
            extra["traceparent"] = trace.traceparent(self.span_id)
        return extra

    def end(self, code: str | None = None) -> None:
        """The fetch is over: ``code`` is its error's (None: the subgraph answered)."""
        seconds = time.perf_counter() - self.started
        observation = self.observation
        observation.fetches.append((self.service_name, seconds, code))
        if observation.recording:
            trace = observation.trace
            assert trace is not None
            trace.record(
                f"subgraph {self.service_name}",
                self.span_id,
                observation.span_id,
                self.wall,
                self.wall + int(seconds * 1e9),
                {"subgraph.name": self.service_name},
                kind=SpanKind.CLIENT,
                error=code,
            )


class Observation:
    """The notes of one operation (see the module docstring)."""

    __slots__ = (
        "batch_index",
        "cost",
        "decryptions",
        "denied",
        "document_cached",
        "error_code",
        "fetches",
        "http",
        "kind",
        "operation_name",
        "outcome",
        "plan_cached",
        "query",
        "recording",
        "request_id",
        "span_id",
        "started",
        "started_ns",
        "subject",
        "trace",
    )

    def __init__(
        self,
        request_id: str | None = None,
        *,
        trace: RequestTrace | None = None,
        span_id: int | None = None,
        started: float | None = None,
    ) -> None:
        self.request_id = request_id
        self.started = time.perf_counter() if started is None else started
        self.trace = trace  # the request's trace when tracing is on (tracing.py)
        self.recording = trace is not None and trace.sampled
        # the span this operation's children hang under: the request's root, or in a batch
        # the operation's own
        self.span_id = span_id if span_id is not None else trace.root_id if trace else 0
        self.started_ns = time.time_ns() if self.recording else 0
        self.batch_index: int | None = None
        self.cost: Any = None  # the demand-control report (gateway/demand), when costs are on
        self.http: tuple[str, str] | None = None  # the request's method and path
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
        """A child span named ``name`` when this request is sampled, else the shared no-op."""
        if not self.recording:
            return _NO_PHASE
        return Phase(self, name, attributes)

    def fetch(self, service_name: str) -> Fetch:
        """A subgraph fetch starting now."""
        return Fetch(self, service_name)

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
