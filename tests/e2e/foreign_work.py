"""Other roles' work, for the persona journeys to be refused: one mutation per entry, each
with a witness, a read by someone who may read the records the mutation would change.

:func:`assert_refused` sends the mutation as a persona and asserts that the gateway refused
it with ``FORBIDDEN`` at the mutation's root field by the policy (the error names the
``Mutation.<field>`` coordinate), and that the witness reads the same before and after: a
refused mutation wrote nothing. Every write here aims at records no journey uses (periods
in 2036, department ``dept-08``'s purchases, customer ``cus-06``, employee ``emp-050``), so
a write that slipped through would show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.e2e.stack import Gateway

__all__ = ["AUDITOR", "WORK", "Work", "assert_refused", "assert_withheld", "send"]

AUDITOR = "emp-048"
"""Reads everything (``p, auditor, *, *, read``): the witness of most refusals."""
HR = "emp-020"
FINANCE = "emp-006"


@dataclass(frozen=True)
class Work:
    """A mutation of some role's work and how to see that it wrote nothing."""

    mutation: str
    variables: Callable[[Gateway], dict[str, Any]]
    witness: Callable[[Gateway], Any]


def _read(who: str, query: str, **variables: Any) -> Callable[[Gateway], Any]:
    return lambda client: client.data(who, query, **variables)


def _first_id(client: Gateway, query: str) -> str:
    """The id of the first record ``query`` (one connection at the root) finds, as the auditor."""
    [connection] = client.data(AUDITOR, query).values()
    assert connection["edges"], f"the demo data has none: {query}"
    found: str = connection["edges"][0]["node"]["id"]
    return found


def _by_id(lookup: str, read: str) -> tuple[Callable[[Gateway], dict[str, Any]],
                                             Callable[[Gateway], Any]]:  # fmt: skip
    """Variables ``{id}`` of the first record ``lookup`` finds and a witness reading it."""
    found: dict[str, str] = {}

    def record_id(client: Gateway) -> str:
        if "id" not in found:
            found["id"] = _first_id(client, lookup)
        return found["id"]

    return (
        lambda client: {"id": record_id(client)},
        lambda client: client.data(AUDITOR, read, id=record_id(client)),
    )


def _money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


_send_vars, _send_witness = _by_id(
    "{ purchaseOrders(filter: { status: CREATED }, first: 1) { edges { node { id } } } }",
    "query ($id: ID!) { purchaseOrder(id: $id) { status sentAt } }",
)
_receive_vars, _receive_witness = _by_id(
    "{ purchaseOrders(filter: { status: SENT }, first: 1) { edges { node { id } } } }",
    "query ($id: ID!) { purchaseOrder(id: $id) { status receivedAt receivedInto { id } } }",
)
_ship_vars, _ship_witness = _by_id(
    "{ salesOrders(filter: { status: CONFIRMED }, first: 1) { edges { node { id } } } }",
    "query ($id: ID!) { salesOrder(id: $id) { status shippedAt } }",
)
_release_vars, _release_witness = _by_id(
    "{ workOrders(filter: { status: PLANNED }, first: 1) { edges { node { id } } } }",
    "query ($id: ID!) { workOrder(id: $id) { status releasedAt inspections { id } } }",
)

