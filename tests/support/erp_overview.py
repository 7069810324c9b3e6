"""Known ERP records for the management overview, in 2021 (before any demo data), written
straight into an ERP database (SQLAlchemy Core: SQLite or PostgreSQL, a running process's
database too), with the figures they must give worked out by hand:

- Items ``T-A`` (cost 10.00, reorder level 100), ``T-B`` (2.50, level 5), ``T-C`` (1.00, none)
  in warehouse ``WH-T``: 40 (10 reserved), 8, 1000 units. Stock value of WH-T:
  400.00 + 20.00 + 1000.00 = 1420.00 for 1048 units. Below their level: ``T-A`` only
  (30 available < 100: shortfall 70).
- Sales, orders not cancelled. History (forecast of 2021-03 from 3 months): ``T-A`` sold 10,
  20, 30 in 2020-12, 2021-01, 2021-02 (the line 10 + 10t gives 40.00 at t = 3); ``T-B`` 0, 6,
  0 (a flat line at 2.00). In 2021-03: order 1 (customer ``cus-t1``): ``T-A`` 15 x 20.00,
  ``T-B`` 4 x 5.00; order 2 (``cus-t2``): ``T-A`` 10 x 20.00; order 3 (``cus-t1``, cancelled):
  ``T-A`` 100. So ``T-A`` 25 units, 500.00, 2 orders; ``T-B`` 4, 20.00, 1 order;
  ``cus-t1`` 19 units, 320.00; ``cus-t2`` 10 units, 200.00.
- Budgets of 2021-03: ``dept-03`` 10000.00 / committed 2500.00 / spent 1500.00 (available
  6000.00); ``dept-04`` 1000.00 / 800.00 / 700.00 (available -500.00, exceeded).
- Production in 2021-03, item ``T-C``: work orders of 100 (100 done) and 50 (40 done);
  inspections 100 with 5 defects and 40 with 3: yield 132/140, defect rate 8/140.
- Purchase orders of supplier ``sup-t``: created 1000.00; sent 2021-03-01 500.00 (late with
  any lead time under years); received 700.00. Open: 2 orders, 1500.00.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from subgraphs.erp.store.models import (
    Budget,
    Customer,
    Item,
    PurchaseOrder,
    QualityInspection,
    SalesOrder,
    SalesOrderLine,
    StockLevel,
    Supplier,
    Warehouse,
    WorkOrder,
)

__all__ = ["LATE_SENT_AT", "PERIOD", "add_overview_records"]

PERIOD: Final = "2021-03"
LATE_SENT_AT: Final = datetime(2021, 3, 1, tzinfo=UTC)


def _at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T04:00:00+00:00")  # noon at UTC+08:00


def _d(text: str) -> Decimal:
    return Decimal(text)


async def add_overview_records(connection: AsyncConnection) -> None:
    """Insert the records described above."""
    now = _at("2021-01-01")
    await connection.execute(
        insert(Supplier),
        [{"id": "sup-t", "name": "Test Supplier", "contact": "Tess", "phone": None,
          "bank_account": None, "rating": 3, "created_at": now}],
    )  # fmt: skip
    await connection.execute(
        insert(Warehouse), [{"id": "wh-t", "code": "WH-T", "name": "Test", "location": "Lab"}]
    )
    await connection.execute(
        insert(Item),
        [
            {"sku": sku, "name": f"Test {sku}", "unit": "pcs", "category": "test",
             "currency": "CNY", "standard_cost": _d(cost), "list_price": _d("20.00"),
             "preferred_supplier_id": None, "reorder_level": level}
            for sku, cost, level in (("T-A", "10.00", 100), ("T-B", "2.50", 5),
                                     ("T-C", "1.00", None))
        ],
    )  # fmt: skip
    await connection.execute(
        insert(StockLevel),
        [
            {"sku": sku, "warehouse_id": "wh-t", "quantity": quantity, "reserved": reserved,
             "updated_at": now}
            for sku, quantity, reserved in (("T-A", 40, 10), ("T-B", 8, 0), ("T-C", 1000, 0))
        ],
    )  # fmt: skip
    await connection.execute(
        insert(Customer),
        [
            {"id": cid, "customer_no": f"CUS-9{n:05d}", "name": name, "phone": None,
             "currency": "CNY", "credit_limit": _d("100000.00"), "created_at": now}
            for n, (cid, name) in enumerate((("cus-t1", "Test One"), ("cus-t2", "Test Two")))
        ],
    )  # fmt: skip
    await _sales(connection)
    await connection.execute(
        insert(Budget),
        [
            {"id": f"bud-t-{dept}", "department_id": dept, "period": PERIOD, "currency": "CNY",
             "amount": _d(amount), "committed": _d(committed), "spent": _d(spent)}
            for dept, amount, committed, spent in (
                ("dept-03", "10000.00", "2500.00", "1500.00"),
                ("dept-04", "1000.00", "800.00", "700.00"),
            )
        ],
    )  # fmt: skip
    await _production(connection)
    await _purchases(connection)


async def _sales(connection: AsyncConnection) -> None:
    # order id, customer, day, status, [(sku, quantity, unit price)]
    orders: list[tuple[str, str, str, str, list[tuple[str, int, str]]]] = [
        ("so-t-h1", "cus-t1", "2020-12-10", "SHIPPED", [("T-A", 10, "20.00")]),
        ("so-t-h2", "cus-t1", "2021-01-10", "SHIPPED", [("T-A", 20, "20.00"), ("T-B", 6, "5.00")]),
        ("so-t-h3", "cus-t2", "2021-02-10", "CLOSED", [("T-A", 30, "20.00")]),
        ("so-t-1", "cus-t1", "2021-03-05", "SHIPPED", [("T-A", 15, "20.00"), ("T-B", 4, "5.00")]),
        ("so-t-2", "cus-t2", "2021-03-06", "CONFIRMED", [("T-A", 10, "20.00")]),
        ("so-t-3", "cus-t1", "2021-03-07", "CANCELLED", [("T-A", 100, "20.00")]),
    ]
    rows: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for n, (oid, customer, day, status, wanted) in enumerate(orders):
        total = sum((q * _d(p) for _, q, p in wanted), Decimal(0))
        rows.append(
            {"id": oid, "order_no": f"SO-209901-{n + 1:04d}", "customer_id": customer,
             "status": status, "currency": "CNY", "total": total, "created_by": "emp-040",
             "created_at": _at(day), "shipped_at": None, "closed_at": None}
        )  # fmt: skip
        for line_no, (sku, quantity, price) in enumerate(wanted, start=1):
            lines.append(
                {"order_id": oid, "line_no": line_no, "sku": sku, "warehouse_id": "wh-t",
                 "quantity": quantity, "unit_price": _d(price), "amount": quantity * _d(price)}
            )  # fmt: skip
    await connection.execute(insert(SalesOrder), rows)
    await connection.execute(insert(SalesOrderLine), lines)


async def _production(connection: AsyncConnection) -> None:
    await connection.execute(
        insert(WorkOrder),
        [
            {"id": wid, "order_no": f"WO-209901-{n:04d}", "plan_id": None, "sku": "T-C",
             "quantity": quantity, "completed": done, "status": "COMPLETED",
             "warehouse_id": "wh-t", "created_at": _at("2021-03-01"),
             "released_at": _at("2021-03-01"), "completed_at": _at(day)}
            for n, (wid, quantity, done, day) in enumerate(
                (("wo-t-1", 100, 100, "2021-03-10"), ("wo-t-2", 50, 40, "2021-03-20")), start=1
            )
        ],
    )  # fmt: skip
    await connection.execute(
        insert(QualityInspection),
        [
            {"id": f"qi-t-{wid}", "work_order_id": wid, "inspected": inspected,
             "defects": defects, "passed": True, "notes": None, "inspector": "emp-047",
             "inspected_at": _at(day)}
            for wid, inspected, defects, day in (("wo-t-1", 100, 5, "2021-03-11"),
                                                 ("wo-t-2", 40, 3, "2021-03-21"))
        ],
    )  # fmt: skip


async def _purchases(connection: AsyncConnection) -> None:
    await connection.execute(
        insert(PurchaseOrder),
        [
            {"id": pid, "order_no": f"PO-209901-{n:04d}", "supplier_id": "sup-t",
             "status": status, "currency": "CNY", "total": _d(total),
             "department_id": "dept-03", "budget_period": PERIOD, "budget_exceeded": False,
             "requested_by": "emp-015", "approval_request_id": None,
             "received_warehouse_id": None, "created_by": "emp-015",
             "created_at": _at("2021-02-25"), "sent_at": sent, "received_at": received}
            for n, (pid, status, total, sent, received) in enumerate(
                (
                    ("po-t-1", "CREATED", "1000.00", None, None),
                    ("po-t-2", "SENT", "500.00", LATE_SENT_AT, None),
                    ("po-t-3", "RECEIVED", "700.00", LATE_SENT_AT, _at("2021-03-05")),
                ),
                start=1,
            )
        ],
    )  # fmt: skip
