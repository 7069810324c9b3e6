"""The trace export process (``gateway/telemetry/export_process.py``): ``tandem serve`` with
``TANDEM_TRACING=otlp`` exports its spans from a child process, to a real OTLP receiver, with
the same parentage as in process; the gateway never waits for it (a stopped exporter costs
spans, not requests), starts another when it dies, and a stop signal to the group does not
lose the last spans."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.telemetry.export_process import NICENESS, ExportProcess
from gateway.telemetry.spans import SpanRecord, TraceRecord
from tests.e2e.stack import eventually
from tests.support.gateway_process import running_gateway_process
from tests.support.otlp_receiver import Receiver
from tests.support.spawn import Child

CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
CLIENT_SPAN = "b7ad6b7169203331"
EMPLOYEE = {"x-tandem-dev-user": "emp-029", "x-tandem-dev-roles": "manager,employee"}
BUDGET = """query ExportedBudget($id: ID!) { department(id: $id) { id name } }"""
STALLED_REQUESTS = 200
ROOT = "query ExportedBudget"  # the request's span, named by its operation


def export_processes(pid: int) -> list[int]:
    """The children of ``pid`` running the export process."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"gateway.telemetry.export_process" in command:
                found.append(int(child))
    return found


def gateway_spans(receiver: Receiver, trace_id: str) -> list[str]:
    return [s.name for s in receiver.of_trace(trace_id) if s.service == "tandem-gateway"]


def traced_request(url: str, trace_id: str, span_id: str = CLIENT_SPAN) -> None:
    answer = httpx.post(
        url,
        json={"query": BUDGET, "variables": {"id": "dept-01"}},
        headers={**EMPLOYEE, "traceparent": f"00-{trace_id}-{span_id}-01"},
        timeout=30,
    )
    assert answer.status_code == 200 and "errors" not in answer.json(), answer.text


def traced(receiver: Receiver, data_dir: Path, export_delay_ms: int = 100) -> dict[str, str]:
    """``tandem serve``'s settings: every trace exported over OTLP to ``receiver``."""
    return {
        "TANDEM_TRACING": "otlp",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": str(export_delay_ms),
        "TANDEM_TRACE_PARENT_FROM": "*",
        "TANDEM_DEV_IDENTITY": "1",
        "TANDEM_DATA_DIR": str(data_dir),
    }


@pytest.fixture
def traced_gateway(
    supergraph: Path, receiver: Receiver, data_dir: Path
) -> Iterator[tuple[str, Child]]:
    with running_gateway_process(supergraph, env=traced(receiver, data_dir)) as (url, child):
        yield url, child


def test_served_spans_are_exported_by_a_child_process_below_the_clients_span(
    traced_gateway: tuple[str, Child], receiver: Receiver
) -> None:
    url, child = traced_gateway
    pid = child.process.pid
    traced_request(url, CLIENT_TRACE)
    spans = eventually(
        lambda: (
            (found := receiver.of_trace(CLIENT_TRACE))
            and any(s.name == ROOT and s.service == "tandem-gateway" for s in found)
            and found
        ),
        timeout=30,
    )
    (exporter,) = export_processes(pid)
    # background work: below the gateway's priority
    expected = min(os.getpriority(os.PRIO_PROCESS, pid) + NICENESS, 19)
    assert os.getpriority(os.PRIO_PROCESS, exporter) == expected
    ours = [s for s in spans if s.service == "tandem-gateway"]
    root = next(s for s in ours if s.name == ROOT)
    assert root.parent_span_id == CLIENT_SPAN  # the trusted client's span, kept across
    children = {s.name: s for s in ours if s is not root}
    assert {"graphql.parse", "graphql.authorize", "graphql.plan"} <= set(children)
    assert any(name.startswith("subgraph ") for name in children), children
    assert all(s.parent_span_id == root.span_id for s in children.values())
    assert root.attributes.get("graphql.operation.name") == "ExportedBudget"


def exported(url: str, receiver: Receiver, within: float = 3.0) -> bool:
    """A new traced request's spans reach the receiver within ``within`` seconds."""
    trace = f"{time.time_ns():032x}"
    traced_request(url, trace)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if gateway_spans(receiver, trace):
            return True
        time.sleep(0.1)
    return False


def exporting(traced_gateway: tuple[str, Child], receiver: Receiver) -> tuple[str, int, int]:
    """The gateway's URL, its pid and its export process's, once a trace was exported."""
    url, child = traced_gateway
    assert eventually(lambda: exported(url, receiver), timeout=30)
    (exporter,) = export_processes(child.process.pid)
    return url, child.process.pid, exporter


def test_a_killed_export_process_is_replaced(
    traced_gateway: tuple[str, Child], receiver: Receiver
) -> None:
    url, pid, first = exporting(traced_gateway, receiver)
    os.kill(first, signal.SIGKILL)
    # the traces sent meanwhile are lost; another process takes over within seconds
    assert eventually(lambda: exported(url, receiver), timeout=45)
    (second,) = export_processes(pid)
    assert second != first


def test_a_stalled_export_process_costs_spans_never_answers(
    traced_gateway: tuple[str, Child], receiver: Receiver
) -> None:
    url, pid, exporter = exporting(traced_gateway, receiver)
    os.kill(exporter, signal.SIGSTOP)  # reads nothing more: the socket fills up
    try:
        for number in range(STALLED_REQUESTS):  # each answered: none waits for it
            traced_request(url, f"{number + 1:032x}")
    finally:
        os.kill(exporter, signal.SIGCONT)
    assert eventually(lambda: exported(url, receiver), timeout=30)  # and it goes on
    assert export_processes(pid) == [exporter]


def test_a_stop_signal_to_the_group_keeps_the_last_spans(
    supergraph: Path, receiver: Receiver, data_dir: Path
) -> None:
    env = traced(receiver, data_dir, export_delay_ms=600_000)  # nothing exported before the stop
    trace = "2" * 32
    with running_gateway_process(supergraph, env=env) as (url, child):
        traced_request(url, trace)
        exporters = eventually(lambda: export_processes(child.process.pid), timeout=10)
        for pid in [child.process.pid, *exporters]:  # what a terminal's Ctrl-C does to a group
            os.kill(pid, signal.SIGINT)
        child.process.wait(30)
    assert ROOT in eventually(lambda: gateway_spans(receiver, trace), timeout=30)


def big_trace(number: int) -> TraceRecord:
    attributes = {"padding": "x" * 60_000}  # fills the socket in a few hundred sends
    span: SpanRecord = ("big", number, 0, 1, 2, attributes, 1, None)
    return (number, True, (), None, (), [span])


def test_a_full_socket_drops_batches_without_blocking(caplog: pytest.LogCaptureFixture) -> None:
    exporting = ExportProcess("console")  # the spans printed to (captured) stdout
    try:
        exporting.ship(big_trace(1))  # no event loop here: sent at once, starting the process
        assert exporting.process is not None and exporting.flush(30)
        os.kill(exporting.process.pid, signal.SIGSTOP)
        try:
            number = 1
            while exporting.dropped == 0:  # each send returns at once, taken or refused
                number += 1
                assert number < 10_000, "the socket never filled"
                exporting.ship(big_trace(number))
        finally:
            os.kill(exporting.process.pid, signal.SIGCONT)
        assert "spans dropped" in caplog.text
        assert exporting.flush(30)  # what the socket took is exported
    finally:
        exporting.close()
    assert exporting.process is None
