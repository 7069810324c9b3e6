"""Subscription events through the gateway: sustained delivery, and completed events a second.

Starts the two subgraphs of ``tests/support/ticking_subgraphs.py`` (``clock`` owns
``Subscription.ticks``, ``labels`` adds ``Tick.label``) and ``tandem serve`` (one worker)
over their supergraph, then, over ``graphql-transport-ws`` (the ``websockets`` client):

- **sustained**: ``--subscriptions`` (2,000) at once, ``--per-connection`` (20) on each of
  their connections (one development identity per connection, each subscription its own
  upstream subscription), each receiving one event a second for ``--seconds`` (60), every
  event completed with ``label`` from the other subgraph (an entity jump). Reports the events
  complete, those that came with errors, those lost (never delivered; must be 0) and
  duplicated, the delivery latency p50/p99 from the event's production at the source
  (``Tick.at``, its "commit") to the client, the gateway's CPU (of one core, over the run;
  per complete event) and RSS (peak), and the subgraphs' and the client's CPU;
- **rate**: one subscription of ``--events`` ticks as fast as they come, then ``--clients``
  connections at once sharing them out: completed events a second.

``labels`` answers a request it answered before from memory (``--memo``; the data is static),
else, at a few milliseconds per request, it would be what is measured. The client runs in
this process, so its own event loop's lag is part of the latency; the subgraphs, the gateway
and the client share the machine.

    .venv/bin/python benchmarks/subscriptions.py [--subscriptions 2000] [--seconds 60]
        [--per-connection 20] [--events 2000] [--clients 20] [--skip-sustained] [--skip-rate]
        [--redis redis://127.0.0.1:6379/0]

With ``--redis``, the gateway fans its upstream subscriptions out through that Redis
(``gateway/subscriptions/fanout.py``; one replica: it owns them all, and every event makes a
round trip through Redis).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import RssSampler, cpu_seconds, free_port, log, process_tree, spawn
from uploads import wait_for
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

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


SUSTAINED = """subscription S($count: Int!, $tag: String!) {
  ticks(count: $count, every: 1.0, tag: $tag) { n at label }
}"""


@dataclass
class Delivery:
    """What the sustained run's clients received."""

    latencies: list[float] = field(default_factory=list)
    seen: dict[str, set[int]] = field(default_factory=dict)
    received: int = 0
    errored: int = 0  # results that came with errors (a subgraph failing, say)
    failures: list[str] = field(default_factory=list)
    subscribed: int = 0


async def connection(
    url: str, index: int, subscriptions: int, seconds: int, into: Delivery
) -> None:
    """One client connection (identity ``bench-<index>``) running ``subscriptions``
    subscriptions of ``seconds`` one-a-second ticks each, until all complete (a connection
    that fails is reported, its missing events counted as lost)."""
    try:
        await _connection(url, index, subscriptions, seconds, into)
    except (ConnectionClosed, OSError) as error:
        into.failures.append(f"connection {index}: {error}")


