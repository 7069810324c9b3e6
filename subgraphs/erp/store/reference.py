"""The ERP's reference data for OA's submit-time checks, published as events (issue 16, item 5).

OA refuses a purchase request naming an unknown item or supplier, or exceeding its
department's available budget, when it is submitted. The rule "no subgraph calls another"
(``subgraphs/README.md``) means OA cannot ask the ERP then: the ERP tells OA instead. Each
change of an item, a supplier or a budget records an event with the row's state *after* the
change, in the change's transaction; OA keeps the latest state per key as a read-only copy.

==========================  ================================================================
topic                       payload (the state now; ``asOf``: when, ISO 8601 UTC)
==========================  ================================================================
``erp.item.changed``        ``{sku, name, asOf}``
``erp.supplier.changed``    ``{supplierId, name, asOf}``
``erp.budget.changed``      ``{departmentId, period, currency, amount, committed, spent,
                            asOf}``; amounts are decimal strings
==========================  ================================================================

A budget's events follow its row lock, so a later ``asOf`` is a later state; OA keeps the
state with the latest ``asOf``. :func:`publish_snapshot` publishes every row once, for data
older than the events (the demo seed calls it, and ``python -m subgraphs.erp reference
snapshot`` does for a database upgraded from before).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.money import format_amount
from subgraphs.erp.store import events
from subgraphs.erp.store.models import Budget, Item, Supplier
from tandem_shared.timestamps import format_datetime, utc_now

__all__ = [
    "BUDGET_CHANGED",
    "ITEM_CHANGED",
    "SUPPLIER_CHANGED",
    "TOPICS",
    "budget_changed",
    "item_changed",
    "publish_snapshot",
    "supplier_changed",
]

ITEM_CHANGED: Final = "erp.item.changed"
SUPPLIER_CHANGED: Final = "erp.supplier.changed"
BUDGET_CHANGED: Final = "erp.budget.changed"
TOPICS: Final = (ITEM_CHANGED, SUPPLIER_CHANGED, BUDGET_CHANGED)


async def item_changed(session: AsyncSession, item: Item) -> None:
    """Record ``erp.item.changed`` for ``item`` as it is now."""
    payload = {"sku": item.sku, "name": item.name, "asOf": _now()}
    await events.record_event(session, ITEM_CHANGED, item.sku, payload)


async def supplier_changed(session: AsyncSession, supplier: Supplier) -> None:
    """Record ``erp.supplier.changed`` for ``supplier`` as it is now."""
    payload = {"supplierId": supplier.id, "name": supplier.name, "asOf": _now()}
    await events.record_event(session, SUPPLIER_CHANGED, supplier.id, payload)


async def budget_changed(session: AsyncSession, budget: Budget) -> None:
    """Record ``erp.budget.changed`` for ``budget`` as it is now (call it under the row lock)."""
    payload: dict[str, Any] = {
        "departmentId": budget.department_id,
        "period": budget.period,
        "currency": budget.currency,
        "amount": format_amount(budget.amount, budget.currency),
        "committed": format_amount(budget.committed, budget.currency),
        "spent": format_amount(budget.spent, budget.currency),
        "asOf": _now(),
    }
    key = f"{budget.department_id}:{budget.period}"
    await events.record_event(session, BUDGET_CHANGED, key, payload)


async def publish_snapshot(session: AsyncSession) -> int:
    """Record the changed event of every item, supplier and budget; how many."""
    count = 0
    for item in await session.scalars(select(Item).order_by(Item.sku)):
        await item_changed(session, item)
        count += 1
    for supplier in await session.scalars(select(Supplier).order_by(Supplier.id)):
        await supplier_changed(session, supplier)
        count += 1
    for budget in await session.scalars(select(Budget).order_by(Budget.id)):
        await budget_changed(session, budget)
        count += 1
    return count


def _now() -> str:
    return format_datetime(utc_now())
