"""Subscription events through the gateway: how many completed events a second.

Starts the two subgraphs of ``tests/support/ticking_subgraphs.py`` (``clock`` owns
``Subscription.ticks``, ``labels`` adds ``Tick.label``) and ``tandem serve`` over their
supergraph, then over ``graphql-transport-ws`` (the ``websockets`` client):

- one subscription of ``--events`` ticks, each completed with ``label`` from the other
  subgraph (an entity fetch per event, joined when events arrive together);
- ``--clients`` connections at once, each subscribing to ``--events / --clients`` ticks.

Prints the completed events a second of each run.

    .venv/bin/python benchmarks/subscriptions.py [--events 2000] [--clients 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import free_port, log, spawn
from uploads import wait_for
from websockets.asyncio.client import connect

REPO = Path(__file__).resolve().parents[1]
SUPERGRAPH = REPO / "tests" / "support" / "ticking_supergraph.graphql"
QUERY = "subscription T($count: Int!) { ticks(count: $count) { n label } }"
WHO = {"x-tandem-dev-user": "bench", "x-tandem-dev-roles": "employee"}


async def subscription(url: str, count: int) -> int:
    """Run one subscription of ``count`` ticks; the number of events received."""
    async with connect(url, subprotocols=["graphql-transport-ws"], max_size=None) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": WHO}))
        await ws.recv()
        payload = {"query": QUERY, "variables": {"count": count}}
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": payload}))
        received = 0
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "complete":
                return received
            if message["type"] != "next" or "errors" in message["payload"]:
                raise SystemExit(f"unexpected: {message}")
            received += 1


async def measure(url: str, clients: int, each: int) -> tuple[int, float]:
    started = time.perf_counter()
    counts = await asyncio.gather(*(subscription(url, each) for _ in range(clients)))
    return sum(counts), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tandem-bench-subscriptions-"))
    clock_port, labels_port, gateway_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    env.update(
        TANDEM_DATA_DIR=str(folder),
        TANDEM_DEV_IDENTITY="1",
        TANDEM_SUBGRAPH_URLS=f"clock=http://127.0.0.1:{clock_port}/graphql,"
        f"labels=http://127.0.0.1:{labels_port}/graphql",
    )
    module = ["-m", "tests.support.ticking_subgraphs"]
    procs = [
        spawn("clock", [sys.executable, *module, "clock", "--port", str(clock_port)], folder,
              env=env, cwd=REPO),
        spawn("labels", [sys.executable, *module, "labels", "--port", str(labels_port)], folder,
              env=env, cwd=REPO),
    ]  # fmt: skip
    try:
        tandem = [str(Path(sys.executable).parent / "tandem"), "serve"]
        serve = ["--supergraph", str(SUPERGRAPH), "--port", str(gateway_port)]
        procs.append(spawn("tandem", [*tandem, *serve], folder, env=env, cwd=REPO))
        wait_for(procs[-1], f"http://127.0.0.1:{gateway_port}/health")
        url = f"ws://127.0.0.1:{gateway_port}/graphql"
        asyncio.run(measure(url, 1, 50))  # warm: plans cached, connections open
        for clients, each in ((1, args.events), (args.clients, args.events // args.clients)):
            events, seconds = asyncio.run(measure(url, clients, each))
            log(
                f"{clients} subscription(s) x {each} ticks: {events} events in {seconds:.2f}s "
                f"= {events / seconds:,.0f} completed events/s"
            )
    finally:
        for proc in reversed(procs):
            proc.stop()


if __name__ == "__main__":
    main()
