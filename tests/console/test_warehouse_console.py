"""The console's Warehouse page in the real headless Chromium against ``tandem dev`` (the
session's fixtures: the default policy, the built-in sign-in).

The buyer (the demo login ``procurement``: Jing Liu, emp-024) does, in the page, the
goods-receipt part of ``tests/e2e/test_personas.py::test_an_employees_purchase_from_request_to_
goods_receipt`` and the count of ``test_the_warehouses_stock_work``: an employee's approved
purchase request has become a created order; she sends it, is told beside the warehouse
choice that goods need a warehouse (BAD_USER_INPUT, nothing received), receives it into Shanghai,
and the stock shown there moves by the order's quantity; a count that would take the stock
below zero is CONFLICT beside the quantity and changes nothing. The stock table (every
warehouse's units, the items below their reorder level marked) and the open orders are what
the API answers her for the same query; the supplier's bank account shows masked, as the
policy gives it to Procurement, and Finance's plaintext is nowhere on the page. The page
passes axe-core in English and Chinese; its load time is printed; ``warehouse.png``.
"""

from __future__ import annotations

import uuid
from typing import Any

from subgraphs.erp.store.base import current_period
from tests.console.browser import screenshot, timed_load
from tests.console.session import (
    EMPLOYEE,
    FINANCE,
    TIMES,
    Console,
    assert_accessible,
    cny,
    coded_error_beside,
    report_load,
    signed_in,
    table_rows,
)
from tests.e2e.flows import approve_fully, item, submit_purchase, wait_for_orders

BUYER = "emp-024"  # the demo login "procurement": the plainest holder of the role
SKU, QUANTITY, WAREHOUSE = "SKU-0009", 7, "wh-sh"
STOCK = """{
  warehouses(first: 50) { edges { node { id code } } }
  items(first: 100) { edges { node { sku name reorderLevel available
    stockLevels { warehouse { id } quantity } } } }
  itemsBelowReorderLevel { item { sku } }
}"""
ORDER = """query ($id: ID!) {
  purchaseOrder(id: $id) {
    orderNo status total { amount } requestedBy { name } supplier { id bankAccount }
    receivedInto { id }
  }
}"""
BANK_ACCOUNT = "query ($id: ID!) { supplier(id: $id) { bankAccount } }"
ON_HAND = "query ($sku: ID!) { stock(sku: $sku) { warehouse { id } quantity } }"


def stock_rows(console: Console) -> tuple[list[list[str]], set[str]]:
    """The stock table as the API's answer makes it, and the skus below their reorder level."""
    data = console.api.data(BUYER, STOCK)
    places = [edge["node"]["id"] for edge in data["warehouses"]["edges"]]

    def cells(node: dict[str, Any]) -> list[str]:
        held = {level["warehouse"]["id"]: level["quantity"] for level in node["stockLevels"]}
        level = node["reorderLevel"]
        low = level is not None and node["available"] < level
        return [
            node["sku"],
            node["name"],
            *[f"{held[p]:,}" if p in held else "—" for p in places],
            f"{node['available']:,}",
            "—" if level is None else f"{level:,}",
            "Below reorder level" if low else "",
        ]

    table = [cells(edge["node"]) for edge in data["items"]["edges"]]
    return table, {alert["item"]["sku"] for alert in data["itemsBelowReorderLevel"]}


def on_hand(console: Console, sku: str) -> int:
    levels = console.api.data(BUYER, ON_HAND, sku=sku)["stock"]
    return sum(level["quantity"] for level in levels if level["warehouse"]["id"] == WAREHOUSE)


