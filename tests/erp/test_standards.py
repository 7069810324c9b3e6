"""The data standard both subgraphs share, on the ERP side (issue 16, item 6): an unknown id
is ``NOT_FOUND`` naming its argument, a value its type cannot parse is ``BAD_USER_INPUT``
naming the argument, periods are ``YYYY-MM``. On SQLite and PostgreSQL; through the gateway:
``tests/e2e/test_data_standard.py``.
"""

from __future__ import annotations

import pytest

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
