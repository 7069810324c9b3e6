"""What the executor's tests share: asyncio (aiohttp runs on nothing else), the fault proxy in
front of the healthy faulty subgraph, and the benchmark subgraphs, each once per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.benchmark_subgraphs import running_benchmark_subgraphs
from tests.support.fault_proxy import FaultProxy, running_fault_proxy
from tests.support.faulty_subgraph import FaultySubgraph


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiohttp runs on asyncio only


@pytest.fixture(scope="module")
def proxy(faulty_subgraph: FaultySubgraph) -> Iterator[FaultProxy]:
    """The fault proxy in front of the healthy faulty subgraph (its modes: fault_proxy.py)."""
    with running_fault_proxy(faulty_subgraph.url("healthy")) as running:
        yield running


@pytest.fixture(scope="module")
def benchmark_subgraphs() -> Iterator[dict[str, str]]:
    """The benchmark's four subgraphs as processes: name -> GraphQL URL."""
    with running_benchmark_subgraphs() as urls:
        yield urls
