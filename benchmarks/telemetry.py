"""Throughput with telemetry on (every trace sampled and exported over OTLP, metrics on)
against telemetry off, in one run.

    .venv/bin/python benchmarks/telemetry.py [--duration 15] [--rounds 2] [--query storefront]
                                             [--logs]

Starts the benchmark subgraphs once, and an OTLP/HTTP sink in this process (it reads each
export and answers 200, as a collector would, without decoding it), then alternates two
``tandem serve`` gateways on them (rounds x each): ``off`` (``TANDEM_METRICS=0``, no tracing)
and ``on`` (``TANDEM_TRACING=otlp`` with ``OTEL_TRACES_SAMPLER=always_on`` to the sink,
metrics on; ``--logs`` adds the JSON request line at ``info``, written to the log file).
Both answer the same response, checked before loading; ``on`` must have exported spans and
served ``/metrics``. Prints RPS and the gateway's CPU per request per round, the means, the
throughput loss (bar: under 10 %) and the added CPU per request.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from authz_overhead import HEADERS, start_subgraphs, wrk_rps  # noqa: E402
from run import (  # noqa: E402
    Proc,
    cpu_seconds,
    ensure_wrk,
    free_port,
    log,
    spawn,
    wait_graphql_ready,
)


class Sink:
    """An OTLP/HTTP endpoint that takes every export (counted, not decoded)."""

    def __init__(self) -> None:
        sink = self
        self.exports = 0
        self.bytes = 0

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                size = int(self.headers.get("content-length") or 0)
                self.rfile.read(size)
                sink.exports += 1
                sink.bytes += size
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_gateway(
    supergraph: Path, label: str, settings: dict[str, str], log_dir: Path
) -> tuple[Proc, str]:
    port = free_port()
    cmd = [str(REPO / ".venv" / "bin" / "tandem"), "serve", "--supergraph", str(supergraph)]
    cmd += ["--port", str(port)]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "TANDEM_"))},
        "TANDEM_DEV_IDENTITY": "1",
        "TANDEM_DATA_DIR": str(log_dir / "data"),
        **settings,
    }
    proc = spawn(f"tandem-telemetry-{label}", cmd, log_dir, env=env, cwd=REPO)
    url = f"http://127.0.0.1:{port}/graphql"
    wait_graphql_ready(proc, url, "{ __typename }", 60)
    return proc, url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--query", default="storefront")
    parser.add_argument("--logs", action="store_true", help="add the JSON request line")
    parser.add_argument(
        "--metrics-only", action="store_true", help="a third gateway: metrics on, no tracing"
    )
    args = parser.parse_args()
    wrk = ensure_wrk()
    query = (HERE / "queries" / f"{args.query}.graphql").read_text()
    variables_file = HERE / "queries" / f"{args.query}.variables.json"
    variables = json.loads(variables_file.read_text()) if variables_file.exists() else None
    body = json.dumps({"query": query, "variables": variables})
    sink = Sink()
    on = {
        "TANDEM_TRACING": "otlp",
        "OTEL_TRACES_SAMPLER": "always_on",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": sink.endpoint,
        "TANDEM_METRICS": "1",
    }
    if args.logs:
        on |= {"TANDEM_LOG_LEVEL": "info", "TANDEM_LOG_FORMAT": "json"}
    variants = {"off": {"TANDEM_METRICS": "0", "TANDEM_TRACING": "off"}, "on": on}
    if args.metrics_only:
        variants["metrics"] = {"TANDEM_METRICS": "1", "TANDEM_TRACING": "off"}
    results: dict[str, list[float]] = {label: [] for label in variants}
    cpu: dict[str, list[float]] = {label: [] for label in variants}  # ms per request
    with tempfile.TemporaryDirectory(prefix="tandem-telemetry-") as folder:
        tmp = Path(folder)
        sub_procs, supergraph = start_subgraphs(tmp)
        try:
            reference = None
            for round_no in range(args.rounds):
                for label, settings in variants.items():
                    proc, url = run_gateway(supergraph, label, settings, tmp)
                    try:
                        headers = {"content-type": "application/json", **HEADERS}
                        answer = httpx.post(url, content=body, headers=headers, timeout=30).json()
                        if "errors" in answer:
                            raise SystemExit(f"{label}: errors: {answer['errors'][:3]}")
                        if reference is None:
                            reference = answer
                        elif answer != reference:
                            raise SystemExit(f"{label}: a different response")
                        exports = sink.exports
                        wrk_rps(wrk, url, body, 3, args.connections, tmp)  # warm-up
                        before = cpu_seconds([proc.popen.pid])
                        rps = wrk_rps(wrk, url, body, args.duration, args.connections, tmp)
                        used = cpu_seconds([proc.popen.pid]) - before
                        cpu[label].append(1000 * used / (rps * args.duration))
                        metrics = httpx.get(url.replace("/graphql", "/metrics"), timeout=10)
                        if label == "on" and sink.exports == exports:
                            raise SystemExit("on: no spans exported")
                        if (metrics.status_code == 200) != (label != "off"):
                            raise SystemExit(f"{label}: /metrics answered {metrics.status_code}")
                        results[label].append(rps)
                        log(
                            f"round {round_no + 1}: {label:4s} {rps:8.1f} RPS, "
                            f"{cpu[label][-1]:.2f} ms CPU per request"
                        )
                    finally:
                        proc.stop()
                        time.sleep(0.5)
        finally:
            for proc in sub_procs:
                proc.stop()
            sink.close()
    mean = {k: sum(v) / len(v) for k, v in results.items()}
    cpu_mean = {k: sum(v) / len(v) for k, v in cpu.items()}
    loss = 100 * (1 - mean["on"] / mean["off"])
    print(
        f"\nquery {args.query!r}, {args.connections} connections, {args.duration}s x "
        f"{args.rounds} rounds each; spans exported: {sink.exports} exports, "
        f"{sink.bytes / 1e6:.1f} MB{'; request log lines on' if args.logs else ''}"
    )
    for label in variants:
        added = 100 * (cpu_mean[label] / cpu_mean["off"] - 1)
        print(
            f"telemetry {label:7s}: {mean[label]:8.1f} RPS  {results[label]}; "
            f"{cpu_mean[label]:.2f} ms gateway CPU per request ({added:+.1f} %)"
        )
    print(f"throughput loss (on): {loss:5.1f} %  (bar: under 10 %)")
    return 0 if loss < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
