"""Events the ERP publishes, written to its outbox (``erp_outbox``) in the business transaction.

The one module that knows where events go, so the ERP can switch to the shared outbox of
``subgraphs.common.events`` by changing only this file. Topics and payloads:

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

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.timestamps import utc_now
from subgraphs.erp.store.base import new_id
from subgraphs.erp.store.models import OutboxEvent

__all__ = [
    "EXPENSE_POSTED",
    "GOODS_RECEIVED",
    "PURCHASE_ORDER_CREATED",
    "mark_published",
    "record_event",
    "unpublished_events",
]

PURCHASE_ORDER_CREATED: Final = "erp.purchase_order.created"
GOODS_RECEIVED: Final = "erp.goods.received"
EXPENSE_POSTED: Final = "erp.expense.posted"


async def record_event(
    session: AsyncSession, topic: str, key: str, payload: dict[str, Any]
) -> OutboxEvent:
    """Add an event to the outbox; it is published only if the caller's transaction commits."""
    event = OutboxEvent(
        id=new_id("evt"), topic=topic, key=key, payload=payload, created_at=utc_now()
    )
    session.add(event)
    await session.flush()
    return event


async def unpublished_events(session: AsyncSession, limit: int = 100) -> Sequence[OutboxEvent]:
    """The oldest events not yet published, in the order they were recorded."""
    statement = (
        select(OutboxEvent)
        .where(OutboxEvent.published_at.is_(None))
        .order_by(OutboxEvent.seq)
        .limit(limit)
    )
    return (await session.scalars(statement)).all()


async def mark_published(session: AsyncSession, ids: Sequence[str]) -> None:
    """Record that the events ``ids`` reached the stream."""
    statement = update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(published_at=utc_now())
    await session.execute(statement)
