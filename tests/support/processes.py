"""Run demo subgraphs as real processes on free ports, wait until they answer, stop them."""

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

__all__ = [
    "REPO_ROOT",
    "SubgraphProcess",
    "SubgraphStartError",
    "free_port",
    "running_subgraph",
    "running_subgraphs",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICE_QUERY = "{ _service { sdl } }"
_START_ATTEMPTS = 3


class SubgraphStartError(Exception):
    """A subgraph process exited, or did not answer ``_service`` in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class SubgraphProcess:
    """One ``python -m subgraphs.demo.serve NAME --port PORT`` child process."""

    name: str
    port: int
    process: "subprocess.Popen[bytes]"
    log: IO[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    @classmethod
    def start(cls, name: str, port: int) -> "SubgraphProcess":
        log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        command = [sys.executable, "-m", "subgraphs.demo.serve", name, "--port", str(port)]
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
        return cls(name=name, port=port, process=process, log=log)

    def output(self) -> str:
        """What the process has printed so far (stdout and stderr together)."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def wait_until_ready(self, timeout: float) -> None:
        """Poll ``{ _service { sdl } }`` until it answers; raise if the process exits first."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while True:
                if self.process.poll() is not None:
                    raise SubgraphStartError(
                        f"{self.name} exited with {self.process.returncode}:\n{self.output()}"
                    )
                try:
                    response = client.post(self.url, json={"query": SERVICE_QUERY})
                    if response.status_code == 200 and _has_sdl(response.json()):
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SubgraphStartError(
                        f"{self.name} did not answer within {timeout}s:\n{self.output()}"
                    )
                time.sleep(0.1)

    def stop(self, grace: float = 5.0) -> None:
        """Terminate the process, kill it if it is still there after ``grace`` seconds."""
        try:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(grace)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            self.log.close()


def _has_sdl(body: object) -> bool:
    data = body.get("data") if isinstance(body, dict) else None
    service = data.get("_service") if isinstance(data, dict) else None
    return isinstance(service, dict) and isinstance(service.get("sdl"), str)


def _start_all(names: Iterable[str], stack: ExitStack) -> list[SubgraphProcess]:
    started = [SubgraphProcess.start(name, free_port()) for name in names]
    for process in started:
        stack.callback(process.stop)
    return started


@contextmanager
def running_subgraphs(names: Iterable[str], *, timeout: float = 30.0) -> Iterator[dict[str, str]]:
    """Start the named subgraphs side by side; yield name -> URL once all of them answer.

    A process that exits before answering (its free port taken meanwhile, say) is
    started again on another port, up to three times in all.
    """
    with ExitStack() as stack:
        pending, ready = list(names), dict[str, str]()
        for attempt in range(1, _START_ATTEMPTS + 1):
            failed = []
            for process in _start_all(pending, stack):
                try:
                    process.wait_until_ready(timeout)
                    ready[process.name] = process.url
                except SubgraphStartError:
                    if attempt == _START_ATTEMPTS or process.process.poll() is None:
                        raise
                    failed.append(process.name)
            if not failed:
                break
            pending = failed
        yield ready


@contextmanager
def running_subgraph(name: str, *, timeout: float = 30.0) -> Iterator[str]:
    """Start one subgraph on a free port and yield its URL once it answers."""
    with running_subgraphs([name], timeout=timeout) as urls:
        yield urls[name]
