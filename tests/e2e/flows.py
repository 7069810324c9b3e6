"""The cross-boundary processes driven through the gateway: submit, approve, look for effects.

Everything here goes through the gateway as the demo company's people, except the
``*_in_database`` checks, which count rows in the subgraphs' databases to prove "exactly
once" below what the API shows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.e2e.stack import Gateway, Stack, eventually, sql

__all__ = [
    "APPROVE",
    "FINANCE",
    "ORDER_OF",
    "PURCHASING",
    "REQUEST",
    "approve_fully",
    "budget",
    "item",
    "messages",
    "order_of",
    "orders_in_database",
    "stale_item_in_oa_copy",
    "submit_expense",
    "submit_purchase",
    "wait_for_orders",
]

FINANCE = "emp-005"
"""Head of Finance (roles finance, manager): decides the finance steps."""
PURCHASING = "emp-023"
"""Head of Procurement: sends orders and receives goods."""
ROLE_HOLDERS = {"finance": FINANCE}

SUBMIT_PURCHASE = """
mutation ($input: PurchaseRequestInput!) {
  submitPurchaseRequest(input: $input) { id status amount { amount currency } }
}"""
SUBMIT = """
mutation ($kind: String!, $input: ApprovalRequestInput!) {
  submitApprovalRequest(kind: $kind, input: $input) { id status }
}"""
REQUEST = """
query ($id: ID!) {
  approvalRequest(id: $id) {
    id status
    currentStep { number name rule role approver { id } }
  }
}"""
APPROVE = """
mutation ($id: ID!, $step: Int) { approve(id: $id, step: $step) { id status } }"""
ORDER_OF = """
query ($id: ID!) {
  approvalRequest(id: $id) {
    id status
    purchaseOrder {
      id orderNo status budgetExceeded budgetPeriod
      total { amount currency }
      approvalRequest { id title applicant { id } }
      requestedBy { id }
    }
  }
}"""
BUDGET = """
query ($id: ID!, $period: String!) {
  department(id: $id) {
    id name
    budget(period: $period) {
      amount { amount } committed { amount } spent { amount } exceeded
    }
  }
}"""
MESSAGES = """
query ($search: String) {
  messages(folder: INBOX, search: $search, first: 50) {
    edges { node { id subject body system } }
  }
}"""


def item(sku: str, quantity: int, price: str, supplier: str = "sup-01") -> dict[str, Any]:
    """One line of a purchase request."""
    return {
        "sku": sku,
        "quantity": quantity,
        "unitPrice": {"amount": price, "currency": "CNY"},
        "supplierId": supplier,
    }


def submit_purchase(
    client: Gateway, applicant: str, title: str, items: list[dict[str, Any]], period: str
) -> str:
    """Submit a purchase request as ``applicant`` (``period``: YYYY-MM); its id."""
    data = client.data(
        applicant,
        SUBMIT_PURCHASE,
        input={"title": title, "items": items, "budgetPeriod": period},
    )
    request = data["submitPurchaseRequest"]
    assert request["status"] == "PENDING", request
    request_id: str = request["id"]
    return request_id


def submit_expense(client: Gateway, applicant: str, title: str, amount: str, period: str) -> str:
    """Submit an expense claim as ``applicant``; its id."""
    data = client.data(
        applicant,
        SUBMIT,
        kind="EXPENSE",
        input={
            "title": title,
            "amount": {"amount": amount, "currency": "CNY"},
            "budgetPeriod": period,
        },
    )
    request_id: str = data["submitApprovalRequest"]["id"]
    return request_id


def approve_fully(client: Gateway, request_id: str, applicant: str) -> list[str]:
    """Approve every step, each as its own approver (the step's named approver, or the
    holder of its role); who approved, in order."""
    deciders: list[str] = []
    for _ in range(10):
        request = client.data(applicant, REQUEST, id=request_id)["approvalRequest"]
        if request["status"] == "APPROVED":
            return deciders
        assert request["status"] == "PENDING", request
        step = request["currentStep"]
        who = step["approver"]["id"] if step["approver"] else ROLE_HOLDERS[step["role"]]
        approved = client.data(who, APPROVE, id=request_id, step=step["number"])["approve"]
        assert approved["id"] == request_id
        deciders.append(who)
    raise AssertionError(f"{request_id} is still not approved after {deciders}")


def order_of(client: Gateway, who: str, request_id: str) -> dict[str, Any] | None:
    """The purchase order of ``request_id`` as the gateway joins it (OA -> ERP -> OA), or None."""
    request = client.data(who, ORDER_OF, id=request_id)["approvalRequest"]
    order: dict[str, Any] | None = request["purchaseOrder"]
    return order


def wait_for_orders(
    client: Gateway, who: str, request_ids: list[str], timeout: float = 45.0
) -> dict[str, dict[str, Any]]:
    """Request id -> its purchase order, once every request has one."""

    def all_there() -> dict[str, dict[str, Any]] | None:
        orders = {request_id: order_of(client, who, request_id) for request_id in request_ids}
        missing = [request_id for request_id, order in orders.items() if order is None]
        assert not missing, f"no purchase order yet for {missing}"
        return {request_id: order for request_id, order in orders.items() if order is not None}

    return eventually(all_there, timeout=timeout)


def budget(client: Gateway, who: str, department: str, period: str) -> dict[str, Decimal] | None:
    """The department's budget for ``period`` (YYYY-MM): amount, committed, spent."""
    data = client.data(who, BUDGET, id=department, period=period)
    found = data["department"]["budget"]
    if found is None:
        return None
    return {key: Decimal(found[key]["amount"]) for key in ("amount", "committed", "spent")}


def messages(client: Gateway, who: str, search: str | None = None) -> list[dict[str, Any]]:
    """``who``'s inbox (newest first), optionally only messages matching ``search``."""
    edges = client.data(who, MESSAGES, search=search)["messages"]["edges"]
    return [edge["node"] for edge in edges]


def orders_in_database(stack: Stack, request_ids: list[str]) -> dict[str, list[str]]:
    """Request id -> the order numbers the ERP's database holds for it."""
    rows = sql(
        stack.erp_database,
        "SELECT approval_request_id, order_no FROM erp_purchase_orders "
        "WHERE approval_request_id = ANY($1::text[])",
        request_ids,
    )
    found: dict[str, list[str]] = {request_id: [] for request_id in request_ids}
    for row in rows:
        found[row["approval_request_id"]].append(row["order_no"])
    return found


def stale_item_in_oa_copy(stack: Stack, sku: str) -> None:
    """Make OA's copy of the ERP's items list ``sku``, which the ERP does not have (a copy
    behind the ERP, restored from an old backup, ...): OA then accepts a purchase of it at
    submission and the ERP refuses it only when the approval arrives."""
    from tests.e2e.sqlite_stack import run_sql  # it imports this package's stack

    run_sql(stack.oa_database, "INSERT INTO oa_erp_items (sku, name, as_of) "
            "VALUES ($1, 'gone', '2000-01-01 00:00:00')", sku)  # fmt: skip