def test_a_buyer_sends_and_receives_an_order_and_the_stock_shown_moves(
    browser: Any, console: Console
) -> None:
    title = f"Console fittings {uuid.uuid4().hex[:6]}"
    request_id = submit_purchase(
        console.api, EMPLOYEE, title, [item(SKU, QUANTITY, "10.00")], current_period()
    )
    approve_fully(console.api, request_id, EMPLOYEE)
    order_id = wait_for_orders(console.api, EMPLOYEE, [request_id])[request_id]["id"]
    order = console.api.data(BUYER, ORDER, id=order_id)["purchaseOrder"]
    assert order["status"] == "CREATED", order
    plaintext = console.api.data(FINANCE, BANK_ACCOUNT, id=order["supplier"]["id"])
    plaintext = plaintext["supplier"]["bankAccount"]
    assert plaintext and plaintext != order["supplier"]["bankAccount"]

    with signed_in(browser, console, "procurement") as page:
        me = page.request.get(f"{console.base}/auth/me").json()
        assert me["subject"] == BUYER, me
        page.get_by_role("navigation").get_by_role("link", name="Warehouse").click()
        page.wait_for_url(f"{console.base}/warehouse")
        seconds = timed_load(page, f"{console.base}/warehouse", "#stock")
        report_load("warehouse", seconds)

        table, low = stock_rows(console)
        assert table_rows(page, "#stock") == table
        marked = page.locator("#stock tbody tr.below th").all_inner_texts()
        assert set(marked) == low and low, (marked, low)  # the demo has items to reorder
        assert (
            page.locator("#below-count").inner_text()
            == f"{len(low)} items are below their reorder level."
        )

        row = page.locator(f'#open-orders tr[data-order-id="{order_id}"]')
        assert row.locator("th").inner_text() == order["orderNo"]
        assert f"Paid to {order['supplier']['bankAccount']}" in row.inner_text()
        cells = row.locator("td").all_inner_texts()
        assert cells[1:] == [f"{SKU} {TIMES} {QUANTITY}", cny(order["total"]["amount"]),
                             order["requestedBy"]["name"], "Created", "Send"], cells  # fmt: skip
        assert plaintext not in page.inner_text("body")  # Finance's plaintext: never here
        assert_accessible(page, "warehouse (en)")

        row.get_by_role("button", name=f"Send {order['orderNo']}").click()
        page.locator("#order-moved").get_by_text(f"{order['orderNo']} is now Sent.").wait_for()
        row.get_by_text("Sent", exact=True).wait_for()
        assert console.api.data(BUYER, ORDER, id=order_id)["purchaseOrder"]["status"] == "SENT"

        # no warehouse chosen: the server's BAD_USER_INPUT beside the choice, nothing received
        before = on_hand(console, SKU)
        into = row.get_by_label(f"Receive {order['orderNo']} into")
        row.get_by_role("button", name="Receive").click()
        coded_error_beside(row, "input.warehouseId", "BAD_USER_INPUT", into)
        assert console.api.data(BUYER, ORDER, id=order_id)["purchaseOrder"]["status"] == "SENT"

        into.select_option(WAREHOUSE)
        row.get_by_role("button", name="Receive").click()
        page.locator("#order-moved").get_by_text(f"{order['orderNo']} received into").wait_for()
        row.wait_for(state="detached")  # no longer open
        received = console.api.data(BUYER, ORDER, id=order_id)["purchaseOrder"]
        assert (received["status"], received["receivedInto"]) == ("RECEIVED", {"id": WAREHOUSE})
        assert on_hand(console, SKU) == before + QUANTITY
        cell = page.locator(f'#stock tr[data-sku="{SKU}"] td[data-warehouse-id="{WAREHOUSE}"]')
        cell.get_by_text(f"{before + QUANTITY:,}", exact=True).wait_for()  # the stock moved
        assert table_rows(page, "#stock") == stock_rows(console)[0]

        # a count below zero: CONFLICT beside the quantity, the stock unchanged
        count = page.locator("section.adjust")
        count.get_by_label("SKU").fill(SKU)
        count.get_by_label("Warehouse").select_option(WAREHOUSE)
        count.get_by_label("Quantity (+/-)").fill(str(-(before + QUANTITY + 1000)))
        count.get_by_label("Reason").fill(f"console count {title}")
        count.get_by_role("button", name="Adjust").click()
        short = count.locator('[data-field="input.quantity"]')
        short.wait_for()
        assert short.inner_text().startswith("CONFLICT: "), short.inner_text()
        assert count.locator(".field-error").count() == 1
        assert on_hand(console, SKU) == before + QUANTITY
        assert_accessible(page, "warehouse with a coded error")
        screenshot(page, console.shots, "warehouse")

        page.get_by_label("Language").select_option("zh-CN")
        page.get_by_role("heading", name="库存调整").wait_for()
        assert page.locator("#stock thead").get_by_text("再订货点").is_visible()
        assert_accessible(page, "warehouse (zh-CN)")
        page.set_viewport_size({"width": 390, "height": 844})  # a phone: the wide tables
        assert page.evaluate(  # scroll alone (by keyboard too), never the page sideways
            "() => document.documentElement.scrollWidth <= window.innerWidth"
        )
        assert_accessible(page, "warehouse (zh-CN, phone)")
