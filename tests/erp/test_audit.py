"""The ERP audit trail: ORM writes and SQL statements (upserts, guarded updates) alike are
recorded with their old and new values; encrypted fields as changed only; the chain verifies.

On SQLite and PostgreSQL (``tests/erp/conftest.py``); through the gateway:
``tests/e2e/test_audit_trail.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from subgraphs.common.audit_cli import verify_database
from subgraphs.erp.store.base import audit_log
from tandem_shared.tokens import Principal
from tests.erp.catalog import ADJUST, make_catalog
from tests.erp.harness import ALICE, ErpClient

pytestmark = pytest.mark.anyio

AUDITOR = Principal("emp-048", "Audrey Gu", ("employee", "auditor"), "dept-08", None)
TRAIL = """
query ($filter: AuditFilter) {
  erpAuditTrail(filter: $filter, first: 100) {
    edges { node {
      seq subject operation kind entityType entityId changes { field old new encrypted }
    } }
  }
}
"""


async def trail(erp: ErpClient, **filter: Any) -> list[dict[str, Any]]:
    data = await erp.data(TRAIL, {"filter": filter}, principal=AUDITOR)
    return [edge["node"] for edge in data["erpAuditTrail"]["edges"]]


def values(record: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {change["field"]: (change["old"], change["new"]) for change in record["changes"]}


async def test_stock_upserts_and_guarded_updates_are_recorded_with_old_and_new_values(
    erp: ErpClient,
) -> None:
    catalog = await make_catalog(erp, items=1)
    (sku,) = catalog.skus
    for quantity in (10, 5, -3):  # an INSERT, an INSERT ... ON CONFLICT UPDATE, an UPDATE
        change = {"sku": sku, "warehouseId": catalog.warehouse, "quantity": quantity}
        await erp.data(ADJUST, {"i": change | {"reason": "count"}})

    records = await trail(erp, entityType="StockLevel", entityId=f"{sku}:{catalog.warehouse}")
    oldest_first = list(reversed(records))
    assert [r["kind"] for r in oldest_first] == ["CREATE", "UPDATE", "UPDATE"]
    assert [values(r)["quantity"] for r in oldest_first] == [
        (None, "10"), ("10", "15"), ("15", "12")
    ]  # fmt: skip
    assert {r["subject"] for r in records} == {ALICE.subject}
    assert {r["operation"] for r in records} == {"adjustStock"}
    movements = await trail(erp, entityType="StockMovement", operation="adjustStock")
    assert {values(m)["sku"][1] for m in movements} >= {sku}


async def test_a_suppliers_bank_account_is_recorded_as_changed_without_its_value(
    erp: ErpClient,
) -> None:
    catalog = await make_catalog(erp, items=1)
    [record] = await trail(erp, entityType="Supplier", entityId=catalog.supplier)
    assert record["kind"] == "CREATE" and record["operation"] == "createSupplier"
    [bank] = [c for c in record["changes"] if c["field"] == "bank_account"]
    assert bank == {"field": "bank_account", "old": None, "new": None, "encrypted": True}
    assert "6222" not in str(record["changes"])


async def test_the_chain_of_every_change_the_tests_made_verifies(
    erp: ErpClient, database_url: str
) -> None:
    await make_catalog(erp, items=1)
    result = await verify_database(database_url, audit_log)
    assert result.intact, result.reason
    assert result.count > 0
