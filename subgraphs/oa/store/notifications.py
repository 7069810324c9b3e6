"""What the OA does with the ERP's events: tell the applicant, once, in their OA inbox.

Handlers for :class:`subgraphs.common.events.EventConsumer` (``(session, event)``, inside
the transaction that records the event as processed in ``oa_processed_events``). Each
message is also delivered at most once per business fact through its ``dedupe_key``, so a
copy of an event under another id changes nothing either. A payload that can never be
applied raises ``BAD_USER_INPUT`` naming the event field (a consumer parks such events).

=============================  ====================================  ========================
topic                          payload used                          message, once per
=============================  ====================================  ========================
``erp.purchase_order.created``  ``requestId, orderNo, applicantId``  approval request
``erp.goods.received``          ``orderNo, applicantId``             event
``erp.expense.posted``          ``requestId, entryNo, applicantId``  approval request
``erp.event.parked``            ``topic, payload.requestId, error``  approval request, and
                                                                     its owners (failures.py)
=============================  ====================================  ========================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.errors import BadUserInput
from subgraphs.common.events.bus import Event
from subgraphs.common.events.consumer import Handler
from subgraphs.oa.store import failures
from subgraphs.oa.store.messages import deliver_system_message

__all__ = [
    "EVENT_PARKED",
    "EXPENSE_POSTED",
    "GOODS_RECEIVED",
    "HANDLERS",
    "PURCHASE_ORDER_CREATED",
    "on_event_parked",
    "on_expense_posted",
    "on_goods_received",
    "on_purchase_order_created",
]

PURCHASE_ORDER_CREATED: Final = "erp.purchase_order.created"
GOODS_RECEIVED: Final = "erp.goods.received"
EXPENSE_POSTED: Final = "erp.expense.posted"
EVENT_PARKED: Final = "erp.event.parked"


async def on_purchase_order_created(session: AsyncSession, event: Event) -> None:
    """The applicant learns the number of the order their approved request became."""
    request_id = _text(event.payload, "requestId")
    order_no = _text(event.payload, "orderNo")
    await deliver_system_message(
        session,
        _text(event.payload, "applicantId"),
        f"Purchase order {order_no} created",
        f"Your approved purchase request {request_id} is now purchase order {order_no}.",
        f"{PURCHASE_ORDER_CREATED}:{request_id}",
    )
    await failures.recovered(session, request_id)


async def on_goods_received(session: AsyncSession, event: Event) -> None:
    """The applicant learns that goods of their order arrived."""
    order_no = _text(event.payload, "orderNo")
    await deliver_system_message(
        session,
        _text(event.payload, "applicantId"),
        f"Goods received for {order_no}",
        f"Goods of purchase order {order_no} have been received into stock.",
        f"{GOODS_RECEIVED}:{event.id}",
    )


async def on_expense_posted(session: AsyncSession, event: Event) -> None:
    """The applicant learns their approved expense claim is booked, and under which entry."""
    request_id = _text(event.payload, "requestId")
    entry_no = _text(event.payload, "entryNo")
    await deliver_system_message(
        session,
        _text(event.payload, "applicantId"),
        f"Expense claim booked as {entry_no}",
        f"Your approved expense claim {request_id} is booked in journal entry {entry_no}.",
        f"{EXPENSE_POSTED}:{request_id}",
    )
    await failures.recovered(session, request_id)


async def on_event_parked(session: AsyncSession, event: Event) -> None:
    """An approval the ERP could not apply: the request fails, its people are told."""
    await failures.mark_failed(session, event.payload)


HANDLERS: Final[Mapping[str, Handler]] = {
    PURCHASE_ORDER_CREATED: on_purchase_order_created,
    GOODS_RECEIVED: on_goods_received,
    EXPENSE_POSTED: on_expense_posted,
    EVENT_PARKED: on_event_parked,
}
"""Topic -> handler, for the OA's event worker."""


def _text(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise BadUserInput(f"The event has no {key}.", field=key)
    return value
