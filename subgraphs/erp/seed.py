"""Demo data for the ERP: ``python -m subgraphs.erp seed``, or ``TANDEM_ERP_SEED=1`` on start.

Idempotent: each part (chart of accounts, catalogue, customers, orders) is skipped when its
first record exists, budgets and salaries are simply set again, and everything is written
in one transaction. Ids match OA's demo company: departments ``dept-01``..``dept-08``,
employees ``emp-001``..``emp-050``.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.codes import CUSTOMER, next_code
from subgraphs.common.settings import load_settings
from subgraphs.erp import NAME
from subgraphs.erp.store import finance, inventory, procurement, production, reference, sales
from subgraphs.erp.store.base import add_months, current_period, period_bounds
from subgraphs.erp.store.finance import AccountType
from subgraphs.erp.store.models import Asset, Customer, Item, Supplier, Warehouse
from tandem_shared.db import create_engine, create_session_factory, transaction
from tandem_shared.timestamps import utc_now

__all__ = ["DEPARTMENTS", "EMPLOYEES", "main", "seed_demo_data"]

DEPARTMENTS: Final = [f"dept-{n:02d}" for n in range(1, 9)]
EMPLOYEES: Final = [f"emp-{n:03d}" for n in range(1, 51)]
ACTOR: Final = "system:seed"
CNY: Final = "CNY"

ACCOUNTS: Final = [
    ("1001", "Cash on hand", AccountType.ASSET),
    ("1002", "Bank deposits", AccountType.ASSET),
    ("1122", "Accounts receivable", AccountType.ASSET),
    ("1403", "Raw materials", AccountType.ASSET),
    ("1405", "Finished goods", AccountType.ASSET),
    ("1601", "Fixed assets", AccountType.ASSET),
    ("1602", "Accumulated depreciation", AccountType.ASSET),
    ("2202", "Accounts payable", AccountType.LIABILITY),
    ("2211", "Salaries payable", AccountType.LIABILITY),
    ("2221", "Taxes payable", AccountType.LIABILITY),
    ("2241", "Other payables", AccountType.LIABILITY),
    ("4001", "Paid-in capital", AccountType.EQUITY),
    ("4104", "Retained earnings", AccountType.EQUITY),
    ("6001", "Sales revenue", AccountType.REVENUE),
    ("6051", "Other revenue", AccountType.REVENUE),
    ("6401", "Cost of goods sold", AccountType.EXPENSE),
    ("6601", "Selling expenses", AccountType.EXPENSE),
    ("6602", "Administrative expenses", AccountType.EXPENSE),
    ("6603", "Financial expenses", AccountType.EXPENSE),
    ("6711", "Non-operating expenses", AccountType.EXPENSE),
]
WAREHOUSES: Final = [
    ("wh-sh", "SH", "Shanghai central warehouse", "Shanghai, Pudong"),
    ("wh-bj", "BJ", "Beijing warehouse", "Beijing, Daxing"),
    ("wh-sz", "SZ", "Shenzhen warehouse", "Shenzhen, Bao'an"),
]
SUPPLIERS: Final = [
    ("sup-01", "Huadong Steel Co.", "Zhang Wei", "021-5555-0101", "6222 0210 0000 0101", 5),
    ("sup-02", "Pearl River Electronics", "Li Na", "020-5555-0102", "6222 0200 0000 0102", 4),
    ("sup-03", "Jingcheng Office Supplies", "Wang Fang", "010-5555-0103", "6222 0100 0000 0103", 3),
    ("sup-04", "Yangtze Plastics", "Chen Jie", "027-5555-0104", "6222 0270 0000 0104", 4),
    ("sup-05", "Northern Packaging", "Liu Yang", "024-5555-0105", "6222 0240 0000 0105", 3),
    ("sup-06", "Westlake IT Services", "Zhao Min", "0571-5555-0106", "6222 0571 0000 0106", 5),
]
CATEGORIES: Final = [
    # (category, unit, cost, price, supplier, count)
    ("raw materials", "kg", "12.50", "18.00", "sup-01", 10),
    ("components", "pcs", "35.00", "52.00", "sup-02", 10),
    ("packaging", "pcs", "1.20", "2.00", "sup-05", 6),
    ("office supplies", "box", "25.00", "39.00", "sup-03", 8),
    ("finished goods", "set", "0.00", "899.00", "sup-04", 6),
]
REORDER_LEVELS: Final = {"raw materials": 150, "components": 120, "packaging": 60}
"""Available units below which an item of the category is to be ordered again."""
CUSTOMERS: Final = [
    ("cus-01", "Shanghai Metro Retail", "021-6666-0001", "200000.00"),
    ("cus-02", "Beijing Smart Home Ltd.", "010-6666-0002", "150000.00"),
    ("cus-03", "Guangzhou Trading Co.", "020-6666-0003", "80000.00"),
    ("cus-04", "Chengdu Electronics Mart", "028-6666-0004", "50000.00"),
    ("cus-05", "Hangzhou Online Store", "0571-6666-0005", "120000.00"),
    ("cus-06", "Wuhan Office Direct", "027-6666-0006", "30000.00"),
]


async def seed_demo_data(session: AsyncSession) -> None:
    """Load the demo company's ERP data into ``session``'s transaction (idempotent)."""
    for code, name, kind in ACCOUNTS:
        await finance.ensure_account(session, code, name, kind)
    period = current_period()
    for index, department in enumerate(DEPARTMENTS):
        amount = Decimal(60000 + 15000 * index)
        for month in (period, add_months(period, 1)):
            await finance.set_budget(session, department, month, amount, CNY)
    for index, employee in enumerate(EMPLOYEES):
        if await finance.get_salary(session, employee) is not None:
            continue  # sealed: writing it again would only make a new envelope of the same value
        salary = Decimal(8000 + (index * 733) % 22000)
        await finance.set_salary(session, employee, salary, CNY)
    if await session.get(Supplier, SUPPLIERS[0][0]) is None:
        await _catalogue(session)
        await reference.publish_snapshot(session)  # OA's copy for its submit-time checks
    if await session.get(Customer, CUSTOMERS[0][0]) is None:
        await _customers_and_orders(session)


async def _catalogue(session: AsyncSession) -> None:
    now = utc_now()
    for id, name, contact, phone, bank, rating in SUPPLIERS:
        session.add(Supplier(id=id, name=name, contact=contact, phone=phone, bank_account=bank,
                             rating=rating, created_at=now))  # fmt: skip
    for id, code, name, location in WAREHOUSES:
        session.add(Warehouse(id=id, code=code, name=name, location=location))
    await session.flush()
    number = 0
    for category, unit, cost, price, supplier, count in CATEGORIES:
        for n in range(count):
            number += 1
            sku = f"SKU-{number:04d}"
            standard = Decimal(cost) + Decimal(n) if category != "finished goods" else Decimal(0)
            session.add(Item(sku=sku, name=f"{category.title()} #{n + 1}", unit=unit,
                             category=category, currency=CNY, standard_cost=standard,
                             list_price=Decimal(price) + Decimal(n * 2),
                             preferred_supplier_id=supplier,
                             reorder_level=REORDER_LEVELS.get(category)))  # fmt: skip
    await session.flush()
    for index in range(1, number + 1):
        sku = f"SKU-{index:04d}"
        for offset, (warehouse, *_) in enumerate(WAREHOUSES):
            if (index + offset) % 3 == 2:
                continue  # not every item in every warehouse
            await inventory.move_stock(session, sku=sku, warehouse_id=warehouse,
                                       quantity=50 + (index * 7 + offset * 11) % 150,
                                       kind=inventory.MovementKind.ADJUSTMENT, actor=ACTOR,
                                       reason="opening stock")  # fmt: skip
    for product, components in (
        ("SKU-0035", [("SKU-0001", 3), ("SKU-0011", 4), ("SKU-0021", 1)]),
        ("SKU-0036", [("SKU-0002", 2), ("SKU-0012", 6), ("SKU-0022", 1)]),
        ("SKU-0037", [("SKU-0003", 5), ("SKU-0013", 2), ("SKU-0023", 2)]),
        ("SKU-0038", [("SKU-0004", 1), ("SKU-0014", 8), ("SKU-0024", 1)]),
    ):
        await production.set_bom(session, product_sku=product, components=components,
                                 labour_hours=Decimal("2.5"), labour_rate=Decimal("45.00"),
                                 currency=CNY)  # fmt: skip
    assets = [
        ("ast-01", "Forklift", "vehicles", "180000.00", "18000.00", 96, "dept-05"),
        ("ast-02", "Laptops (batch of 20)", "IT equipment", "160000.00", "0.00", 36, "dept-03"),
        ("ast-03", "CNC milling machine", "machinery", "520000.00", "20000.00", 120, "dept-06"),
    ]
    acquired = date.today().replace(day=1) - timedelta(days=400)
    for id, name, category, cost, salvage, life, department in assets:
        session.add(Asset(id=id, name=name, category=category, currency=CNY,
                          cost=Decimal(cost), salvage_value=Decimal(salvage),
                          acquisition_date=acquired, useful_life_months=life,
                          department_id=department, created_at=now))  # fmt: skip
    await session.flush()


async def _customers_and_orders(session: AsyncSession) -> None:
    now = utc_now()
    for id, name, phone, limit in CUSTOMERS:
        session.add(Customer(id=id, customer_no=await next_code(session, CUSTOMER), name=name,
                             phone=phone, currency=CNY, credit_limit=Decimal(limit),
                             created_at=now))  # fmt: skip
    await session.flush()
    period = current_period()
    for back in range(6, 0, -1):  # six months of history for summaries and forecasts
        start, _ = period_bounds(add_months(period, -back))
        for index, (customer, *_) in enumerate(CUSTOMERS[:4]):
            lines = [sales.SalesLineSpec("SKU-0035", 2 + back % 3 + index),
                     sales.SalesLineSpec(f"SKU-00{25 + index}", 5 + index)]  # fmt: skip
            order = await sales.create_sales_order(
                session, customer_id=customer, lines=lines, warehouse_id=None, actor=ACTOR,
                at=start + timedelta(days=3 + index * 5, hours=10),
            )  # fmt: skip
            await sales.ship_sales_order(session, order.id, ACTOR)
            await sales.close_sales_order(session, order.id)
    await sales.create_sales_order(
        session, customer_id="cus-05", lines=[sales.SalesLineSpec("SKU-0036", 3)],
        warehouse_id=None, actor=ACTOR,
    )  # fmt: skip
    purchases = [
        ("sup-01", [("SKU-0001", 200, "12.50"), ("SKU-0002", 100, "13.50")], "dept-06", "emp-031"),
        ("sup-02", [("SKU-0011", 50, "35.00")], "dept-06", "emp-032"),
        ("sup-03", [("SKU-0027", 20, "25.00")], "dept-02", "emp-012"),
        ("sup-06", [("SKU-0030", 10, "32.00")], "dept-03", "emp-018"),
    ]
    created = []
    for supplier, wanted, department, applicant in purchases:
        purchase, _ = await procurement.create_purchase_order(
            session, supplier_id=supplier, currency=CNY, actor=ACTOR, requested_by=applicant,
            lines=[procurement.OrderLineSpec(sku, n, Decimal(price)) for sku, n, price in wanted],
            department_id=department, budget_period=period,
        )  # fmt: skip
        created.append(purchase)
    await procurement.send_purchase_order(session, created[0].id)
    await procurement.send_purchase_order(session, created[1].id)
    await procurement.receive_goods(session, created[1].id, "wh-sh", ACTOR)
    await production.create_production_plan(
        session, name="Assembly plan", period=period, actor=ACTOR,
        lines=[("SKU-0035", 10), ("SKU-0036", 5)],
    )  # fmt: skip
    for entry_day, memo, debit, credit, amount in (
        (1, "Capital contribution", "1002", "4001", "5000000.00"),
        (5, "Office rent", "6602", "1002", "85000.00"),
    ):
        day = period_bounds(period)[0].date() + timedelta(days=entry_day)
        await finance.post_journal_entry(
            session, entry_date=day, memo=memo, currency=CNY, actor=ACTOR,
            lines=[finance.LineSpec(debit, debit=Decimal(amount)),
                   finance.LineSpec(credit, credit=Decimal(amount))],
        )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    """Migrate the database the environment names, then load the demo data into it."""
    parser = argparse.ArgumentParser(prog="python -m subgraphs.erp seed", description=__doc__)
    parser.parse_args(argv)
    settings = load_settings(NAME)

    async def run() -> None:
        from subgraphs.erp.app import migrate

        await migrate(settings.database_url)
        engine = create_engine(settings.database_url)
        try:
            async with transaction(create_session_factory(engine)) as session:
                await seed_demo_data(session)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print(f"ERP demo data loaded into {settings.database_url.split('://')[0]} database")
