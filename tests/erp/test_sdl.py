"""The ERP subgraph's SDL: DOMAIN.md's public names, Federation 2 keys, and composition."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from subgraphs.erp.schema import schema
from tests.erp.harness import ErpClient

pytestmark = pytest.mark.anyio

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSER = REPO_ROOT / "tools" / "compose"

TYPES = {
    "Account": ["code", "name", "type"],
    "JournalEntry": ["entryNo", "lines", "total"],
    "Budget": ["department", "period", "amount", "committed", "spent"],
    "Asset": ["cost", "depreciationSchedule", "bookValue"],
    "Supplier": ["id", "name", "contact", "bankAccount", "rating"],
    "PurchaseOrder": ["id", "orderNo", "supplier", "lines", "total", "status",
                      "approvalRequest", "requestedBy"],
    "Item": ["sku"],
    "Warehouse": ["id"],
    "StockLevel": ["item", "warehouse", "quantity"],
    "StockMovement": ["item", "warehouse", "quantity"],
    "Customer": ["id", "customerNo", "name", "phone", "creditLimit"],
    "SalesOrder": ["orderNo", "lines", "total", "status"],
    "ProductionPlan": ["workOrders"],
    "WorkOrder": ["item", "quantity", "progress", "status"],
    "BillOfMaterials": ["components"],
    "QualityInspection": ["passed", "defects"],
    "Employee": ["id", "salary", "purchaseOrders", "costCenter"],
    "Department": ["id", "budget"],
    "ApprovalRequest": ["id", "purchaseOrder"],
}  # fmt: skip
KEYS = {
    "Supplier": "id",
    "PurchaseOrder": "id",
    "Item": "sku",
    "Customer": "id",
    "Employee": "id",
    "Department": "id",
    "ApprovalRequest": "id",
}
QUERIES = ["trialBalance", "budgets", "purchaseOrders", "stock", "salesSummary", "salesForecast",
           "productionCost"]  # fmt: skip
MUTATIONS = [
    "postJournalEntry",
    "sendPurchaseOrder",
    "receiveGoods",
    "adjustStock",
    "createSalesOrder",
    "releaseWorkOrder",
    "reportProgress",
    "recordInspection",
]


def _type_block(sdl: str, name: str) -> str:
    match = re.search(rf"^type {name}\b[^{{]*\{{(?P<body>.*?)^\}}", sdl, re.M | re.S)
    assert match is not None, f"no type {name}"
    return match.group(0)


def test_the_sdl_holds_the_public_names_of_domain_md() -> None:
    sdl = schema.as_str()
    assert 'federation/v2.9"' in sdl
    for name, fields in TYPES.items():
        block = _type_block(sdl, name)
        for field in fields:
            assert re.search(rf"^\s+{field}\b", block, re.M), f"{name}.{field}"
    for name, key in KEYS.items():
        assert f'type {name} @key(fields: "{key}")' in sdl
    for field in QUERIES:
        assert re.search(rf"^\s+{field}\(", _type_block(sdl, "Query"), re.M), field
    for field in MUTATIONS:
        assert re.search(rf"^\s+{field}\(", _type_block(sdl, "Mutation"), re.M), field
    assert (
        "enum PurchaseOrderStatus {\n  CREATED\n  SENT\n  RECEIVED\n  CLOSED\n  CANCELLED\n}" in sdl
    )
    assert "enum SalesGroupBy {\n  CUSTOMER\n  ITEM\n  MONTH\n}" in sdl
    assert re.search(r"budget\(period: String!\): Budget", sdl)


def test_oa_entities_carry_only_their_key_and_the_erp_fields() -> None:
    sdl = schema.as_str()
    fields = {
        name: re.findall(r"^  (\w+)[:(]", _type_block(sdl, name), re.M)
        for name in ("Employee", "Department", "ApprovalRequest")
    }
    assert fields == {
        "Employee": ["id", "salary", "purchaseOrders", "costCenter"],
        "Department": ["id", "budget"],
        # what budgetPosition @requires of OA's request, declared @external
        "ApprovalRequest": [
            "id",
            "budgetPeriod",
            "amount",
            "department",
            "budgetPosition",
            "purchaseOrder",
        ],
    }


async def test_service_sdl_is_served_and_composes_with_oa(erp: ErpClient, tmp_path: Path) -> None:
    sdl = (await erp.data("{ _service { sdl } }"))["_service"]["sdl"]
    assert '@key(fields: "sku")' in sdl
    if shutil.which("node") is None or not (COMPOSER / "node_modules").is_dir():
        pytest.skip("the composer is not installed (npm install --prefix tools/compose)")
    try:
        from subgraphs.oa.schema import schema as oa_schema
    except ImportError:
        pytest.skip("no OA subgraph yet")
    oa = await oa_schema.execute("{ _service { sdl } }")
    assert oa.errors is None and oa.data is not None
    (tmp_path / "erp.graphql").write_text(sdl, encoding="utf-8")
    (tmp_path / "oa.graphql").write_text(oa.data["_service"]["sdl"], encoding="utf-8")
    composed = subprocess.run(
        ["node", str(COMPOSER / "compose.mjs"), "-o", str(tmp_path / "supergraph.graphql"),
         f"oa={tmp_path / 'oa.graphql'}", "--url", "oa=http://127.0.0.1:4201/graphql",
         f"erp={tmp_path / 'erp.graphql'}", "--url", "erp=http://127.0.0.1:4202/graphql"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert composed.returncode == 0, composed.stderr
