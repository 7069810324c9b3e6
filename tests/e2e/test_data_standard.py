"""One data standard for OA and ERP, through the gateway (issue 16, item 6): malformed scalars
are ``BAD_USER_INPUT`` naming the argument, unknown ids are ``NOT_FOUND`` in both subgraphs,
periods are ``YYYY-MM`` in both.

OA, ERP and ``tandem serve`` are processes, on PostgreSQL and on SQLite (``any_stack``); the
rules in more detail are in ``tests/oa`` and ``tests/erp`` (``test_standards.py``).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.stack import Stack

EMPLOYEE = "emp-041"
FINANCE = "emp-006"
ROOMS = """
query ($start: DateTime!, $end: DateTime!) {
  roomAvailability(start: $start, end: $end) { room { id } }
}
"""


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    [error] = body["errors"]
    return {"message": error["message"], **error.get("extensions", {})}


@pytest.mark.parametrize("value", ["2026-12-10 10:00", "tomorrow", "2026-12-10T10:00:00"])
def test_a_malformed_date_time_variable_is_bad_user_input_naming_its_argument(
    any_stack: Stack, value: str
) -> None:
    body = any_stack.client.post(EMPLOYEE, ROOMS, start=value, end="2026-12-10T11:00:00+08:00")
    error = only_error(body)
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "start"), body
    assert value not in error["message"]


def test_a_malformed_date_time_literal_is_bad_user_input_naming_its_argument(
    any_stack: Stack,
) -> None:
    query = (
        '{ roomAvailability(start: "2026-12-10T10:00:00+08:00", end: "tomorrow") { room { id } } }'
    )
    error = only_error(any_stack.client.post(EMPLOYEE, query))
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "end")


@pytest.mark.parametrize(
    ("field", "argument"),
    [
        ("purchaseOrder", 'id: "po-unknown"'),
        ("salesOrder", 'id: "so-unknown"'),
        ("journalEntry", 'id: "je-unknown"'),
        ("supplier", 'id: "sup-unknown"'),
        ("employee", 'id: "emp-unknown"'),
    ],
)
def test_an_unknown_id_is_not_found_in_both_subgraphs(
    any_stack: Stack, field: str, argument: str
) -> None:
    body = any_stack.client.post(FINANCE, f"{{ {field}({argument}) {{ id }} }}")
    assert body["data"] == {field: None}
    error = only_error(body)
    assert (error["code"], error["field"]) == ("NOT_FOUND", "id"), body


def test_a_period_is_yyyy_mm_in_both_subgraphs_and_yyyymm_nowhere(any_stack: Stack) -> None:
    submit = """
    mutation ($input: PurchaseRequestInput!) { submitPurchaseRequest(input: $input) { id } }
    """
    item = {"sku": "SKU-0001", "quantity": 1, "unitPrice": {"amount": "1.00", "currency": "CNY"}}
    old = any_stack.client.post(EMPLOYEE, submit, input={"title": "x", "items": [item],
                                                      "budgetPeriod": "203601"})  # fmt: skip
    error = only_error(old)
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "input.budgetPeriod")
    budgets = '{ budgets(period: "203601") { edges { node { period } } } }'
    error = only_error(any_stack.client.post(FINANCE, budgets))
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "period")
