"""Run ``tandem serve`` as a real process on a free port, wait until it answers, stop it."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx

from tests.support.processes import REPO_ROOT, SubgraphStartError, free_port

__all__ = ["GatewayStartError", "running_gateway", "tandem_command"]

READY_QUERY = "{ __typename }"


class GatewayStartError(SubgraphStartError):
    """``tandem serve`` exited, or did not answer ``{ __typename }`` in time."""


def tandem_command() -> list[str]:
    """The installed ``tandem`` script of this interpreter's environment, or ``-m gateway.cli``."""
    script = Path(sys.executable).with_name("tandem")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "gateway.cli"]


def _output(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")


def _answers(client: httpx.Client, url: str) -> bool:
    try:
        response = client.post(url, json={"query": READY_QUERY})
    except httpx.TransportError:
        return False
    return response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


def _stop(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running_gateway(
    supergraph: Path, *options: str, timeout: float = 30.0, attempts: int = 3
) -> Iterator[str]:
    """Serve ``supergraph`` with ``tandem serve [options]`` on a free port; yield its URL.

    Ready once ``{ __typename }`` answers. A process that exits first (its port taken
    meanwhile, say) is started again on another port, up to ``attempts`` times.
    """
    for attempt in range(1, attempts + 1):
        port = free_port()
        url = f"http://127.0.0.1:{port}/graphql"
        command = [
            *tandem_command(),
            "serve",
            "--supergraph",
            str(supergraph),
            "--port",
            str(port),
            *options,
        ]
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(
                command, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
            try:
                deadline = time.monotonic() + timeout
                with httpx.Client(timeout=2.0) as client:
                    while process.poll() is None and not _answers(client, url):
                        if time.monotonic() > deadline:
                            raise GatewayStartError(
                                f"tandem serve did not answer within {timeout}s:\n{_output(log)}"
                            )
                        time.sleep(0.1)
                if process.poll() is None:
                    yield url
                    return
                if attempt == attempts:
                    raise GatewayStartError(
                        f"tandem serve exited with {process.returncode}:\n{_output(log)}"
                    )
            finally:
                _stop(process)
