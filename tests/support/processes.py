"""Run demo subgraphs as real processes on free ports, wait until they answer, stop them."""

import random
import socket
import sys
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from tests.support.spawn import REPO_ROOT, Child, ProcessStartError, http_answers, spawn

__all__ = [
    "REPO_ROOT",
    "ProcessStartError",
    "free_port",
    "running_subgraph",
    "running_subgraphs",
]

SERVICE_QUERY = "{ _service { sdl } }"
_START_ATTEMPTS = 3


def _ephemeral_start() -> int:
    """The first port of the kernel's range for outgoing connections (32768 unless set)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_PORTS = range(20000, max(_ephemeral_start(), 20001))
_RANDOM = random.SystemRandom()  # not the test's seeded generator (pytest-randomly)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago, below the range the kernel gives
    outgoing connections: a port from that range (what binding port 0 hands out) can be taken
    by one of the suite's own connections before the server it was meant for binds it."""
    for _ in range(200):
        port = _RANDOM.choice(_PORTS)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def _start(name: str) -> tuple[Child, str]:
    """``python -m subgraphs.demo.serve NAME --port PORT`` on a free port; its URL."""
    port = free_port()
    command = [sys.executable, "-m", "subgraphs.demo.serve", name, "--port", str(port)]
    return spawn(name, command), f"http://127.0.0.1:{port}/graphql"


def _has_sdl(response: httpx.Response) -> bool:
    if response.status_code != 200:
        return False
    body = response.json()
    data = body.get("data") if isinstance(body, dict) else None
    service = data.get("_service") if isinstance(data, dict) else None
    return isinstance(service, dict) and isinstance(service.get("sdl"), str)


@contextmanager
def running_subgraphs(names: Iterable[str], *, timeout: float = 30.0) -> Iterator[dict[str, str]]:
    """Start the named subgraphs side by side; yield name -> URL once all of them answer
    ``{ _service { sdl } }``.

    A process that exits before answering (its free port taken meanwhile, say) is
    started again on another port, up to three times in all.
    """
    with ExitStack() as stack:
        pending, ready = list(names), dict[str, str]()
        for attempt in range(1, _START_ATTEMPTS + 1):
            failed = []
            started = [_start(name) for name in pending]
            for child, _ in started:
                stack.callback(child.stop)
            for child, url in started:
                try:
                    child.wait_ready(
                        http_answers(url, json={"query": SERVICE_QUERY}, expect=_has_sdl),
                        timeout,
                    )
                    ready[child.name] = url
                except ProcessStartError:
                    if attempt == _START_ATTEMPTS or child.running:
                        raise
                    failed.append(child.name)
            if not failed:
                break
            pending = failed
        yield ready


@contextmanager
def running_subgraph(name: str, *, timeout: float = 30.0) -> Iterator[str]:
    """Start one subgraph on a free port and yield its URL once it answers."""
    with running_subgraphs([name], timeout=timeout) as urls:
        yield urls[name]
