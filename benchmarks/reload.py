"""Supergraph hot reload under load (issue 15, item 4's bar).

``wrk`` sends the storefront query at full speed to one ``tandem serve`` worker while the
supergraph file it serves is replaced 20 times, alternating two versions (B lacks
``User.email``, which the query does not ask for, so both answer it identically). Every
answer must be HTTP 200, as long as the reference answer and free of errors; each replacement
waits until ``/ready`` counts the reload before the next.

    .venv/bin/python benchmarks/reload.py [--duration 40] [--reloads 20] [--connections 50]

Prints the requests served, how many were wrong (status, length, errors), socket errors,
reloads done and failed; exits 1 if any answer was wrong or a reload did not happen.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (
    RESULTS_DIR,
    SUBGRAPH_NAMES,
    SUBGRAPHS_DIR,
    SUPERGRAPH,
    BenchError,
    Proc,
    build_reference_schema,
    ensure_wrk,
    free_port,
    gateway_command,
    load_queries,
    log,
    reference_response,
    run_wrk,
    spawn,
    wait_graphql_ready,
)

EMAIL_LINE = re.compile(r"^\s*email: String! @join__field\(graph: ACCOUNTS\)\n", re.M)


def versions(ports: dict[str, int]) -> tuple[str, str]:
    """Supergraph A (the benchmark's, routed to ``ports``) and B (A without ``User.email``)."""

    def url_for(match: re.Match[str]) -> str:
        return f"{match.group(1)}http://127.0.0.1:{ports[match.group(2)]}/graphql{match.group(3)}"

    a = re.sub(
        r'(@join__graph\(name:\s*"(\w+)",\s*url:\s*")[^"]*(")', url_for, SUPERGRAPH.read_text()
    )
    b, removed = EMAIL_LINE.subn("", a)
    if removed != 1:
        raise BenchError("expected one `email` field of User in the benchmark supergraph")
    return a, b


def reloads_of(base: str) -> dict[str, Any]:
    report: dict[str, Any] = httpx.get(f"{base}/ready", timeout=10).json()["supergraph"]
    return report


def replace(path: Path, text: str) -> None:
    staged = path.with_suffix(".staged")
    staged.write_text(text)
    os.replace(staged, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=40, help="seconds of load (default 40)")
    ap.add_argument("--reloads", type=int, default=20, help="file replacements (default 20)")
    ap.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    ap.add_argument("--tandem-cmd", default="", help="command that starts Tandem")
    ap.add_argument("--tandem-args", default="", help="extra `tandem serve` arguments")
    ap.add_argument("--node", default="node", help="unused (the runner's gateway_command)")
    args = ap.parse_args(argv)

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    log_dir = RESULTS_DIR / f"reload-{stamp}"
    log_dir.mkdir(parents=True, exist_ok=True)
    args.log_dir = log_dir
    wrk = ensure_wrk()
    query = load_queries()["storefront"]
    reference = reference_response(
        build_reference_schema(SUPERGRAPH.read_text()), query["query"], query.get("variables")
    )
    body = json.dumps({"query": query["query"], "variables": query.get("variables")}).encode()
    ports = {name: free_port() for name in SUBGRAPH_NAMES}
    procs: list[Proc] = []
    try:
        for name, port in ports.items():
            line = [sys.executable, str(SUBGRAPHS_DIR / "server.py"), name, "--port", str(port)]
            procs.append(spawn(f"subgraph-{name}", line, log_dir))
        for proc, port in zip(procs, ports.values(), strict=True):
            wait_graphql_ready(proc, f"http://127.0.0.1:{port}/graphql", "{ _service { sdl } }", 30)
        a, b = versions(ports)
        served = log_dir / "supergraph.graphql"
        served.write_text(a)
        port = free_port()
        cmd, env, cwd = gateway_command("tandem", args, served, port)
        procs.append(spawn("tandem", cmd, log_dir, env=env, cwd=cwd))
        base = f"http://127.0.0.1:{port}"
        wait_graphql_ready(procs[-1], f"{base}/graphql", "{ __typename }", 60)
        first = httpx.post(f"{base}/graphql", content=body,
                           headers={"content-type": "application/json"}, timeout=30)  # fmt: skip
        if first.json() != reference:
            raise BenchError("Tandem's storefront answer differs from the reference")
        load: dict[str, Any] = {}

        def loaded() -> None:
            load.update(run_wrk(wrk, f"{base}/graphql", body, len(first.content),
                                args.duration, args.connections, 1, log_dir))  # fmt: skip

        loader = threading.Thread(target=loaded)
        loader.start()
        spacing = max(0.1, (args.duration - 4) / args.reloads)
        time.sleep(2)  # wrk under way
        for n in range(1, args.reloads + 1):
            replace(served, b if n % 2 else a)
            give_up = time.monotonic() + 30
            while reloads_of(base)["reloads"] < n:
                if time.monotonic() > give_up:
                    raise BenchError(f"reload {n} did not happen: {reloads_of(base)}")
                time.sleep(0.02)
            log(f"reload {n}/{args.reloads} done")
            time.sleep(spacing)
        loader.join()
        report = reloads_of(base)
    finally:
        for proc in procs:
            proc.stop()
    wrong = load["bad_status"] + load["bad_len"] + load["bad_errors"]
    print(f"requests        {load['requests']} in {load['duration_us'] / 1e6:.1f} s "
          f"({load['rps']:.1f}/s, {args.connections} connections)")  # fmt: skip
    print(f"wrong answers   {wrong} (status {load['bad_status']}, length {load['bad_len']}, "
          f"errors {load['bad_errors']})")  # fmt: skip
    print(f"socket errors   {load['socket_errors']}")
    print(f"reloads         {report['reloads']} done, {report['failedReloads']} failed")
    ok = wrong == 0 and load["socket_errors"] == 0 and report["reloads"] == args.reloads
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
