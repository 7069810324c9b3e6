"""Production: bills of materials, plans, work orders, progress, inspections and cost."""

from __future__ import annotations

from typing import Any

import pytest

from tests.erp.catalog import make_catalog, stock_up
from tests.erp.harness import ErpClient
from tests.erp.util import money

pytestmark = pytest.mark.anyio

SET_BOM = """
mutation ($i: SetBillOfMaterialsInput!) {
  setBillOfMaterials(input: $i) {
    product { sku } components { item { sku } quantity } labourHours labourRate { amount }
  }
}
"""
PLAN = """
mutation ($i: CreateProductionPlanInput!) {
  createProductionPlan(input: $i) { id period workOrders { id orderNo status quantity } }
}
"""
RELEASE = """
mutation ($id: ID!, $wh: ID!) { releaseWorkOrder(id: $id, warehouseId: $wh) { status } }
"""
PROGRESS = """
mutation ($id: ID!, $q: Int!) {
  reportProgress(workOrderId: $id, quantity: $q) { status completed progress }
}
"""
STOCK = "query ($s: ID!) { stock(sku: $s) { quantity } }"


async def factory(erp: ErpClient) -> tuple[Any, str, str]:
    """Two components (cost 10.00 each) in stock, a product, and its BOM (2 + 3, 1.5 h at 40)."""
    catalog = await make_catalog(erp, items=3)
    product, first, second = catalog.skus
    await stock_up(erp, catalog, 30)
    bom = await erp.data(
        SET_BOM,
        {"i": {"sku": product, "components": [{"sku": first, "quantity": 2},
                                              {"sku": second, "quantity": 3}],
               "labourHours": "1.5", "labourRate": money("40.00")}},
    )  # fmt: skip
    assert bom["setBillOfMaterials"]["labourHours"] == "1.5"
    plan = await erp.data(
        PLAN, {"i": {"name": "November", "period": "2031-11",
                     "lines": [{"sku": product, "quantity": 4}]}}
    )  # fmt: skip
    (order,) = plan["createProductionPlan"]["workOrders"]
    assert order["orderNo"].startswith("WO-") and order["status"] == "PLANNED"
    return catalog, product, order["id"]


async def test_a_work_order_issues_components_and_receives_output(erp: ErpClient) -> None:
    catalog, product, order = await factory(erp)
    released = await erp.data(RELEASE, {"id": order, "wh": catalog.warehouse})
    assert released["releaseWorkOrder"]["status"] == "RELEASED"
    assert (await erp.data(STOCK, {"s": catalog.skus[1]}))["stock"] == [{"quantity": 22}]
    assert (await erp.data(STOCK, {"s": catalog.skus[2]}))["stock"] == [{"quantity": 18}]
    assert (await erp.error(RELEASE, {"id": order, "wh": catalog.warehouse}))["code"] == "CONFLICT"
    progress = (await erp.data(PROGRESS, {"id": order, "q": 1}))["reportProgress"]
    assert progress == {"status": "IN_PROGRESS", "completed": 1, "progress": 25}
    error = await erp.error(PROGRESS, {"id": order, "q": 4})
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "quantity")
    progress = (await erp.data(PROGRESS, {"id": order, "q": 3}))["reportProgress"]
    assert progress == {"status": "COMPLETED", "completed": 4, "progress": 100}
    assert (await erp.data(STOCK, {"s": product}))["stock"] == [{"quantity": 34}]


async def test_release_without_enough_components_changes_nothing(erp: ErpClient) -> None:
    catalog, _, _ = await factory(erp)
    plan = await erp.data(
        PLAN, {"i": {"name": "Too much", "period": "2031-11",
                     "lines": [{"sku": catalog.skus[0], "quantity": 11}]}}
    )  # fmt: skip
    order = plan["createProductionPlan"]["workOrders"][0]["id"]
    error = await erp.error(RELEASE, {"id": order, "wh": catalog.warehouse})
    assert (error["code"], error["sku"]) == ("CONFLICT", catalog.skus[2])  # 33 of 30 wanted
    assert error["field"] == "warehouseId"  # an argument of releaseWorkOrder
    assert (await erp.data(STOCK, {"s": catalog.skus[1]}))["stock"] == [{"quantity": 30}]
    assert (await erp.error(PROGRESS, {"id": order, "q": 1}))["code"] == "CONFLICT"


