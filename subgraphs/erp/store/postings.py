"""The journal entries that goods movements post: receipt (stock and payables), shipment.

Receiving and shipping change what the company owns and owes, so each posts one balanced
entry in the same transaction as the movement (the status transition before it makes each
happen once per order). Accounts follow the chart the expense postings use (Chinese
enterprise standard codes) and are created if missing:

- **goods receipt** (order total, order currency): debit 1405 inventory, credit 2202
  accounts payable (to the supplier);
- **shipment** (order currency): debit 1122 accounts receivable, credit 6001 revenue for
  the order total; debit 6401 cost of goods sold, credit 1405 inventory for the units
  shipped at their items' standard cost (an item sells in its customer's currency, so one
  entry holds all four lines; a cost of zero leaves the cost lines out).

Inventory comes in at the purchase price and leaves at standard cost: the difference (the
purchase price variance) is not posted yet.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.company_time import in_company_zone
from subgraphs.erp.store import finance
from subgraphs.erp.store.models import Item, JournalEntry, PurchaseOrder, SalesOrder
from tandem_shared.timestamps import utc_now

__all__ = [
    "COST_OF_GOODS_ACCOUNT",
    "INVENTORY_ACCOUNT",
    "PAYABLES_ACCOUNT",
    "RECEIVABLES_ACCOUNT",
    "REVENUE_ACCOUNT",
    "post_goods_receipt",
    "post_shipment",
]

Account = tuple[str, str, finance.AccountType]
INVENTORY_ACCOUNT: Final[Account] = ("1405", "Inventory goods", finance.AccountType.ASSET)
PAYABLES_ACCOUNT: Final[Account] = ("2202", "Accounts payable", finance.AccountType.LIABILITY)
RECEIVABLES_ACCOUNT: Final[Account] = ("1122", "Accounts receivable", finance.AccountType.ASSET)
REVENUE_ACCOUNT: Final[Account] = (
    "6001",
    "Revenue from main business",
    finance.AccountType.REVENUE,
)
COST_OF_GOODS_ACCOUNT: Final[Account] = (
    "6401",
    "Cost of main business",
    finance.AccountType.EXPENSE,
)


async def post_goods_receipt(
    session: AsyncSession, order: PurchaseOrder, actor: str
) -> JournalEntry:
    """Inventory up, payable to the supplier up, both by the order's total."""
    await _ensure(session, INVENTORY_ACCOUNT, PAYABLES_ACCOUNT)
    lines = [
        finance.LineSpec(
            INVENTORY_ACCOUNT[0], debit=order.total, memo=f"received {order.order_no}"
        ),
        finance.LineSpec(
            PAYABLES_ACCOUNT[0], credit=order.total, memo=f"supplier {order.supplier_id}"
        ),
    ]
    return await _post(session, f"Goods receipt {order.order_no}", order.currency, lines, actor)


async def post_shipment(session: AsyncSession, order: SalesOrder, actor: str) -> JournalEntry:
    """Receivable and revenue by the order's total; cost of goods and inventory at standard cost."""
    await _ensure(
        session, RECEIVABLES_ACCOUNT, REVENUE_ACCOUNT, COST_OF_GOODS_ACCOUNT, INVENTORY_ACCOUNT
    )
    skus = {line.sku for line in order.lines}
    costs = dict(
        (
            await session.execute(select(Item.sku, Item.standard_cost).where(Item.sku.in_(skus)))
        ).all()
    )
    cost = sum((line.quantity * costs[line.sku] for line in order.lines), Decimal(0))
    lines = [
        finance.LineSpec(
            RECEIVABLES_ACCOUNT[0], debit=order.total, memo=f"customer {order.customer_id}"
        ),
        finance.LineSpec(REVENUE_ACCOUNT[0], credit=order.total, memo=f"shipped {order.order_no}"),
    ]
    if cost > 0:
        lines += [
            finance.LineSpec(COST_OF_GOODS_ACCOUNT[0], debit=cost, memo="at standard cost"),
            finance.LineSpec(INVENTORY_ACCOUNT[0], credit=cost, memo=f"shipped {order.order_no}"),
        ]
    return await _post(session, f"Shipment {order.order_no}", order.currency, lines, actor)


async def _post(
    session: AsyncSession,
    memo: str,
    currency: str,
    lines: list[finance.LineSpec],
    actor: str,
) -> JournalEntry:
    """One balanced entry dated today in the company's zone."""
    return await finance.post_journal_entry(
        session,
        entry_date=in_company_zone(utc_now()).date(),
        memo=memo,
        currency=currency,
        lines=lines,
        actor=actor,
    )


async def _ensure(session: AsyncSession, *accounts: Account) -> None:
    for code, name, kind in accounts:
        await finance.ensure_account(session, code, name, kind)
