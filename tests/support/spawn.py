"""Starting a child process and awaiting it: the one way the tests do it.

:func:`spawn` starts a command with its output in a log (a file of the test's, or a
temporary one), :meth:`Child.wait_ready` polls a readiness check until it holds and fails with
the child's output if the child exits first or the time runs out, :meth:`Child.stop` sends
SIGTERM and then SIGKILL after a grace period. :func:`running` does all three around a
``with`` block and, for a child that takes a free port which another process may grab
first, starts it again on a new port (``attempts``).

Readiness is what the child shows from outside (an HTTP answer, a TCP greeting), polled
every ``interval`` seconds: never a fixed sleep.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

__all__ = ["REPO_ROOT", "Child", "ProcessStartError", "http_answers", "running", "spawn"]

REPO_ROOT = Path(__file__).resolve().parents[2]


class ProcessStartError(AssertionError):
    """A child exited before it was ready, or was not ready in time (its output attached)."""


@dataclass
class Child:
    """One started child process and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    log: IO[bytes] | None = None  # a temporary file, closed by stop()
    log_path: Path | None = None  # or a file that outlives the child
    _closed: bool = field(default=False, repr=False)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        """What the child printed so far (stdout and stderr together)."""
        if self.log_path is not None:
            return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        if self.log is None or self._closed:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def wait_ready(
        self, ready: Callable[[], bool], timeout: float = 30.0, interval: float = 0.1
    ) -> Child:
        """Poll ``ready()`` until it is true; :class:`ProcessStartError` if the child exits
        first or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None:
                raise ProcessStartError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.output()}"
                )
            if time.monotonic() > deadline:
                raise ProcessStartError(f"{self.name} not ready in {timeout}s:\n{self.output()}")
            time.sleep(interval)
        return self

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if the child is still there after ``grace`` seconds."""
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(grace)
                except subprocess.TimeoutExpired:
                    self.kill()
        finally:
            if self.log is not None and not self._closed:
                self._closed = True
                self.log.close()

    def kill(self) -> None:
        """SIGKILL (no clean-up, connections dropped by the kernel) and wait for the exit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


def spawn(
    name: str,
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    quiet: bool = False,
    new_session: bool = False,
) -> Child:
    """Start ``command`` in the repository with its output in ``log_path`` (else a temporary
    file; ``quiet``: discarded); ``new_session`` keeps a Ctrl-C of pytest from reaching it."""
    def popen(stdout: int | IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            list(command),
            cwd=REPO_ROOT,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            start_new_session=new_session,
        )

    if quiet:
        return Child(name, popen(subprocess.DEVNULL))
    if log_path is not None:
        with log_path.open("wb") as output:
            return Child(name, popen(output), log_path=log_path)
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by Child.stop)
    return Child(name, popen(log), log=log)


@contextlib.contextmanager
def running(
    name: str,
    command: Callable[[], tuple[Sequence[str], Callable[[], bool]]],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    attempts: int = 1,
) -> Iterator[Child]:
    """Start the child ``command()`` describes (its command line and readiness check, made
    afresh per attempt: a new free port each time), yield it once ready, stop it after.

    A child that exits before it is ready is started again, ``attempts`` times in all.
    """
    for attempt in range(1, attempts + 1):
        line, ready = command()
        child = spawn(name, line, env=env)
        try:
            try:
                child.wait_ready(ready, timeout)
            except ProcessStartError:
                if attempt == attempts or child.running:
                    raise
                continue
            yield child
            return
        finally:
            child.stop()


def http_answers(
    url: str,
    *,
    json: object | None = None,
    expect: Callable[[httpx.Response], bool] = lambda response: response.status_code == 200,
) -> Callable[[], bool]:
    """A readiness check: ``url`` answers (a GET, or a POST of ``json``) as ``expect`` says."""

    def check() -> bool:
        try:
            if json is None:
                response = httpx.get(url, timeout=2.0)
            else:
                response = httpx.post(url, json=json, timeout=2.0)
        except httpx.TransportError:
            return False
        return expect(response)

    return check
