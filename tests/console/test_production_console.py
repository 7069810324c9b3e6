"""The Production page of the console, in the real headless Chromium against ``tandem dev``
(the session's fixtures: the default policy, the built-in sign-in), as the production planner
(login ``production``) does the work of ``tests/e2e/test_personas.py``'s production journey.

The planner plans a work order of a product of the test's own (made for it by the buyer, its
bill of materials set by the planner through the API): a zero quantity is the server's
BAD_USER_INPUT beside the quantity and plans nothing; a good plan lists its work order as the
API does. Opened, the order is refused release from a warehouse short of a component
(CONFLICT beside the warehouse), released from one that has them, its output recorded (too
much is BAD_USER_INPUT beside the units made), then it is inspected: status, output, yield
and cost shown are the API's, and so is the month's output and yield. What the policy keeps
from production (a customer's name, the other departments' pages) is not on the page.
Axe-core in English and Chinese; the load time reported; ``production.png`` for the README.
"""

from __future__ import annotations

import uuid
from typing import Any

from subgraphs.erp.store.base import current_period
from tests.console.browser import screenshot, timed_load
from tests.console.session import (
    Console,
    assert_accessible,
    cny,
    coded_error_beside,
    report_load,
    signed_in,
)
from tests.e2e.flows import PURCHASING

PLANNER = "emp-030"  # the "production" login: the plainest holder of the role
SALES_REP = "emp-040"
WAREHOUSE, SHORT = "wh-sh", "wh-bj"  # the components are in Shanghai, not in Beijing
COMPONENTS = [{"sku": "SKU-0001", "quantity": 2}, {"sku": "SKU-0013", "quantity": 1}]
CREATE_ITEM = "mutation ($i: CreateItemInput!) { createItem(input: $i) { sku name } }"
SET_BOM = "mutation ($i: SetBillOfMaterialsInput!) { setBillOfMaterials(input: $i) { id } }"
PLANS = """{ productionPlans(first: 20) { edges { node { name period workOrders {
  id orderNo item { sku name } quantity completed progress status warehouse { id name }
  inspections { inspected defects } } } } } }"""
WORK_ORDER = """query ($id: ID!) {
  workOrder(id: $id) { status completed warehouse { id } inspections { inspected defects passed } }
  productionCost(workOrderId: $id) { materials { amount } labour { amount } total { amount }
    perUnit { amount } }
}"""
SUMMARY = """query ($period: String!) {
  productionSummary(period: $period) { item { sku name } workOrders completed inspected defects
    yieldRate }
}"""
STOCK = "query ($sku: ID!) { stock(sku: $sku) { warehouse { id } available } }"
CUSTOMER = '{ customer(id: "cus-01") { name } }'


def product_of_its_own(console: Console) -> dict[str, str]:
    """A new product with a bill of materials whose components the warehouse holds."""
    sku = f"CON-{uuid.uuid4().hex[:8].upper()}"
    money = {"amount": "80.00", "currency": "CNY"}
    item = console.api.data(PURCHASING, CREATE_ITEM, i={
        "sku": sku, "name": f"Console gearbox {sku[-4:]}", "category": "finished goods",
        "standardCost": money, "listPrice": {**money, "amount": "150.00"},
    })["createItem"]  # fmt: skip
    console.api.data(PLANNER, SET_BOM, i={
        "sku": sku, "components": COMPONENTS, "labourHours": "1.5",
        "labourRate": {"amount": "40.00", "currency": "CNY"},
    })  # fmt: skip
    return {"sku": item["sku"], "name": item["name"]}


def api_order(console: Console, plan: str) -> dict[str, Any]:
    plans = console.api.data(PLANNER, PLANS)["productionPlans"]["edges"]
    (order,) = [o for e in plans if e["node"]["name"] == plan for o in e["node"]["workOrders"]]
    return dict(order)


def row_cells(page: Any, order_id: str) -> list[str]:
    row = page.locator(f'#work-orders tr[data-work-order-id="{order_id}"]')
    return [cell.strip() for cell in row.locator("th, td").all_inner_texts()]


