"""The benchmark's four subgraphs (``benchmarks/subgraphs``) as real processes, for tests of
the engine on its storefront workload, and the monolithic reference answer to compare with."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from tests.support.processes import free_port
from tests.support.spawn import REPO_ROOT, running

__all__ = [
    "BENCHMARKS",
    "NAMES",
    "SUPERGRAPH",
    "reference",
    "requests_served",
    "running_benchmark_subgraphs",
]

BENCHMARKS = REPO_ROOT / "benchmarks"
SUPERGRAPH = BENCHMARKS / "supergraph.graphql"
NAMES = ("accounts", "products", "inventory", "reviews")

sys.path.insert(0, str(BENCHMARKS / "subgraphs"))
from reference import build_reference_schema, reference_response  # noqa: E402


@contextlib.contextmanager
def running_benchmark_subgraphs() -> Iterator[dict[str, str]]:
    """The four subgraphs, each in its own process: name -> GraphQL URL."""
    with contextlib.ExitStack() as stack:
        urls: dict[str, str] = {}
        for name in NAMES:
            port = free_port()

            def command(name: str = name, port: int = port) -> tuple[Sequence[str], Any]:
                line = [sys.executable, str(BENCHMARKS / "subgraphs" / "server.py"), name,
                        "--port", str(port)]  # fmt: skip
                return line, lambda: _stats(f"http://127.0.0.1:{port}/graphql") is not None

            stack.enter_context(running(f"benchmark subgraph {name}", command))
            urls[name] = f"http://127.0.0.1:{port}/graphql"
        yield urls


def _stats(url: str) -> dict[str, int] | None:
    try:
        answer = httpx.get(f"{url.removesuffix('/graphql')}/stats", timeout=5.0)
    except httpx.TransportError:
        return None
    return dict(answer.json()) if answer.status_code == 200 else None


def requests_served(url: str) -> int:
    """How many requests the subgraph at ``url`` has answered."""
    stats = _stats(url)
    assert stats is not None
    return stats["hits"] + stats["misses"]


def reference(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """graphql-core's answer over the same data as one monolithic schema."""
    schema = build_reference_schema(SUPERGRAPH.read_text(encoding="utf-8"))
    answer: dict[str, Any] = reference_response(schema, query, variables)
    return answer
