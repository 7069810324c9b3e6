"""No token, variable value or decrypted value reaches a span attribute (the gateway's or a
subgraph's), a metric label or a log line; what the operator is promised does (decryptions
and denials by coordinate, the request line's fields)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.telemetry.logs import REQUEST_LOGGER, JsonFormatter
from tests.e2e.stack import eventually
from tests.support.otlp_receiver import Receiver
from tests.support.processes import REPO_ROOT
from tests.telemetry.stack import gateway_client

pytestmark = pytest.mark.anyio

SECRET_VARIABLE = "SECRET-VARIABLE-7f3a91"
SECRET_TOKEN = "SECRET-TOKEN-c0ffee42"
FINANCE = {"x-tandem-dev-user": "emp-005", "x-tandem-dev-roles": "finance,manager,employee"}
INTEGRATOR = {"x-tandem-dev-user": "partner-1", "x-tandem-dev-roles": "integrator"}
SALARY = """query Salaries($department: ID!, $employee: ID!) {
  department(id: $department) { id }
  employee(id: $employee) { id salary { amount currency } }
}"""
BANK = "{ suppliers(first: 1) { edges { node { id bankAccount } } } }"
TRACEPARENT = "00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def labels(metrics: str) -> list[str]:
    """Every label value of every sample."""
    return [
        value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        for value in sample.labels.values()
    ]


def sample(metrics: str, name: str, **wanted: str) -> float:
    for family in text_string_to_metric_families(metrics):
        for each in family.samples:
            if each.name == name and all(each.labels.get(k) == v for k, v in wanted.items()):
                return float(each.value)
    return 0.0


async def test_spans_labels_and_log_lines_hold_no_secret(
    supergraph: Path, data_dir: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    settings: dict[str, Any] = {"policy_dir": REPO_ROOT / "policies"}
    async with gateway_client(supergraph, data_dir, **settings) as (client, exported):
        decrypted = await client.post(
            "/graphql",
            json={
                "query": SALARY,
                "variables": {"department": SECRET_VARIABLE, "employee": "emp-031"},
            },
            headers={
                **FINANCE,
                "authorization": f"Bearer {SECRET_TOKEN}",
                "traceparent": TRACEPARENT,
            },
        )
        denied = await client.post("/graphql", json={"query": BANK}, headers=INTEGRATOR)
        metrics = (await client.get("/metrics")).text
    body = decrypted.json()
    assert body["data"]["department"] is None, body  # the secret reached the OA's SQL
    salary = body["data"]["employee"]["salary"]["amount"]
    assert salary and "*" not in salary, body  # a plaintext, opened by the gateway
    (refusal,) = denied.json()["errors"]  # the integrator may not list suppliers
    assert refusal["extensions"]["code"] == "FORBIDDEN"
    secrets = (SECRET_VARIABLE, SECRET_TOKEN, salary)

    # what the operator is promised is there
    assert sample(metrics, "tandem_decryptions_total", coordinate="Employee.salary") == 1
    coordinate = refusal["extensions"]["coordinate"]
    assert sample(metrics, "tandem_authorization_denials_total", coordinate=coordinate) == 1
    lines = [
        orjson.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == REQUEST_LOGGER
    ]
    first = lines[0]
    assert first["request_id"] == decrypted.headers["x-request-id"]
    assert first["operation_name"] == "Salaries" and first["subject"] == "emp-005"
    assert first["status"] == 200
    assert first["outcome"] == ("partial" if body.get("errors") else "success")
    assert {timing["subgraph"] for timing in first["subgraphs"]} == {"oa", "erp"}
    assert len(first["document_hash"]) == 64 and first["trace_id"] == TRACEPARENT[3:35]

    # and no secret anywhere
    def subgraph_spans() -> list[Any] | None:
        spans = receiver.of_trace(TRACEPARENT[3:35])
        return spans if {s.service for s in spans} == {"tandem-oa", "tandem-erp"} else None

    received = eventually(subgraph_spans)
    attributes = [
        str(v) for s in exported.get_finished_spans() for v in (s.attributes or {}).values()
    ]
    attributes += [str(v) for s in received for v in s.attributes.values()]
    assert any("SELECT" in value for value in attributes)  # the SQL statements are there
    for secret in secrets:
        assert not [value for value in attributes if secret in value], secret
        assert not [value for value in labels(metrics) if secret in value], secret
        assert not [line for line in lines if secret in orjson.dumps(line).decode()], secret
        assert secret not in caplog.text
