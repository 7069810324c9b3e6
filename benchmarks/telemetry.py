"""Throughput with telemetry on (every trace sampled and exported over OTLP, metrics on)
against telemetry off, in one run.

    .venv/bin/python benchmarks/telemetry.py [--duration 10] [--rounds 6] [--query storefront]
                                             [--logs] [--metrics-only] [--together]

Starts the benchmark subgraphs, an OTLP/HTTP sink (``otlp_sink.py``: a process of its own at
the lowest CPU priority, counting each export without decoding it, as a collector on another
host would cost this one nothing) and two ``tandem serve`` gateways on them: ``off``
(``TANDEM_METRICS=0``, no tracing) and ``on`` (``TANDEM_TRACING=otlp`` with
``OTEL_TRACES_SAMPLER=always_on`` to the sink, metrics on; ``--logs`` adds the JSON request
line at ``info``, written to the log file). Both answer the same response, checked before a
warm-up of each. The rounds then load one gateway at a time, in ABBA order (off, on, on,
off, ...), so that the machine's changing load weighs on both alike; ``--together`` loads all
of them at once instead (a wrk each), so that they share the same moments of the machine: on a
busy shared machine their CPU per request is compared under the same load. ``on`` must have
exported spans, dropped none (a full queue would spare its exporter work) and served
``/metrics``. Prints RPS and the gateway's CPU per request (from ``/proc``: all its threads and
its trace export process) per round, the means, the throughput loss (bar: under 10 %), each
round's loss against its neighbour and the added CPU per request.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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


def start_sink(log_dir: Path) -> tuple[Proc, str]:
    """The OTLP sink (``otlp_sink.py``) in a process of its own, at the lowest priority."""
    port = free_port()
    proc = spawn("otlp-sink", [sys.executable, str(HERE / "otlp_sink.py"), str(port)], log_dir)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/stats", timeout=2).raise_for_status()
            return proc, base
        except httpx.HTTPError:
            if time.monotonic() > deadline or not proc.alive():
                raise SystemExit(f"the OTLP sink did not start:\n{proc.tail()}") from None
            time.sleep(0.2)


def dropped_spans(proc: Proc) -> bool:
    """Whether the gateway's batch span processor dropped spans (its queue was full): its
    exporter then did less work than the requests asked for, and the comparison is void."""
    text = proc.log_path.read_text(errors="replace")
    return "dropping Span" in text or "spans dropped" in text


def with_children(pid: int) -> list[int]:
    """``pid`` and its child processes (the trace export process: its CPU is the gateway's)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return [pid, *children]


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per round")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--query", default="storefront")
    parser.add_argument("--logs", action="store_true", help="add the JSON request line")
    parser.add_argument(
        "--together", action="store_true", help="load the gateways at once, not one at a time"
    )
    parser.add_argument(
        "--metrics-only", action="store_true", help="a third gateway: metrics on, no tracing"
    )
    args = parser.parse_args()
    wrk = ensure_wrk()
    query = (HERE / "queries" / f"{args.query}.graphql").read_text()
    variables_file = HERE / "queries" / f"{args.query}.variables.json"
    variables = json.loads(variables_file.read_text()) if variables_file.exists() else None
    body = json.dumps({"query": query, "variables": variables})
    headers = {"content-type": "application/json", **HEADERS}
    results: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}  # the gateway's ms of CPU per request, per round
    sink_cpu = 0.0
    export_cpu: list[float] = []  # the "on" gateway's export process: ms of CPU per request
    with tempfile.TemporaryDirectory(prefix="tandem-telemetry-") as folder:
        tmp = Path(folder)
        sub_procs, supergraph = start_subgraphs(tmp)
        sink, sink_url = start_sink(tmp)
        on = {
            "TANDEM_TRACING": "otlp",
            "OTEL_TRACES_SAMPLER": "always_on",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{sink_url}/v1/traces",
            "TANDEM_METRICS": "1",
        }
        if args.logs:
            on |= {"TANDEM_LOG_LEVEL": "info", "TANDEM_LOG_FORMAT": "json"}
        variants = {"off": {"TANDEM_METRICS": "0", "TANDEM_TRACING": "off"}, "on": on}
        if args.metrics_only:
            variants["metrics"] = {"TANDEM_METRICS": "1", "TANDEM_TRACING": "off"}
        gateways: dict[str, tuple[Proc, str]] = {}
        try:
            reference = None
            for label, settings in variants.items():
                proc, url = gateways[label] = run_gateway(supergraph, label, settings, tmp)
                answer = httpx.post(url, content=body, headers=headers, timeout=30).json()
                if "errors" in answer:
                    raise SystemExit(f"{label}: errors: {answer['errors'][:3]}")
                if reference is None:
                    reference = answer
                elif answer != reference:
                    raise SystemExit(f"{label}: a different response")
                wrk_rps(wrk, url, body, 3, args.connections, tmp)  # warm-up
                results[label], cpu[label] = [], []

            def load(label: str) -> tuple[float, float, float, float]:
                """One round of ``label``'s gateway: RPS, its ms of CPU per request (its export
                process's included), the export process's alone and the sink's seconds of CPU
                meanwhile."""
                proc, url = gateways[label]
                folder = tmp / label  # wrk's script, one per gateway (--together runs them at once)
                folder.mkdir(exist_ok=True)
                pids = with_children(proc.popen.pid)
                before, sink_before = cpu_seconds(pids), cpu_seconds([sink.popen.pid])
                children_before = cpu_seconds(pids[1:])
                rps = wrk_rps(wrk, url, body, args.duration, args.connections, folder)
                used = cpu_seconds(pids) - before
                requests = rps * args.duration
                return (
                    rps,
                    1000 * used / requests,
                    1000 * (cpu_seconds(pids[1:]) - children_before) / requests,
                    cpu_seconds([sink.popen.pid]) - sink_before,
                )

            labels = list(variants)
            for round_no in range(args.rounds):
                if args.together:
                    with ThreadPoolExecutor(len(labels)) as pool:
                        loaded = dict(zip(labels, pool.map(load, labels), strict=True))
                else:
                    # ABBA: every other round in the reverse order, so that a drift in the
                    # machine's load weighs on every gateway alike
                    order = labels if round_no % 2 == 0 else labels[::-1]
                    loaded = {label: load(label) for label in order}
                for label, (rps, ms, export_ms, sink_seconds) in loaded.items():
                    if label == "on":
                        sink_cpu += sink_seconds
                        export_cpu.append(export_ms)
                    results[label].append(rps)
                    cpu[label].append(ms)
                    log(f"round {round_no + 1}: {label:7s} {rps:8.1f} RPS, {ms:.2f} ms CPU/request")
            for label, (_, url) in gateways.items():
                metrics = httpx.get(url.replace("/graphql", "/metrics"), timeout=10)
                if (metrics.status_code == 200) != (label != "off"):
                    raise SystemExit(f"{label}: /metrics answered {metrics.status_code}")
            stats = httpx.get(f"{sink_url}/stats", timeout=10).json()
            if stats["exports"] == 0:
                raise SystemExit("on: no spans exported")
            if dropped_spans(gateways["on"][0]):
                raise SystemExit("on: the batch span processor dropped spans (queue full)")
        finally:
            for proc, _ in gateways.values():
                proc.stop()
            for proc in [*sub_procs, sink]:
                proc.stop()
    mean = {k: sum(v) / len(v) for k, v in results.items()}
    cpu_mean = {k: sum(v) / len(v) for k, v in cpu.items()}
    loss = 100 * (1 - mean["on"] / mean["off"])
    paired = [100 * (1 - on / off) for on, off in zip(results["on"], results["off"], strict=True)]
    on_requests = sum(results["on"]) * args.duration
    print(
        f"\nquery {args.query!r}, {args.connections} connections, {args.duration}s x "
        f"{args.rounds} rounds each ({'together' if args.together else 'ABBA'}); "
        f"spans exported: {stats['exports']} exports, "
        f"{stats['bytes'] / 1e6:.1f} MB, none dropped; the sink's CPU (not the gateway's, "
        f"nice 19): {1000 * sink_cpu / on_requests:.3f} ms per request"
        f"{'; request log lines on' if args.logs else ''}"
    )
    for label in variants:
        added = 100 * (cpu_mean[label] / cpu_mean["off"] - 1)
        print(
            f"telemetry {label:7s}: {mean[label]:8.1f} RPS (median {median(results[label]):.1f}) "
            f"{[round(r, 1) for r in results[label]]}; {cpu_mean[label]:.2f} ms gateway CPU "
            f"per request ({added:+.1f} %) {[round(c, 2) for c in cpu[label]]}"
        )
    print(
        f"of which the trace export process (on): {sum(export_cpu) / len(export_cpu):.2f} ms "
        f"per request {[round(c, 2) for c in export_cpu]}"
    )
    spread = statistics.stdev(paired) / len(paired) ** 0.5 if len(paired) > 1 else float("nan")
    print(
        f"throughput loss (on): {loss:5.1f} % of the means (bar: under 10 %); per round "
        f"{[round(p, 1) for p in paired]}, median {median(paired):.1f} %, mean "
        f"{statistics.fmean(paired):.1f} % +/- {2 * spread:.1f} (two standard errors: the "
        f"machine's noise; more rounds narrow it)"
    )
    return 0 if loss < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
