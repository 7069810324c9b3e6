"""Run ``tandem serve`` as a real process on a free port, wait until it answers, stop it."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx

from tests.support.processes import free_port
from tests.support.spawn import http_answers, running

__all__ = ["running_gateway", "tandem_command"]

READY_QUERY = "{ __typename }"


def tandem_command() -> list[str]:
    """The installed ``tandem`` script of this interpreter's environment, or ``-m gateway.cli``."""
    script = Path(sys.executable).with_name("tandem")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "gateway.cli"]


def _answers_typename(response: httpx.Response) -> bool:
    return response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


@contextlib.contextmanager
def running_gateway(
    supergraph: Path, *options: str, timeout: float = 30.0, attempts: int = 3
) -> Iterator[str]:
    """Serve ``supergraph`` with ``tandem serve [options]`` on a free port; yield its URL.

    Ready once ``{ __typename }`` answers. A process that exits first (its port taken
    meanwhile, say) is started again on another port, up to ``attempts`` times.
    """
    urls: list[str] = []

    def command() -> tuple[Sequence[str], Callable[[], bool]]:
        port = free_port()
        urls.append(f"http://127.0.0.1:{port}/graphql")
        line = [*tandem_command(), "serve", "--supergraph", str(supergraph), "--port", str(port),
                *options]  # fmt: skip
        return line, http_answers(urls[-1], json={"query": READY_QUERY}, expect=_answers_typename)

    with running("tandem serve", command, timeout=timeout, attempts=attempts):
        yield urls[-1]
