"""The OA and ERP subgraphs, tracing to an OTLP receiver, started once for these tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.otlp_receiver import Receiver, otlp_receiver
from tests.telemetry.stack import routed_supergraph, traced_subgraphs


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # aiohttp runs on asyncio only


@pytest.fixture(scope="package")
def receiver() -> Iterator[Receiver]:
    with otlp_receiver() as running:
        yield running


@pytest.fixture(scope="package")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("traced")


@pytest.fixture(scope="package")
def supergraph(receiver: Receiver, data_dir: Path) -> Iterator[Path]:
    """The OA + ERP supergraph routed to the running subgraphs."""
    with traced_subgraphs(receiver, data_dir) as urls:
        yield routed_supergraph(urls, data_dir / "supergraph.graphql")
