"""Prometheus metrics with prometheus-client, served as text at ``/metrics``.

Each gateway app has its own :class:`~prometheus_client.CollectorRegistry` (two apps in one
process, as in tests, count apart). Labels hold only what the operator chose or the schema
names: operation names (bounded: past :data:`OPERATION_NAMES_KEPT` distinct names, further
ones count as ``(other)``, so a client inventing names cannot grow the registry), operation
kinds, outcomes, subgraph names, error codes and schema coordinates. Never a variable's value,
a token, a caller's identity or a decrypted value.

Counters and histograms cost a lock and an addition each; one request records about ten.

With several worker processes (``tandem serve --workers N``) a scrape reaches one of them, so
each worker writes its values to files in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's
multiprocess mode, which ``tandem serve`` turns on for its workers) and ``/metrics`` answers
the sum over all of them, whichever worker the scrape reaches.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

if TYPE_CHECKING:
    from .observation import Observation

__all__ = ["CONTENT_TYPE_LATEST", "MULTIPROCESS_DIRECTORY", "OPERATION_NAMES_KEPT", "Metrics"]

MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus-client's variable: where each worker process writes its values (read once, when
the client is imported, so it is set before the workers start)."""

OPERATION_NAMES_KEPT = 500
"""Distinct operation names labelled as themselves; later ones are ``(other)``."""
ANONYMOUS = "(anonymous)"
OTHER = "(other)"
UNKNOWN = "(unknown)"  # a request refused before its operation was known
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    """The gateway's metrics (the README's Operating / Metrics lists them)."""

    def __init__(self, *, operation_names: int = OPERATION_NAMES_KEPT) -> None:
        self.operation_names = operation_names
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "tandem_requests",
            "GraphQL operations by operation name, kind and outcome (success, partial, error)",
            ["operation", "kind", "outcome"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "tandem_request_duration_seconds",
            "Seconds from a request's arrival to its answer, by operation name and kind",
            ["operation", "kind"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.refusals = Counter(
            "tandem_request_errors",
            "Operations refused as a whole, by error code",
            ["code"],
            registry=registry,
        )
        self.subgraph_seconds = Histogram(
            "tandem_subgraph_request_duration_seconds",
            "Seconds a subgraph fetch took, by subgraph",
            ["subgraph"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.subgraph_errors = Counter(
            "tandem_subgraph_errors",
            "Subgraph fetches without a usable answer, by subgraph and code "
            "(SUBGRAPH_TIMEOUT, GATEWAY_TIMEOUT, SUBGRAPH_UNAVAILABLE, ...)",
            ["subgraph", "code"],
            registry=registry,
        )
        self.cache = Counter(
            "tandem_cache_lookups",
            "Document and plan cache lookups, by cache and result (hit, miss)",
            ["cache", "result"],
            registry=registry,
        )
        self.denials = Counter(
            "tandem_authorization_denials",
            "Operations refused a field (FORBIDDEN at its path), by schema coordinate",
            ["coordinate"],
            registry=registry,
        )
        self.decryptions = Counter(
            "tandem_decryptions",
            "Encrypted values given as plaintext, by schema coordinate",
            ["coordinate"],
            registry=registry,
        )
        self.costs = Histogram(
            "tandem_operation_estimated_cost",
            "Operations' estimated cost (demand control, when its mode is not off)",
            buckets=(1, 10, 50, 100, 500, 1000, 5000, 10000, 50000, 100000),
            registry=registry,
        )
        self.cost_refusals = Counter(
            "tandem_cost_refusals",
            "Operations over a cost limit, by code and mode (measure: would have been refused)",
            ["code", "mode"],
            registry=registry,
        )
        self._cache = {
            (cache, hit): self.cache.labels(cache, "hit" if hit else "miss")
            for cache in ("document", "plan")
            for hit in (True, False)
        }
        self._names: set[str] = set()
        # label sets seen, with their children (``labels()`` validates and locks each time)
        self._operations: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._subgraphs: dict[str, Any] = {}
        self._gauges: list[tuple[Gauge, Callable[[], float]]] = []
        self.directory = os.environ.get(MULTIPROCESS_DIRECTORY) or None

    def sessions(self, count: Callable[[], float]) -> None:
        """Report the active browser sessions as ``count()`` says at each scrape (every worker
        counts the same shared store: the one that answers the scrape says)."""
        gauge = Gauge(
            "tandem_sessions_active",
            "Browser sessions alive in this gateway's session store",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        if self.directory is None:
            gauge.set_function(count)
        else:  # a worker's value lives in its file: written when a scrape reaches it
            self._gauges.append((gauge, count))

    def operation_label(self, name: str | None) -> str:
        if name is None:
            return ANONYMOUS
        names = self._names
        if name in names:
            return name
        if len(names) >= self.operation_names:
            return OTHER
        names.add(name)
        return name

    def record(self, observed: Observation, seconds: float) -> None:
        """Count one finished operation."""
        kind = observed.kind
        name = self.operation_label(observed.operation_name) if kind is not None else UNKNOWN
        kind = kind or UNKNOWN
        key = (name, kind, observed.outcome)
        children = self._operations.get(key)
        if children is None:
            children = self._operations[key] = (
                self.requests.labels(*key),
                self.request_seconds.labels(name, kind),
            )
        children[0].inc()
        children[1].observe(seconds)
        if observed.error_code is not None:
            self.refusals.labels(observed.error_code).inc()
        if observed.document_cached is not None:
            self._cache["document", observed.document_cached].inc()
        if observed.plan_cached is not None:
            self._cache["plan", observed.plan_cached].inc()
        for service_name, took, code in observed.fetches:
            histogram = self._subgraphs.get(service_name)
            if histogram is None:
                histogram = self._subgraphs[service_name] = self.subgraph_seconds.labels(
                    service_name
                )
            histogram.observe(took)
            if code is not None:
                self.subgraph_errors.labels(service_name, code).inc()
        for coordinate in observed.denied:
            self.denials.labels(coordinate).inc()
        cost = observed.cost
        if cost is not None:
            self.costs.observe(cost.estimated)
            if cost.refused is not None:
                self.cost_refusals.labels(cost.refused, cost.mode).inc()
        for coordinate in observed.decryptions:
            self.decryptions.labels(coordinate).inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format (every worker's, summed, in multiprocess
        mode)."""
        if self.directory is None:
            return generate_latest(self.registry)
        for gauge, count in self._gauges:
            gauge.set(count())
        registry = CollectorRegistry()
        MultiProcessCollector(registry, self.directory)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