async def _connection(
    url: str, index: int, subscriptions: int, seconds: int, into: Delivery
) -> None:
    who = {"x-tandem-dev-user": f"bench-{index}", "x-tandem-dev-roles": "employee"}
    async with connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        max_size=None,
        ping_interval=None,  # a late pong would end the run: lateness is what is measured
        compression=None,
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": who}))
        await ws.recv()
        for i in range(subscriptions):
            ident = f"{index}-{i}"
            into.seen[ident] = set()
            payload = {"query": SUSTAINED, "variables": {"count": seconds, "tag": ident}}
            await ws.send(json.dumps({"type": "subscribe", "id": ident, "payload": payload}))
        into.subscribed += subscriptions
        running = subscriptions
        while running:
            message = json.loads(await ws.recv())
            now = time.time()
            kind, ident = message["type"], message.get("id")
            if kind == "next" and "errors" not in message["payload"]:
                tick = message["payload"]["data"]["ticks"]
                into.latencies.append(now - tick["at"])
                into.seen[ident].add(tick["n"])
                into.received += 1
            elif kind == "complete":
                running -= 1
            elif kind == "next":  # a result with errors: counted, the subscription goes on
                into.errored += 1
                into.failures.append(json.dumps(message)[:300])
            elif kind == "error":  # refused: no events will come
                into.failures.append(json.dumps(message)[:300])
                running -= 1


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def sustained(
    url: str,
    gateway_pid: int,
    subgraph_pids: dict[str, int],
    total: int,
    per_connection: int,
    seconds: int,
) -> None:
    """The sustained run: ``total`` subscriptions, one event a second each for ``seconds``
    (the subgraphs' CPU reported too: a saturated subgraph delays events as well)."""
    connections = -(-total // per_connection)
    delivery = Delivery()
    pids = process_tree(gateway_pid)
    subgraphs0 = {name: cpu_seconds([pid]) for name, pid in subgraph_pids.items()}
    client0 = time.process_time()
    rss = RssSampler(gateway_pid, interval=0.5)
    rss.start()

    async def everyone() -> None:
        sizes = [min(per_connection, total - i * per_connection) for i in range(connections)]
        await asyncio.gather(
            *(connection(url, i, size, seconds, delivery) for i, size in enumerate(sizes))
        )

    cpu0, started = cpu_seconds(pids), time.monotonic()
    try:
        asyncio.run(everyone())
    finally:
        rss.stop()
    wall = time.monotonic() - started
    cpu = cpu_seconds(pids) - cpu0
    others = {name: cpu_seconds([pid]) - subgraphs0[name] for name, pid in subgraph_pids.items()}
    others["client"] = time.process_time() - client0
    expected = total * seconds
    unique = sum(len(numbers) for numbers in delivery.seen.values())
    lost = expected - unique - delivery.errored
    log(
        f"sustained: {total} subscriptions ({connections} connections x {per_connection}), "
        f"1 event/s each for {seconds}s, an entity jump per event"
    )
    log(
        f"  events: expected {expected}, complete {delivery.received}, with errors "
        f"{delivery.errored}, lost (never delivered) {lost}, duplicated "
        f"{delivery.received - unique}"
    )
    for failure in delivery.failures[:2]:
        log(f"  failure: {failure}")
    log(
        f"  latency source->client: p50 {1000 * percentile(delivery.latencies, 0.50):.1f} ms, "
        f"p99 {1000 * percentile(delivery.latencies, 0.99):.1f} ms, "
        f"max {1000 * max(delivery.latencies, default=float('nan')):.1f} ms"
    )
    log(
        f"  gateway: CPU {cpu:.1f}s over {wall:.1f}s = {100 * cpu / wall:.0f}% of one core, "
        f"RSS peak {rss.peak / 2**20:.0f} MiB (at the end {rss.last / 2**20:.0f} MiB), "
        f"{1000 * cpu / max(1, delivery.received):.2f} ms CPU per complete event"
    )
    log(
        "  CPU of one core, the others: "
        + ", ".join(f"{name} {100 * used / wall:.0f}%" for name, used in others.items())
    )


async def measure(url: str, clients: int, each: int) -> tuple[int, float]:
    started = time.perf_counter()
    counts = await asyncio.gather(*(subscription(url, each) for _ in range(clients)))
    return sum(counts), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--subscriptions", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--per-connection", type=int, default=20)
    parser.add_argument("--skip-sustained", action="store_true")
    parser.add_argument("--skip-rate", action="store_true")
    parser.add_argument(
        "--redis", metavar="URL", help="fan the upstream subscriptions out through this Redis"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tandem-bench-subscriptions-"))
    clock_port, labels_port, gateway_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    env.update(
        TANDEM_DATA_DIR=str(folder),
        TANDEM_DEV_IDENTITY="1",
        TANDEM_WORKERS="1",
        **(
            {
                "TANDEM_REDIS_URL": args.redis,
                "TANDEM_SUBSCRIPTION_KEY_PREFIX": f"tandem-bench-{os.getpid()}:",
            }
            if args.redis
            else {}
        ),
        TANDEM_SUBSCRIPTIONS_PER_CONNECTION=str(max(100, args.per_connection)),
        TANDEM_SUBGRAPH_URLS=f"clock=http://127.0.0.1:{clock_port}/graphql,"
        f"labels=http://127.0.0.1:{labels_port}/graphql",
    )
    module = ["-m", "tests.support.ticking_subgraphs"]
    procs = [
        spawn("clock", [sys.executable, *module, "clock", "--port", str(clock_port)], folder,
              env=env, cwd=REPO),
        spawn("labels", [sys.executable, *module, "labels", "--port", str(labels_port),
                         "--memo"], folder, env=env, cwd=REPO),
    ]  # fmt: skip
    try:
        tandem = [str(Path(sys.executable).parent / "tandem"), "serve"]
        serve = ["--supergraph", str(SUPERGRAPH), "--port", str(gateway_port)]
        procs.append(spawn("tandem", [*tandem, *serve], folder, env=env, cwd=REPO))
        wait_for(procs[-1], f"http://127.0.0.1:{gateway_port}/health")
        url = f"ws://127.0.0.1:{gateway_port}/graphql"
        asyncio.run(measure(url, 1, 50))  # warm: plans cached, connections open
        if not args.skip_sustained:
            gateway = procs[-1].popen.pid
            subgraphs = {"clock": procs[0].popen.pid, "labels": procs[1].popen.pid}
            sustained(
                url, gateway, subgraphs, args.subscriptions, args.per_connection, args.seconds
            )
        rates = ((1, args.events), (args.clients, args.events // args.clients))
        for clients, each in () if args.skip_rate else rates:
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
