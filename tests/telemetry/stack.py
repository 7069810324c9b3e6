"""The OA and ERP subgraphs as processes exporting their spans over OTLP to a receiver in
the test, and the gateway ``build_app`` makes, in this process, exporting to memory."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.http.factory import build_app
from gateway.settings import Settings
from gateway.telemetry import Telemetry
from gateway.telemetry.metrics import Metrics
from gateway.telemetry.tracing import TraceParentTrust, Tracing
from tests.e2e.stack import service_env
from tests.support.fixtures import write_supergraph
from tests.support.otlp_receiver import Receiver
from tests.support.processes import REPO_ROOT, free_port
from tests.support.spawn import Child, http_answers, spawn

__all__ = ["SUPERGRAPH", "gateway_client", "traced_subgraphs"]

SUPERGRAPH = REPO_ROOT / "subgraphs" / "supergraph.graphql"


@contextmanager
def traced_subgraphs(receiver: Receiver, data_dir: Path) -> Iterator[dict[str, str]]:
    """``python -m subgraphs.oa`` and ``python -m subgraphs.erp`` (demo data on SQLite in
    ``data_dir``), tracing to ``receiver``; yields name -> GraphQL URL once both answer."""
    env = service_env(
        TANDEM_DATA_DIR=str(data_dir),
        TANDEM_OA_SEED="1",
        TANDEM_ERP_SEED="1",
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=receiver.endpoint,
        OTEL_BSP_SCHEDULE_DELAY="50",  # milliseconds: spans reach the receiver soon
    )
    with ExitStack() as stack:
        urls: dict[str, str] = {}
        children: list[tuple[Child, str]] = []
        for name in ("oa", "erp"):
            port = free_port()
            command = [sys.executable, "-m", f"subgraphs.{name}", "--port", str(port)]
            child = spawn(name, command, env=env, log_path=data_dir / f"{name}.log")
            stack.callback(child.stop)
            children.append((child, f"http://127.0.0.1:{port}"))
            urls[name] = f"http://127.0.0.1:{port}/graphql"
        for child, base in children:
            child.wait_ready(http_answers(f"{base}/health"), 120)
        yield urls


@asynccontextmanager
async def gateway_client(
    supergraph: Path,
    data_dir: Path,
    *,
    trust: tuple[str, ...] = ("*",),
    **settings: Any,
) -> AsyncIterator[tuple[httpx.AsyncClient, InMemorySpanExporter]]:
    """The gateway for ``supergraph``, tracing every request to memory (spans exported as
    each ends), metrics on; a client talking to it in this process."""
    spans = InMemorySpanExporter()
    telemetry = Telemetry(Metrics(), Tracing.create(spans, TraceParentTrust(trust), batch=False))
    app = build_app(
        Settings(supergraph=supergraph, data_dir=data_dir, dev_identity=True, **settings),
        telemetry=telemetry,
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tandem.test") as c,
    ):
        yield c, spans


def routed_supergraph(urls: Mapping[str, str], path: Path) -> Path:
    return write_supergraph(urls, path, source=SUPERGRAPH)
