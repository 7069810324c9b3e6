"""Every invalid field of an order reported together (issue 16, item 6): a purchase order
(which only the ERP's own roles may create, so not through the gateway's default policy)
answers one ``BAD_USER_INPUT`` per field the resolver or the store refuses, and stores
nothing; an unknown supplier is ``NOT_FOUND`` only once the fields are valid."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from subgraphs.erp.store.models import PurchaseOrder
from tandem_shared.db import transaction
from tests.erp.catalog import make_catalog
from tests.erp.harness import ErpClient

pytestmark = pytest.mark.anyio

CREATE = """
mutation ($i: CreatePurchaseOrderInput!) { createPurchaseOrder(input: $i) { id } }
"""


def money(amount: str, currency: str = "CNY") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


async def orders(erp: ErpClient) -> int:
    async with transaction(erp.sessions) as db:
        return int(await db.scalar(select(func.count()).select_from(PurchaseOrder)) or 0)


async def test_every_invalid_field_of_a_purchase_order_is_reported_at_once(
    erp: ErpClient,
) -> None:
    catalog = await make_catalog(erp, items=2)
    before = await orders(erp)
    lines = [
        {"sku": catalog.skus[0], "quantity": 0, "unitPrice": money("1.234")},
        {"sku": catalog.skus[1], "quantity": 2, "unitPrice": money("0.00")},
    ]
    given = {"supplierId": "sup-nobody", "lines": lines, "departmentId": "dept-01",
             "budgetPeriod": "2031-13"}  # fmt: skip

    body = await erp.post(CREATE, {"i": given})

    found = {(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]}
    assert found == {
        ("BAD_USER_INPUT", "input.lines.0.unitPrice.amount"),
        ("BAD_USER_INPUT", "input.lines.0.quantity"),
        ("BAD_USER_INPUT", "input.lines.1.unitPrice.amount"),
        ("BAD_USER_INPUT", "input.budgetPeriod"),
    }, body
    assert len(body["errors"]) == 4 and body["data"] is None
    assert await orders(erp) == before

    fixed = {
        **given,
        "budgetPeriod": "2031-12",
        "lines": [{**line, "quantity": 1, "unitPrice": money("3.00")} for line in lines],
    }
    error = await erp.error(CREATE, {"i": fixed})  # fmt: skip
    assert (error["code"], error["field"]) == ("NOT_FOUND", "input.supplierId")
