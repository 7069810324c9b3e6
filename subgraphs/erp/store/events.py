"""Events the ERP publishes, written to its outbox (``erp_outbox``) in the business transaction.

The one module that knows where events go: the shared transactional outbox of
``subgraphs.common.events`` with the ERP's own table. Topics and payloads:

==========================  ==================================================================
``erp.purchase_order.created``  ``{requestId, orderNo, applicantId, purchaseOrderId,
                                budgetExceeded}``: a purchase order for an approved request
``erp.goods.received``      ``{orderNo, applicantId, requestId, purchaseOrderId, warehouseId}``:
                                goods of an order arrived (notify the applicant)
``erp.expense.posted``      ``{requestId, entryNo, applicantId}``: an expense claim is booked
``erp.stock.changed``       ``{sku, warehouseId, change}``: on-hand or reserved stock of an item
                                in a warehouse changed (``change``: a movement kind, RESERVED
                                or RELEASED); key ``stock:<sku>@<warehouse id>``
``erp.purchase_order.status_changed``  ``{purchaseOrderId, orderNo, status, previousStatus,
                                requestedBy}``: an order was created (``previousStatus``
                                null) or moved on; key ``po:<order id>``
==========================  ==================================================================

The last two feed the subgraph's subscriptions (``api/live.py``); no service consumes them
(the relay confirms them once published), and their keys are prefixed so that they never read
as another event's aggregate.

Each row has a unique ``id`` (the event id consumers deduplicate on) and a ``key`` (the
aggregate: a request id or an order number) for ordering per key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.events.outbox import OutboxEvent, add_event, outbox_table

__all__ = [
    "EXPENSE_POSTED",
    "GOODS_RECEIVED",
    "LIVE_TOPICS",
    "OUTBOX_TABLE",
    "PROCESSED_EVENTS_TABLE",
    "PURCHASE_ORDER_CREATED",
    "PURCHASE_ORDER_STATUS_CHANGED",
    "STOCK_CHANGED",
    "events_with_key",
    "purchase_order_status_changed",
    "record_event",
    "stock_changed",
]

PURCHASE_ORDER_CREATED: Final = "erp.purchase_order.created"
GOODS_RECEIVED: Final = "erp.goods.received"
EXPENSE_POSTED: Final = "erp.expense.posted"
STOCK_CHANGED: Final = "erp.stock.changed"
PURCHASE_ORDER_STATUS_CHANGED: Final = "erp.purchase_order.status_changed"
LIVE_TOPICS: Final = frozenset({STOCK_CHANGED, PURCHASE_ORDER_STATUS_CHANGED})
"""The topics the ERP's subscriptions follow."""
OUTBOX_TABLE: Final = "erp_outbox"
"""The ERP's outbox, in the shared format (relayed by ``subgraphs.common.events``)."""
PROCESSED_EVENTS_TABLE: Final = "erp_processed_events"
"""Where ERP consumers record the events they applied (``handle_once``)."""


async def record_event(session: AsyncSession, topic: str, key: str, payload: dict[str, Any]) -> str:
    """Add an event to the outbox; it exists only if the caller's transaction commits."""
    return await add_event(session, topic, key, payload, table=OUTBOX_TABLE)


async def stock_changed(session: AsyncSession, sku: str, warehouse_id: str, change: str) -> str:
    """Record ``erp.stock.changed`` (module docstring)."""
    payload = {"sku": sku, "warehouseId": warehouse_id, "change": change}
    return await record_event(session, STOCK_CHANGED, f"stock:{sku}@{warehouse_id}", payload)


async def purchase_order_status_changed(
    session: AsyncSession,
    *,
    order_id: str,
    order_no: str,
    status: str,
    previous: str | None,
    requested_by: str | None,
) -> str:
    """Record ``erp.purchase_order.status_changed`` (module docstring)."""
    payload = {
        "purchaseOrderId": order_id,
        "orderNo": order_no,
        "status": status,
        "previousStatus": previous,
        "requestedBy": requested_by,
    }
    return await record_event(session, PURCHASE_ORDER_STATUS_CHANGED, f"po:{order_id}", payload)


async def events_with_key(session: AsyncSession, key: str) -> Sequence[OutboxEvent]:
    """The outbox rows of one aggregate (a request id, an order number), oldest first."""
    table = outbox_table(OUTBOX_TABLE)
    statement = select(table).where(table.c.key == key).order_by(table.c.created_at)
    return [OutboxEvent.from_row(row) for row in (await session.execute(statement)).all()]
