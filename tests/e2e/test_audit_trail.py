"""The audit trail through the gateway: OA and ERP as processes on PostgreSQL and on SQLite
(``any_stack``), ``tandem serve`` with the default policy (issue 16, item 1).

A change made through the gateway is in its subgraph's trail as its maker's, with what changed;
auditors and security admins read the trails with filters and cursors, nobody else does; an
audit record edited in the database is named by ``python -m subgraphs.<name> audit verify``.
Each session stack verifies both chains again when it stops (``tests/e2e/fixtures.py``,
``tests/e2e/sqlite_stack.py``), after every test that used it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.fixtures import verify_audit_chain
from tests.e2e.flows import approve_fully, item, submit_purchase, wait_for_orders
from tests.e2e.sqlite_stack import run_sql
from tests.e2e.stack import Stack

SALES = "emp-040"  # Qiang Yang, sales
AUDITOR = "emp-048"  # QA, auditor
SECURITY = "emp-013"  # IT, security_admin
WRITER = "emp-041"

CREATE_ORDER = """
mutation ($input: CreateSalesOrderInput!) { createSalesOrder(input: $input) { id status } }
"""
SEND = "mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }"
FIELDS = """
edges { node {
  seq subject clientId operation kind entityType entityId recordedAt hash prevHash
  changes { field old new encrypted }
} }
pageInfo { hasNextPage endCursor }
"""
ERP_TRAIL = f"""
query ($filter: AuditFilter, $first: Int, $after: String) {{
  erpAuditTrail(filter: $filter, first: $first, after: $after) {{ {FIELDS} }}
}}
"""
OA_TRAIL = f"""
query ($filter: AuditFilter, $first: Int, $after: String) {{
  oaAuditTrail(filter: $filter, first: $first, after: $after) {{ {FIELDS} }}
}}
"""


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


def by_field(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {change["field"]: change for change in record["changes"]}


def test_a_sales_order_is_in_the_erp_trail_as_its_makers_with_its_values(any_stack: Stack) -> None:
    order = {"customerId": "cus-04", "lines": [{"sku": "SKU-0002", "quantity": 2}]}
    created = any_stack.client.data(SALES, CREATE_ORDER, input=order)["createSalesOrder"]

    found = any_stack.client.data(
        AUDITOR, ERP_TRAIL, filter={"entityType": "SalesOrder", "entityId": created["id"]}
    )
    [record] = nodes(found["erpAuditTrail"])
    assert record["subject"] == SALES
    assert record["clientId"] is None
    assert (record["operation"], record["kind"]) == ("createSalesOrder", "CREATE")
    values = by_field(record)
    assert values["status"]["new"] == created["status"] and values["status"]["old"] is None
    assert values["customer_id"]["new"] == "cus-04"
    assert record["recordedAt"].endswith("+08:00")  # the company's time zone

    mine = nodes(
        any_stack.client.data(
            SECURITY, ERP_TRAIL, filter={"subject": SALES, "operation": "createSalesOrder"}
        )["erpAuditTrail"]
    )
    assert record["seq"] in {other["seq"] for other in mine}
    assert {other["entityType"] for other in mine} >= {"SalesOrder", "SalesOrderLine"}


def test_an_oa_message_is_in_the_oa_trail_and_pages_walk_it_newest_first(any_stack: Stack) -> None:
    for n in range(3):
        any_stack.client.data(
            WRITER, SEND, input={"to": ["emp-042"], "subject": f"audit {n}", "body": "b"}
        )
    condition = {"subject": WRITER, "operation": "sendMessage", "entityType": "Message"}
    first = any_stack.client.data(AUDITOR, OA_TRAIL, filter=condition, first=2)["oaAuditTrail"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = any_stack.client.data(
        AUDITOR, OA_TRAIL, filter=condition, first=100, after=first["pageInfo"]["endCursor"]
    )["oaAuditTrail"]
    walked = nodes(first) + nodes(rest)
    assert [by_field(r)["subject"]["new"] for r in walked[:3]] == ["audit 2", "audit 1", "audit 0"]
    seqs = [r["seq"] for r in walked]
    assert seqs == sorted(seqs, reverse=True)


@pytest.mark.parametrize("field", ["oaAuditTrail", "erpAuditTrail"])
def test_no_one_but_auditors_and_security_admins_reads_a_trail(
    any_stack: Stack, field: str
) -> None:
    body = any_stack.client.post(SALES, f"{{ {field}(first: 1) {{ edges {{ node {{ seq }} }} }} }}")
    assert body.get("data") is None or body["data"].get(field) is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"


@pytest.fixture
def tampered_erp_record(any_stack: Stack) -> Iterator[int]:
    """The ERP's newest audit record with its ``changes`` rewritten in the database; put
    back afterwards, so that the session's chain verifies again."""
    order = {"customerId": "cus-04", "lines": [{"sku": "SKU-0003", "quantity": 1}]}
    any_stack.client.data(SALES, CREATE_ORDER, input=order)
    [row] = run_sql(
        any_stack.erp_database, "SELECT seq, changes FROM erp_audit_log ORDER BY seq DESC LIMIT 1"
    )
    forged = '[{"field":"quantity","new":"1000","old":null}]'
    run_sql(any_stack.erp_database, "UPDATE erp_audit_log SET changes = $1 WHERE seq = $2", forged,
        row["seq"])  # fmt: skip
    try:
        yield int(row["seq"])
    finally:
        run_sql(any_stack.erp_database, "UPDATE erp_audit_log SET changes = $1 WHERE seq = $2",
            row["changes"], row["seq"])  # fmt: skip


def test_an_audit_record_edited_in_the_database_is_named_by_verify(
    any_stack: Stack, tampered_erp_record: int
) -> None:
    run = verify_audit_chain("erp", any_stack.erp_database)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"BROKEN at record {tampered_erp_record}:" in run.stdout
    assert "was changed after it was written" in run.stdout
    assert verify_audit_chain("oa", any_stack.oa_database).returncode == 0


def test_an_order_the_erp_creates_from_an_approved_request_is_the_consumers(
    any_stack: Stack,
) -> None:
    client = any_stack.client
    applicant = "emp-031"
    request_id = submit_purchase(client, applicant, "Audited boards",
                                 [item("SKU-0015", 2, "10.00", "sup-02")], "2036-09")  # fmt: skip
    approve_fully(client, request_id, applicant)
    order = wait_for_orders(client, applicant, [request_id])[request_id]

    found = client.data(
        AUDITOR, ERP_TRAIL, filter={"entityType": "PurchaseOrder", "entityId": order["id"]}
    )
    [created] = [r for r in nodes(found["erpAuditTrail"]) if r["kind"] == "CREATE"]
    assert created["subject"] == "system:erp"  # the ERP's event consumer, not a person
    assert created["operation"] == "oa.approval.approved"
    assert by_field(created)["approval_request_id"]["new"] == request_id
    submitted = client.data(
        AUDITOR, OA_TRAIL, filter={"entityType": "ApprovalRequest", "entityId": request_id,
                                   "kind": "CREATE"},
    )  # fmt: skip
    [record] = nodes(submitted["oaAuditTrail"])
    assert (record["subject"], record["operation"]) == (applicant, "submitPurchaseRequest")
