"""Events the ERP publishes, written to its outbox (``erp_outbox``) in the business transaction.

The one module that knows where events go: the shared transactional outbox of
``subgraphs.common.events`` with the ERP's own table. Topics and payloads:

==========================  ==================================================================
``erp.purchase_order.created``  ``{requestId, orderNo, applicantId, purchaseOrderId,
                                budgetExceeded}``: a purchase order for an approved request
``erp.goods.received``      ``{orderNo, applicantId, requestId, purchaseOrderId, warehouseId}``:
                                goods of an order arrived (notify the applicant)
``erp.expense.posted``      ``{requestId, entryNo, applicantId}``: an expense claim is booked
==========================  ==================================================================

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
    "OUTBOX_TABLE",
    "PROCESSED_EVENTS_TABLE",
    "PURCHASE_ORDER_CREATED",
    "events_with_key",
    "record_event",
]

PURCHASE_ORDER_CREATED: Final = "erp.purchase_order.created"
GOODS_RECEIVED: Final = "erp.goods.received"
EXPENSE_POSTED: Final = "erp.expense.posted"
OUTBOX_TABLE: Final = "erp_outbox"
"""The ERP's outbox, in the shared format (relayed by ``subgraphs.common.events``)."""
PROCESSED_EVENTS_TABLE: Final = "erp_processed_events"
"""Where ERP consumers record the events they applied (``handle_once``)."""


async def record_event(session: AsyncSession, topic: str, key: str, payload: dict[str, Any]) -> str:
    """Add an event to the outbox; it exists only if the caller's transaction commits."""
    return await add_event(session, topic, key, payload, table=OUTBOX_TABLE)


async def events_with_key(session: AsyncSession, key: str) -> Sequence[OutboxEvent]:
    """The outbox rows of one aggregate (a request id, an order number), oldest first."""
    table = outbox_table(OUTBOX_TABLE)
    statement = select(table).where(table.c.key == key).order_by(table.c.created_at)
    return [OutboxEvent.from_row(row) for row in (await session.execute(statement)).all()]
