"""Telemetry's own CPU per storefront request, in one process: the figure the machine's noise
leaves alone.

    .venv/bin/python benchmarks/telemetry_path.py [--requests 3000] [--rounds 6]

``benchmarks/telemetry.py`` compares whole gateways under load, where the other processes on a
shared machine move the gateway's throughput and CPU per request by more than telemetry's
share of them. This runs only what telemetry adds to a request, with the notes the pipeline
and the executor make on the storefront query (``gateway/telemetry/observation.py``: the
request, parse, authorize, plan from the cache, six subgraph fetches with their
``traceparent``, protect, the answer), through the same ``Telemetry`` the HTTP layer uses:
``off`` (neither metrics nor tracing), ``metrics`` and ``on`` (metrics, every request traced,
the SDK's batch span processor exporting over OTLP/HTTP to ``otlp_sink.py``, flushed at the
end of each round). Rounds alternate the three in ABBA order; it prints each one's CPU per
request (process time: the exporter's thread included) and the medians. Set the ``OTEL_BSP_*``
variables to try the batch processor's settings.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from run import cpu_seconds  # noqa: E402
from starlette.requests import Request  # noqa: E402
from telemetry import start_sink  # noqa: E402

from gateway.telemetry import Telemetry, observing  # noqa: E402
from gateway.telemetry.metrics import Metrics  # noqa: E402
from gateway.telemetry.tracing import TraceParentTrust, Tracing  # noqa: E402

QUERY = (HERE / "queries" / "storefront.graphql").read_text()
FETCHES = ("products", "inventory", "reviews", "accounts", "products", "inventory")
SCOPE = {
    "type": "http",
    "method": "POST",
    "path": "/graphql",
    "headers": [(b"content-type", b"application/json")],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 4000),
    "scheme": "http",
    "query_string": b"",
    "root_path": "",
}


class Drops(logging.Handler):
    """Whether the SDK said it dropped spans (the exporter then did less than was asked)."""

    seen = False

    def emit(self, record: logging.LogRecord) -> None:
        if "dropping" in record.getMessage() or "dropped" in record.getMessage():
            self.seen = True


def request(telemetry: Telemetry) -> None:
    """What telemetry sees of one storefront request, in the pipeline's order."""
    observed = telemetry.begin(Request(SCOPE), "7f3c2a9e4b1d4c6f8a0e5d2b9c1f3a7e")
    with observing(observed):
        with observed.phase("graphql.parse"):
            observed.document_cached = True
        observed.identify(QUERY, "Storefront", "query")
        with observed.phase("graphql.authorize"):
            pass
        observed.plan_cached = True
        observed.phase("graphql.plan", {"tandem.plan.cache_hit": True}).end()
        for name in FETCHES:
            fetch = observed.fetch(name)
            fetch.headers({"content-type": "application/json"})
            fetch.end()
        with observed.phase("graphql.protect"):
            pass
        observed.answered({"data": {}})
    telemetry.finish(observed, 200)


def export_process_cpu(telemetry: Telemetry) -> float:
    """Seconds of CPU the trace export process has used (0 without one)."""
    sink = telemetry.tracing.sink if telemetry.tracing is not None else None
    process = getattr(sink, "process", None)
    return cpu_seconds([process.pid]) if process is not None else 0.0


def cpu_per_request(telemetry: Telemetry, count: int) -> tuple[float, float]:
    """Microseconds of this process's CPU per request and of the export process's, the spans
    exported. The requests run in an event loop, as the gateway's do (traces are sent to the
    export process in batches)."""

    async def requests() -> None:
        for _ in range(count):
            request(telemetry)
            await asyncio.sleep(0)

    exported_before = export_process_cpu(telemetry)
    started = time.process_time()
    asyncio.run(requests())
    if telemetry.tracing is not None:
        telemetry.tracing.flush()
    ours = 1e6 * (time.process_time() - started) / count
    return ours, 1e6 * (export_process_cpu(telemetry) - exported_before) / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000, help="per round and variant")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tandem-telemetry-path-") as folder:
        sink, sink_url = start_sink(Path(folder))
        try:
            os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = f"{sink_url}/v1/traces"
            os.environ["OTEL_TRACES_SAMPLER"] = "always_on"
            # the rounds make spans faster than a gateway would: room for all of them
            os.environ.setdefault("OTEL_BSP_MAX_QUEUE_SIZE", str(12 * args.requests))
            drops = Drops()
            logging.getLogger().addHandler(drops)
            tracing = Tracing.create("otlp", TraceParentTrust([]))
            variants = {
                "off": Telemetry(),
                "metrics": Telemetry(Metrics()),
                "on": Telemetry(Metrics(), tracing),
            }
            for telemetry in variants.values():
                cpu_per_request(telemetry, 300)  # warm-up
            results: dict[str, list[float]] = {label: [] for label in variants}
            exported: list[float] = []  # the export process's us of CPU per request
            labels = list(variants)
            for round_no in range(args.rounds):
                for label in labels if round_no % 2 == 0 else labels[::-1]:
                    ours, exporter = cpu_per_request(variants[label], args.requests)
                    results[label].append(ours)
                    if label == "on":
                        exported.append(exporter)
            tracing.close()
        finally:
            sink.stop()
    if drops.seen:
        raise SystemExit(
            "the batch span processor dropped spans (queue full): raise OTEL_BSP_MAX_QUEUE_SIZE"
        )
    medians = {label: sorted(values)[len(values) // 2] for label, values in results.items()}
    print(f"storefront-shaped requests, {args.requests} x {args.rounds} rounds each (ABBA)")
    for label, values in results.items():
        added = medians[label] - medians["off"]
        print(
            f"telemetry {label:7s}: {medians[label]:7.1f} us CPU per request (median; "
            f"{added:+.1f} us) {[round(v, 1) for v in values]}"
        )
    print(
        f"the export process  : {sorted(exported)[len(exported) // 2]:7.1f} us CPU per request "
        f"(median) {[round(v, 1) for v in exported]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
