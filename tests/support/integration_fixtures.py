"""Pytest fixtures for integration tests: ``tandem serve`` as a process, the faulty subgraph."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.faulty_subgraph import MODES, FaultySubgraph, running_faulty_subgraph
from tests.support.fixtures import write_supergraph
from tests.support.gateway_process import running_gateway
from tests.support.processes import free_port

__all__ = ["FAULTY_SUPERGRAPH", "fault_supergraphs", "faulty_subgraph", "tandem_server"]

FAULTY_SUPERGRAPH = Path(__file__).with_name("faulty_supergraph.graphql")
"""The demo people subgraph joined with the faulty subgraph (composed by tools/compose)."""


@pytest.fixture(scope="session")
def tandem_server(demo_supergraph: Path) -> Iterator[str]:
    """``tandem serve`` of the demo supergraph, running for the session: its GraphQL URL."""
    with running_gateway(demo_supergraph) as url:
        yield url


@pytest.fixture(scope="session")
def faulty_subgraph() -> Iterator[FaultySubgraph]:
    """The misbehaving subgraph of ``tests.support.faulty_subgraph``, running for the session."""
    with running_faulty_subgraph() as server:
        yield server


@pytest.fixture(scope="session")
def fault_supergraphs(
    demo_subgraphs: dict[str, str],
    faulty_subgraph: FaultySubgraph,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    """Mode -> :data:`FAULTY_SUPERGRAPH` routed to the people subgraph and to that mode.

    The modes are the faulty subgraph's ``MODES``, ``closed`` (its port that drops every
    connection) and ``down`` (a port nothing listens on).
    """
    urls = {mode: faulty_subgraph.url(mode) for mode in MODES}
    urls["closed"] = faulty_subgraph.closing_url
    urls["down"] = f"http://127.0.0.1:{free_port()}/graphql"
    folder = tmp_path_factory.mktemp("faults")
    return {
        mode: write_supergraph(
            {"people": demo_subgraphs["people"], "faulty": url},
            folder / f"{mode}.graphql",
            source=FAULTY_SUPERGRAPH,
        )
        for mode, url in urls.items()
    }
