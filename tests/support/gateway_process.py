"""Run ``tandem serve`` as a real process on a free port, wait until it answers, stop it."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import httpx

from tests.support.processes import free_port
from tests.support.spawn import Child, http_answers, running

__all__ = ["running_gateway", "running_gateway_process", "tandem_command"]

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
    supergraph: Path | None,
    *options: str,
    timeout: float = 30.0,
    attempts: int = 3,
    env: Mapping[str, str | None] | None = None,
) -> Iterator[str]:
    """Serve ``supergraph`` with ``tandem serve [options]`` on a free port; yield its URL.

    Ready once ``{ __typename }`` answers. A process that exits first (its port taken
    meanwhile, say) is started again on another port, up to ``attempts`` times. ``env``:
    settings for it over this process's environment (``TANDEM_SUPERGRAPH_URL`` with
    ``supergraph`` None); a None value leaves that variable out. Fixtures pass settings here
    rather than change ``os.environ``, which tests in a random order would share.
    """
    with running_gateway_process(
        supergraph, *options, timeout=timeout, attempts=attempts, env=env
    ) as (url, _):
        yield url


@contextlib.contextmanager
def running_gateway_process(
    supergraph: Path | None,
    *options: str,
    timeout: float = 30.0,
    attempts: int = 3,
    env: Mapping[str, str | None] | None = None,
) -> Iterator[tuple[str, Child]]:
    """:func:`running_gateway`, yielding the process as well (to signal it)."""
    urls: list[str] = []

    def command() -> tuple[Sequence[str], Callable[[], bool]]:
        port = free_port()
        urls.append(f"http://127.0.0.1:{port}/graphql")
        source = ["--supergraph", str(supergraph)] if supergraph is not None else []
        line = [*tandem_command(), "serve", *source, "--port", str(port), *options]
        return line, http_answers(urls[-1], json={"query": READY_QUERY}, expect=_answers_typename)

    environ = None
    if env is not None:
        merged = {**os.environ, **env}
        environ = {name: value for name, value in merged.items() if value is not None}
    with running("tandem serve", command, timeout=timeout, attempts=attempts, env=environ) as child:
        yield urls[-1], child
