"""The data standard both subgraphs share, on the ERP side (issue 16, item 6): an unknown id
is ``NOT_FOUND`` naming its argument, a value its type cannot parse is ``BAD_USER_INPUT``
naming the argument, periods are ``YYYY-MM``, actors are ``Employee`` references or the
system. On SQLite and PostgreSQL; through the gateway: ``tests/e2e/test_data_standard.py``.
"""

from __future__ import annotations

import pytest

from subgraphs.erp.store import inventory
from tandem_shared.db import transaction
from tests.erp.catalog import ADJUST, make_catalog
from tests.erp.harness import BOB, ErpClient

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("field", "argument", "named"),
    [
        ("purchaseOrder", "id", "id"),
        ("salesOrder", "id", "id"),
        ("journalEntry", "id", "id"),
        ("supplier", "id", "id"),
        ("customer", "id", "id"),
        ("asset", "id", "id"),
        ("workOrder", "id", "id"),
        ("productionPlan", "id", "id"),
        ("item", "sku", "sku"),
        ("billOfMaterials", "sku", "sku"),
    ],
)
async def test_an_unknown_id_is_not_found_naming_the_argument(
    erp: ErpClient, field: str, argument: str, named: str
) -> None:
    body = await erp.post(f'{{ {field}({argument}: "nothing-here") {{ __typename }} }}',
                          principal=BOB)  # fmt: skip
    assert body["data"] == {field: None}
    [error] = body["errors"]
    assert error["path"] == [field]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["field"] == named


async def test_a_malformed_scalar_is_bad_user_input_naming_the_argument(erp: ErpClient) -> None:
    literal = await erp.error('{ purchaseOrders(first: "ten") { edges { node { id } } } }')
    assert (literal["code"], literal["field"]) == ("BAD_USER_INPUT", "first")
    variable = await erp.error(
        "query ($n: Int) { purchaseOrders(first: $n) { edges { node { id } } } }", {"n": "ten"}
    )
    assert (variable["code"], variable["field"]) == ("BAD_USER_INPUT", "first")
    assert "ten" not in variable["message"]


async def test_a_period_is_yyyy_mm(erp: ErpClient) -> None:
    error = await erp.error('{ budgets(period: "203601") { edges { node { period } } } }',
                            principal=BOB)  # fmt: skip
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "period")


async def test_actors_are_employee_references_or_the_system(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=1)
    (sku,) = catalog.skus
    async with transaction(erp.sessions) as db:
        await inventory.move_stock(
            db,
            sku=sku,
            warehouse_id=catalog.warehouse,
            quantity=5,
            kind=inventory.MovementKind.RECEIPT,
            actor="system:approvals",
        )
    await erp.data(ADJUST, {"i": {"sku": sku, "warehouseId": catalog.warehouse,
                                  "quantity": -1, "reason": "count"}})  # fmt: skip
    query = """query ($sku: ID!) { stockMovements(filter: {sku: $sku}) { edges { node {
      actor { __typename ... on Employee { id } ... on SystemActor { name } } } } } }"""
    movements = await erp.data(query, {"sku": sku})
    assert [edge["node"]["actor"] for edge in movements["stockMovements"]["edges"]] == [
        {"__typename": "Employee", "id": "emp-001"},
        {"__typename": "SystemActor", "name": "system:approvals"},
    ]


async def test_every_invalid_field_of_a_new_supplier_is_reported_together(
    erp: ErpClient,
) -> None:
    query = "mutation ($i: CreateSupplierInput!) { createSupplier(input: $i) { id } }"
    body = await erp.post(query, {"i": {"name": " ", "contact": "", "rating": 9}})
    named = sorted(error["extensions"]["field"] for error in body["errors"])
    assert named == ["input.contact", "input.name", "input.rating"]
    assert {error["extensions"]["code"] for error in body["errors"]} == {"BAD_USER_INPUT"}