WORK: dict[str, Work] = {
    "postJournalEntry": Work(
        """mutation ($input: PostJournalEntryInput!) { postJournalEntry(input: $input) { id } }""",
        lambda _: {
            "input": {
                "entryDate": "2036-01-15",
                "memo": "refused entry",
                "lines": [
                    {"accountCode": "6602", "debit": _money("100.00")},
                    {"accountCode": "1002", "credit": _money("100.00")},
                ],
            }
        },
        _read(AUDITOR, '{ journalEntries(period: "2036-01") { edges { node { id } } } }'),
    ),
    "setBudget": Work(
        "mutation ($input: SetBudgetInput!) { setBudget(input: $input) { id } }",
        lambda _: {
            "input": {
                "departmentId": "dept-08",
                "period": "2036-02",
                "amount": _money("9999999.00"),
            }
        },
        _read(
            AUDITOR, '{ budgets(period: "2036-02") { edges { node { id amount { amount } } } } }'
        ),
    ),
    "createPurchaseOrder": Work(
        "mutation ($input: CreatePurchaseOrderInput!) "
        "{ createPurchaseOrder(input: $input) { id } }",
        lambda _: {
            "input": {
                "supplierId": "sup-06",
                "departmentId": "dept-08",
                "budgetPeriod": "2036-03",
                "lines": [{"sku": "SKU-0030", "quantity": 1, "unitPrice": _money("32.00")}],
            }
        },
        _read(
            AUDITOR,
            '{ purchaseOrders(filter: { departmentId: "dept-08" }, first: 100) '
            "{ edges { node { id } } } }",
        ),
    ),
    "sendPurchaseOrder": Work(
        "mutation ($id: ID!) { sendPurchaseOrder(id: $id) { id } }", _send_vars, _send_witness
    ),
    "receiveGoods": Work(
        """mutation ($id: ID!) {
          receiveGoods(input: { purchaseOrderId: $id, warehouseId: "wh-sh" }) { id }
        }""",
        _receive_vars,
        _receive_witness,
    ),
    "adjustStock": Work(
        "mutation ($input: AdjustStockInput!) { adjustStock(input: $input) { quantity } }",
        lambda _: {
            "input": {
                "sku": "SKU-0033",
                "warehouseId": "wh-sh",
                "quantity": 500,
                "reason": "refused count",
            }
        },
        _read(AUDITOR, '{ stock(sku: "SKU-0033") { warehouse { id } quantity } }'),
    ),
    "createCustomer": Work(
        "mutation ($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }",
        lambda _: {"input": {"name": "Refused Customer", "creditLimit": _money("1000.00")}},
        _read(AUDITOR, '{ customers(search: "Refused Customer") { edges { node { id } } } }'),
    ),
    "createSalesOrder": Work(
        "mutation ($input: CreateSalesOrderInput!) { createSalesOrder(input: $input) { id } }",
        lambda _: {
            "input": {"customerId": "cus-06", "lines": [{"sku": "SKU-0039", "quantity": 1}]}
        },
        _read(AUDITOR, '{ customer(id: "cus-06") { salesOrders { edges { node { id } } } } }'),
    ),
    "shipSalesOrder": Work(
        "mutation ($id: ID!) { shipSalesOrder(id: $id) { id } }", _ship_vars, _ship_witness
    ),
    "releaseWorkOrder": Work(
        """mutation ($id: ID!) { releaseWorkOrder(id: $id, warehouseId: "wh-sh") { id } }""",
        _release_vars,
        _release_witness,
    ),
    "recordInspection": Work(
        """mutation ($id: ID!) {
          recordInspection(input: { workOrderId: $id, inspected: 1, defects: 1 }) { id }
        }""",
        _release_vars,
        _release_witness,
    ),
    "createProductionPlan": Work(
        "mutation ($input: CreateProductionPlanInput!) "
        "{ createProductionPlan(input: $input) { id } }",
        lambda _: {
            "input": {
                "name": "Refused plan",
                "period": "2036-04",
                "lines": [{"sku": "SKU-0035", "quantity": 1}],
            }
        },
        _read(AUDITOR, '{ productionPlans(period: "2036-04") { edges { node { id } } } }'),
    ),
    "registerAsset": Work(
        "mutation ($input: RegisterAssetInput!) { registerAsset(input: $input) { id } }",
        lambda _: {
            "input": {
                "name": "Refused asset",
                "category": "vehicles",
                "cost": _money("1000.00"),
                "acquisitionDate": "2036-01-01",
                "usefulLifeMonths": 12,
            }
        },
        _read(AUDITOR, "{ assets(first: 100) { edges { node { id name } } } }"),
    ),
    "updateEmployeeIdentity": Work(
        """mutation ($phone: String!) {
          updateEmployeeIdentity(id: "emp-050", phone: $phone) { id }
        }""",
        lambda _: {"phone": "+86 100 0000 0000"},
        _read(HR, '{ employee(id: "emp-050") { phone idCardNumber } }'),
    ),
    "setSalary": Work(
        """mutation ($salary: MoneyInput!) {
          setSalary(employeeId: "emp-050", salary: $salary) { id }
        }""",
        lambda _: {"salary": _money("1.00")},
        _read(FINANCE, '{ employee(id: "emp-050") { salary { amount currency } } }'),
    ),
    "defineApprovalFlow": Work(
        "mutation ($input: DefineApprovalFlowInput!) { defineApprovalFlow(input: $input) { id } }",
        lambda _: {
            "input": {
                "kind": "REFUSED",
                "name": "Refused flow",
                "steps": [{"rule": "DEPARTMENT_MANAGER"}],
            }
        },
        _read(AUDITOR, '{ approvalFlow(kind: "REFUSED") { id } }'),
    ),
}
"""Root field -> the work; the persona tests name the entries of other roles' work."""


def send(client: Gateway, who: str, query: str, **variables: Any) -> dict[str, Any]:
    """The body of ``query`` sent as ``who``, whatever the HTTP status: a refused operation
    may be answered 200 with errors or, refused as a whole, with 403."""
    response = client.http.post(
        client.url,
        json={"query": query, "variables": variables},
        headers=client.people(who).headers,
    )
    assert response.status_code in (200, 403), response.text
    body: dict[str, Any] = response.json()
    return body


def assert_refused(client: Gateway, who: str, field: str) -> None:
    """``who`` may not do ``field`` (a key of :data:`WORK`): FORBIDDEN by the policy, and the
    witness reads the same before and after."""
    work = WORK[field]
    variables = work.variables(client)
    before = work.witness(client)
    body = send(client, who, work.mutation, **variables)
    errors = body.get("errors") or []
    coordinate = f"Mutation.{field}"
    refusals = [  # the whole operation refused naming the coordinate, or at the field's path
        error
        for error in errors
        if error.get("extensions", {}).get("code") == "FORBIDDEN"
        and (coordinate in str(error.get("extensions")) or error.get("path", [None])[0] == field)
    ]
    assert refusals, (who, field, body)
    assert (body.get("data") or {}).get(field) is None, (who, field, body)
    assert work.witness(client) == before, f"{who}'s refused {field} wrote something"


def assert_withheld(client: Gateway, who: str, query: str, coordinate: str) -> None:
    """``who`` asks ``query`` and gets ``coordinate`` withheld: null with ``FORBIDDEN`` at its
    paths naming it, and no other refusal."""
    body = send(client, who, query)
    refused = [e for e in body.get("errors") or [] if e["extensions"]["code"] == "FORBIDDEN"]
    assert refused, (who, coordinate, body)
    assert {e["extensions"].get("coordinate") for e in refused} == {coordinate}, refused
    for error in refused:
        value: Any = body["data"]
        for step in error["path"]:
            value = None if value is None else value[step]
        assert value is None, (who, coordinate, error["path"], "leaked")
