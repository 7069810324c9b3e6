"""The OA and ERP services' ``/metrics``: open without a gateway token (like ``/health``),
with the event bus's lag, read from the Redis stream entry id of each event applied."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from prometheus_client import REGISTRY

from subgraphs.common.telemetry import observe_event_lag


def lag_count(topic: str, group: str) -> float:
    value = REGISTRY.get_sample_value(
        "tandem_event_lag_seconds_count", {"topic": topic, "group": group}
    )
    return value or 0.0


def test_the_lag_is_read_from_a_stream_entry_id() -> None:
    before = lag_count("oa.test", "erp")
    sum_before = (
        REGISTRY.get_sample_value(
            "tandem_event_lag_seconds_sum", {"topic": "oa.test", "group": "erp"}
        )
        or 0.0
    )
    observe_event_lag("oa.test", "erp", f"{int(time.time() * 1000) - 2000}-0")
    assert lag_count("oa.test", "erp") == before + 1
    added = REGISTRY.get_sample_value(
        "tandem_event_lag_seconds_sum", {"topic": "oa.test", "group": "erp"}
    )
    assert added is not None and added - sum_before >= 2.0


def test_the_in_process_bus_sequence_numbers_are_not_a_lag() -> None:
    before = lag_count("oa.memory", "erp")
    observe_event_lag("oa.memory", "erp", "17-0")
    assert lag_count("oa.memory", "erp") == before


def test_the_services_serve_metrics_without_a_gateway_token(supergraph: Path) -> None:
    text = supergraph.read_text(encoding="utf-8")
    for name in ("oa", "erp"):
        marker = f'@join__graph(name: "{name}", url: "'
        url = text.split(marker, 1)[1].split('"', 1)[0]
        response = httpx.get(url.replace("/graphql", "/metrics"), timeout=10)
        assert response.status_code == 200
        assert "# TYPE tandem_event_lag_seconds histogram" in response.text
        refused = httpx.post(url, json={"query": "{ __typename }"}, timeout=10)
        assert refused.status_code == 401  # the rest still wants the gateway's token