def test_the_planner_plans_releases_makes_and_inspects_a_work_order(
    browser: Any, console: Console
) -> None:
    product = product_of_its_own(console)
    plan = f"Console plan {uuid.uuid4().hex[:6]}"
    with signed_in(browser, console, "production") as page:
        nav = page.get_by_role("navigation")
        for other in ("Sales", "Warehouse", "People"):  # other departments' pages: not hers
            assert nav.get_by_role("link", name=other).count() == 0
        seconds = timed_load(page, f"{console.base}/production", "#plan-title")
        report_load("production", seconds)
        page.locator("#work-orders, #orders-title ~ p:not([role=status])").first.wait_for()

        form = page.locator("section", has=page.locator("#plan-title"))
        form.get_by_label("Plan name").fill(plan)
        form.get_by_label("Month").fill("2036-06")  # YYYY-MM, as the API wants the period
        form.get_by_label("Item (SKU)").fill(product["sku"])
        form.get_by_label("Quantity").fill("0")
        form.get_by_role("button", name="Create plan").click()
        quantity = form.get_by_label("Quantity")
        coded_error_beside(form, "input.lines.0.quantity", "BAD_USER_INPUT", quantity)
        assert form.locator(".field-error").count() == 1
        assert_accessible(page, "production with a coded error")
        plans = console.api.data(PLANNER, PLANS)["productionPlans"]["edges"]
        assert not [e for e in plans if e["node"]["name"] == plan]  # nothing was planned

        quantity.fill("4")
        form.get_by_role("button", name="Create plan").click()
        form.locator("#plan-created").wait_for()
        order = api_order(console, plan)
        assert (order["status"], order["quantity"], order["item"]) == ("PLANNED", 4, product)
        assert order["orderNo"] in form.locator("#plan-created").inner_text()
        page.locator(f'#work-orders tr[data-work-order-id="{order["id"]}"]').wait_for()
        assert row_cells(page, order["id"]) == [
            order["orderNo"], f"{plan} (2036-06)", f"{product['sku']} · {product['name']}",
            "4", "0 of 4 (0%)", "Planned", "—", "—",
        ]  # fmt: skip

        page.get_by_role("button", name=f"Open {order['orderNo']}").click()
        panel = page.locator("#work-order")
        panel.get_by_role("heading", name=f"Work order {order['orderNo']}").wait_for()
        bom = panel.locator("#work-order-bom tbody tr")
        bom.first.wait_for()
        assert [r.locator("th").inner_text().split(" · ")[0] for r in bom.all()] == [
            c["sku"] for c in COMPONENTS
        ]
        choice = panel.get_by_label("Warehouse")
        choice.select_option(SHORT)  # the seed put no SKU-0001 there
        levels = console.api.data(PLANNER, STOCK, sku="SKU-0001")["stock"]
        assert not [s for s in levels if s["warehouse"]["id"] == SHORT and s["available"] >= 8]
        panel.get_by_role("button", name="Release").click()
        short = panel.locator('[data-field="warehouseId"]')
        short.wait_for()
        assert short.inner_text().startswith("CONFLICT: "), short.inner_text()
        assert "SKU-0001" in short.inner_text()
        assert choice.get_attribute("aria-describedby") == short.get_attribute("id")
        assert console.api.data(PLANNER, WORK_ORDER, id=order["id"])["workOrder"]["status"] == (
            "PLANNED"
        )
        choice.select_option(WAREHOUSE)
        panel.get_by_role("button", name="Release").click()
        panel.locator("#work-order-status").get_by_text("Released").wait_for()
        released = console.api.data(PLANNER, WORK_ORDER, id=order["id"])["workOrder"]
        assert (released["status"], released["warehouse"]) == ("RELEASED", {"id": WAREHOUSE})

        units = panel.get_by_label("Units made")
        units.fill("2")
        panel.get_by_role("button", name="Record output").click()
        panel.locator("#work-order-made").get_by_text("2 of 4 (50%)").wait_for()
        assert panel.locator("#work-order-status").inner_text() == "In progress"
        units.fill("5")  # only 2 remain
        panel.get_by_role("button", name="Record output").click()
        too_many = panel.locator('[data-field="quantity"]')
        too_many.wait_for()
        assert too_many.inner_text().startswith("BAD_USER_INPUT: "), too_many.inner_text()
        assert units.get_attribute("aria-invalid") == "true"
        assert console.api.data(PLANNER, WORK_ORDER, id=order["id"])["workOrder"]["completed"] == 2
        units.fill("2")
        panel.get_by_role("button", name="Record output").click()
        panel.locator("#work-order-status").get_by_text("Completed").wait_for()

        panel.get_by_label("Units inspected").fill("4")
        panel.get_by_label("Defects").fill("1")
        panel.get_by_role("button", name="Record inspection").click()
        panel.locator("#work-order-inspections tbody tr").wait_for()
        panel.locator("#work-order-yield").get_by_text("75%").wait_for()
        answer = console.api.data(PLANNER, WORK_ORDER, id=order["id"])
        assert answer["workOrder"]["inspections"] == [
            {"inspected": 4, "defects": 1, "passed": False}
        ]
        cost = answer["productionCost"]
        assert panel.locator("#work-order-cost dd").all_inner_texts() == [
            cny(cost[f]["amount"]) for f in ("materials", "labour", "total", "perUnit")
        ]
        assert cost["labour"]["amount"] == "240.00"  # 1.5 h x 4 x 40.00

        done = api_order(console, plan)  # the list, reloaded, holds the API's figures
        row = page.locator(f'#work-orders tr[data-work-order-id="{order["id"]}"]')
        row.get_by_text("Completed").wait_for()
        assert row_cells(page, order["id"]) == [
            done["orderNo"], f"{plan} (2036-06)", f"{product['sku']} · {product['name']}",
            "4", "4 of 4 (100%)", "Completed", done["warehouse"]["name"], "75%",
        ]  # fmt: skip
        summary = console.api.data(PLANNER, SUMMARY, period=current_period())
        (mine,) = [r for r in summary["productionSummary"] if r["item"]["sku"] == product["sku"]]
        shown = page.locator(f'#production-summary tr[data-sku="{product["sku"]}"]')
        shown.get_by_text("75%").wait_for()  # reloaded after the inspection
        assert [c.strip() for c in shown.locator("th, td").all_inner_texts()] == [
            f"{product['sku']} · {product['name']}", str(mine["workOrders"]),
            str(mine["completed"]), str(mine["inspected"]), str(mine["defects"]), "75%",
        ]  # fmt: skip

        # what the policy keeps from production: customers (sales' and finance's)
        customer = console.api.data(SALES_REP, CUSTOMER)["customer"]["name"]
        refused = console.api.post(PLANNER, CUSTOMER)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
        assert customer not in page.inner_text("body")
        assert_accessible(page, "production")
        screenshot(page, console.shots, "production")

        page.get_by_label("Language").select_option("zh-CN")
        page.get_by_role("heading", name="生产工单").wait_for()
        assert panel.locator("#work-order-status").inner_text() == "已完工"
        assert_accessible(page, "production (zh-CN)")
        panel.get_by_role("button", name="关闭").click()  # focus goes back to the order's row
        page.wait_for_function(
            "id => document.activeElement?.closest('tr')?.dataset.workOrderId === id",
            arg=order["id"],
        )
        assert panel.count() == 0
