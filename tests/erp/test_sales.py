"""Sales: customers, credit and stock checks, reservations, summaries and the forecast."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from subgraphs.common.company_time import company_zone
from subgraphs.erp.store import sales
from subgraphs.erp.store.base import add_months, period_bounds, period_of
from tandem_shared.db import transaction
from tandem_shared.timestamps import utc_now
from tests.erp.catalog import Catalog, make_catalog, stock_up
from tests.erp.harness import ErpClient
from tests.erp.util import ENTITIES, money

pytestmark = pytest.mark.anyio

CREATE_CUSTOMER = """
mutation ($i: CreateCustomerInput!) {
  createCustomer(input: $i) { id customerNo creditLimit { amount } }
}
"""
ORDER = """
mutation ($i: CreateSalesOrderInput!) {
  createSalesOrder(input: $i) {
    id orderNo status total { amount } customer { id }
    lines { item { sku } warehouse { id } quantity unitPrice { amount } amount { amount } }
  }
}
"""
STOCK = "query ($s: ID!) { stock(sku: $s) { quantity reserved available } }"


async def customer(erp: ErpClient, limit: str) -> str:
    created = await erp.data(
        CREATE_CUSTOMER, {"i": {"name": "Acme", "phone": "138 0000 0000",
                                "creditLimit": money(limit)}}
    )  # fmt: skip
    value = created["createCustomer"]
    assert value["customerNo"].startswith("CUS-") and len(value["customerNo"]) == 10
    return str(value["id"])


def order(customer_id: str, catalog: Catalog, quantity: int, **changes: Any) -> dict[str, Any]:
    line = {"sku": catalog.skus[0], "quantity": quantity}
    return {"i": {"customerId": customer_id, "lines": [line]} | changes}


async def test_an_order_reserves_stock_then_ships_it(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=1)
    await stock_up(erp, catalog, 10)
    buyer = await customer(erp, "1000.00")
    created = (await erp.data(ORDER, order(buyer, catalog, 4)))["createSalesOrder"]
    assert created["orderNo"].startswith("SO-") and created["status"] == "CONFIRMED"
    assert created["total"] == {"amount": "100.00"}  # 4 x the list price 25.00
    assert created["lines"][0]["warehouse"] == {"id": catalog.warehouse}
    sku = catalog.skus[0]
    assert (await erp.data(STOCK, {"s": sku}))["stock"] == [
        {"quantity": 10, "reserved": 4, "available": 6}
    ]
    ship = "mutation ($id: ID!) { shipSalesOrder(id: $id) { status } }"
    assert (await erp.data(ship, {"id": created["id"]}))["shipSalesOrder"]["status"] == "SHIPPED"
    assert (await erp.data(STOCK, {"s": sku}))["stock"] == [
        {"quantity": 6, "reserved": 0, "available": 6}
    ]
    assert (await erp.error(ship, {"id": created["id"]}))["code"] == "CONFLICT"


async def test_an_order_beyond_available_stock_is_refused(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=1)
    await stock_up(erp, catalog, 5)
    buyer = await customer(erp, "100000.00")
    await erp.data(ORDER, order(buyer, catalog, 3))
    error = await erp.error(ORDER, order(buyer, catalog, 3))
    assert (error["code"], error["field"], error["available"]) == (
        "CONFLICT",
        "input.lines.0.quantity",
        2,
    )
    adjust = """mutation ($i: AdjustStockInput!) { adjustStock(input: $i) { quantity } }"""
    error = await erp.error(adjust, {"i": {"sku": catalog.skus[0], "warehouseId": catalog.warehouse,
                                           "quantity": -3, "reason": "reserved"}})  # fmt: skip
    assert error["code"] == "CONFLICT"  # reserved stock stays for its order


async def test_the_credit_limit_counts_open_orders(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=1)
    await stock_up(erp, catalog, 100)
    buyer = await customer(erp, "100.00")
    first = (await erp.data(ORDER, order(buyer, catalog, 3)))["createSalesOrder"]  # 75.00
    error = await erp.error(ORDER, order(buyer, catalog, 2))  # 75.00 + 50.00 > 100.00
    assert (error["code"], error["openBalance"], error["orderTotal"]) == (
        "CONFLICT",
        "75.00",
        "50.00",
    )
    found = await erp.data(
        ENTITIES % "... on Customer { openBalance { amount } availableCredit { amount } }",
        {"representations": [{"__typename": "Customer", "id": buyer}]},
    )
    assert found["_entities"][0] == {"__typename": "Customer", "openBalance": {"amount": "75.00"},
                                     "availableCredit": {"amount": "25.00"}}  # fmt: skip
    cancel = "mutation ($id: ID!) { cancelSalesOrder(id: $id) { status } }"
    await erp.data(cancel, {"id": first["id"]})
    await erp.data(ORDER, order(buyer, catalog, 2))


async def test_concurrent_orders_never_exceed_the_credit_limit(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=1)
    await stock_up(erp, catalog, 100)
    buyer = await customer(erp, "100.00")
    answers = await asyncio.gather(*(erp.post(ORDER, order(buyer, catalog, 1)) for _ in range(6)))
    assert sum("errors" not in answer for answer in answers) == 4
    stock = (await erp.data(STOCK, {"s": catalog.skus[0]}))["stock"]
    assert stock == [{"quantity": 100, "reserved": 4, "available": 96}]


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"customerId": "cus-none"}, "NOT_FOUND", "input.customerId"),
        ({"lines": []}, "BAD_USER_INPUT", "input.lines"),
        ({"lines": [{"sku": "NOPE", "quantity": 1}]}, "NOT_FOUND", "input.lines.0.sku"),
        ({"warehouseId": "wh-none"}, "NOT_FOUND", "input.warehouseId"),
    ],
)
async def test_order_input_is_validated(
    erp: ErpClient, change: dict[str, Any], code: str, field: str
) -> None:
    catalog = await make_catalog(erp, items=1)
    buyer = await customer(erp, "100.00")
    error = await erp.error(ORDER, {"i": order(buyer, catalog, 1)["i"] | change})
    assert (error["code"], error["field"]) == (code, field)


async def test_customer_input_is_validated(erp: ErpClient) -> None:
    variables = {"i": {"name": " ", "creditLimit": money("1.00")}}
    error = await erp.error(CREATE_CUSTOMER, variables)
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "input.name")
    variables = {"i": {"name": "x", "creditLimit": money("1e5")}}
    error = await erp.error(CREATE_CUSTOMER, variables)
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "input.creditLimit.amount")


async def _sell(erp: ErpClient, buyer: str, sku: str, quantity: int, when: Any) -> None:
    async with transaction(erp.sessions) as db:
        await sales.create_sales_order(
            db, customer_id=buyer, lines=[sales.SalesLineSpec(sku, quantity)],
            warehouse_id=None, actor="test", at=when,
        )  # fmt: skip


async def test_sales_summary_groups_by_customer_item_and_month(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=2)
    await stock_up(erp, catalog, 100)
    buyers = [await customer(erp, "100000.00") for _ in range(2)]
    year = "2033"  # a year no other test sells in
    january, _ = period_bounds(f"{year}-01")
    march, _ = period_bounds(f"{year}-03")
    await _sell(erp, buyers[0], catalog.skus[0], 2, january + timedelta(days=3))
    await _sell(erp, buyers[0], catalog.skus[1], 1, march + timedelta(days=1))
    await _sell(erp, buyers[1], catalog.skus[0], 4, march + timedelta(hours=1))
    query = """query ($p: String!, $g: SalesGroupBy!) { salesSummary(period: $p, groupBy: $g) {
      rows { key quantity amount { amount } orderCount } } }"""

    async def rows(period: str, group_by: str) -> list[tuple[str, int, str, int]]:
        data = await erp.data(query, {"p": period, "g": group_by})
        return [(r["key"], r["quantity"], r["amount"]["amount"], r["orderCount"])
                for r in data["salesSummary"]["rows"]]  # fmt: skip

    assert await rows(year, "CUSTOMER") == [(buyers[1], 4, "100.00", 1), (buyers[0], 3, "75.00", 2)]
    assert await rows(year, "ITEM") == [(catalog.skus[0], 6, "150.00", 2),
                                        (catalog.skus[1], 1, "25.00", 1)]  # fmt: skip
    assert await rows(year, "MONTH") == [
        (f"{year}-01", 2, "50.00", 1),
        (f"{year}-03", 5, "125.00", 2),
    ]
    assert await rows(f"{year}-03", "CUSTOMER") == [(buyers[1], 4, "100.00", 1),
                                                    (buyers[0], 1, "25.00", 1)]  # fmt: skip
    error = await erp.error(query, {"p": "33", "g": "ITEM"})
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "period")


async def test_the_forecast_extends_the_linear_trend_of_monthly_sales(erp: ErpClient) -> None:
    catalog = await make_catalog(erp, items=1)
    await stock_up(erp, catalog, 1000)
    buyer = await customer(erp, "1000000.00")
    this_month = period_of(utc_now())
    for back, quantity in ((3, 10), (2, 20), (1, 30)):
        start, _ = period_bounds(add_months(this_month, -back))
        await _sell(erp, buyer, catalog.skus[0], quantity, start + timedelta(days=1, hours=2))
    query = """query ($s: ID!) { salesForecast(sku: $s, periods: 2, history: 3) {
      method history { period quantity } forecast { period quantity } } }"""
    forecast = (await erp.data(query, {"s": catalog.skus[0]}))["salesForecast"]
    assert [h["quantity"] for h in forecast["history"]] == ["10.00", "20.00", "30.00"]
    assert forecast["forecast"] == [
        {"period": this_month, "quantity": "40.00"},
        {"period": add_months(this_month, 1), "quantity": "50.00"},
    ]
    assert "least squares" in forecast["method"]
    error = await erp.error(query.replace("periods: 2", "periods: 0"), {"s": catalog.skus[0]})
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "periods")
    assert company_zone().utcoffset(start.replace(tzinfo=None)) == timedelta(hours=8)