async def test_production_cost_is_materials_plus_labour(erp: ErpClient) -> None:
    catalog, _, order = await factory(erp)
    cost = await erp.data(
        """query ($id: ID!) { productionCost(workOrderId: $id) {
             lines { item { sku } quantity unitCost { amount } amount { amount } }
             materials { amount } labour { amount } total { amount } perUnit { amount } } }""",
        {"id": order},
    )
    cost = cost["productionCost"]
    quantities = {line["item"]["sku"]: line["quantity"] for line in cost["lines"]}
    assert quantities == {catalog.skus[1]: 8, catalog.skus[2]: 12}
    assert (cost["materials"], cost["labour"], cost["total"], cost["perUnit"]) == (
        {"amount": "200.00"}, {"amount": "240.00"}, {"amount": "440.00"}, {"amount": "110.00"}
    )  # fmt: skip


async def test_inspections_are_recorded_against_made_units(erp: ErpClient) -> None:
    catalog, _, order = await factory(erp)
    inspect = """mutation ($i: RecordInspectionInput!) {
      recordInspection(input: $i) {
        inspected defects passed inspector { ... on Employee { id } } } }"""
    error = await erp.error(inspect, {"i": {"workOrderId": order, "inspected": 1, "defects": 0}})
    assert error["code"] == "CONFLICT"  # nothing made yet
    await erp.data(RELEASE, {"id": order, "wh": catalog.warehouse})
    await erp.data(PROGRESS, {"id": order, "q": 2})
    passed = await erp.data(inspect, {"i": {"workOrderId": order, "inspected": 2, "defects": 0}})
    assert passed["recordInspection"] == {"inspected": 2, "defects": 0, "passed": True,
                                          "inspector": {"id": "emp-001"}}  # fmt: skip
    failed = await erp.data(inspect, {"i": {"workOrderId": order, "inspected": 2, "defects": 1}})
    assert failed["recordInspection"]["passed"] is False
    error = await erp.error(inspect, {"i": {"workOrderId": order, "inspected": 3, "defects": 0}})
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "input.inspected")
    error = await erp.error(inspect, {"i": {"workOrderId": order, "inspected": 1, "defects": 2}})
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "input.defects")
    listed = await erp.data(
        "query ($id: ID!) { workOrder(id: $id) { inspections { passed } warehouse { id } } }",
        {"id": order},
    )
    assert listed["workOrder"] == {"inspections": [{"passed": True}, {"passed": False}],
                                   "warehouse": {"id": catalog.warehouse}}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"components": []}, "BAD_USER_INPUT", "input.components"),
        ({"components": [{"sku": "NOPE", "quantity": 1}]}, "NOT_FOUND", "input.components.0.sku"),
        ({"components": [{"sku": "C1", "quantity": 0}]}, "BAD_USER_INPUT",
         "input.components.0.quantity"),
        ({"components": [{"sku": "P", "quantity": 1}]}, "BAD_USER_INPUT", "input.components.0"),
        ({"labourHours": "1,5"}, "BAD_USER_INPUT", "input.labourHours"),
        ({"sku": "NOPE"}, "NOT_FOUND", "input.sku"),
    ],
)  # fmt: skip
async def test_bom_input_is_validated(
    erp: ErpClient, change: dict[str, Any], code: str, field: str
) -> None:
    catalog = await make_catalog(erp, items=2)
    names = {"P": catalog.skus[0], "C1": catalog.skus[1]}
    value: dict[str, Any] = {
        "sku": catalog.skus[0],
        "labourHours": "1",
        "labourRate": money("40.00"),
        "components": [{"sku": catalog.skus[1], "quantity": 1}],
    } | change
    value["components"] = [{**c, "sku": names.get(c["sku"], c["sku"])} for c in value["components"]]
    error = await erp.error(SET_BOM, {"i": value})
    assert (error["code"], error["field"]) == (code, field)


async def test_an_inspection_reports_every_invalid_count_at_once(erp: ErpClient) -> None:
    catalog, _, order = await factory(erp)
    await erp.data(RELEASE, {"id": order, "wh": catalog.warehouse})
    await erp.data(PROGRESS, {"id": order, "q": 2})
    inspect = "mutation ($i: RecordInspectionInput!) { recordInspection(input: $i) { passed } }"

    body = await erp.post(inspect, {"i": {"workOrderId": order, "inspected": 3, "defects": -1}})

    assert sorted((e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]) == [
        ("BAD_USER_INPUT", "input.defects"), ("BAD_USER_INPUT", "input.inspected"),
    ]  # fmt: skip
