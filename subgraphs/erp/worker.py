"""The ERP's event worker: applies the OA's approvals, relays ``erp_outbox`` to the bus.

=============================  ===========  ===============================================
topic                          direction    what happens
=============================  ===========  ===============================================
``oa.approval.approved``       consumed     group ``erp``: PURCHASE -> exactly one purchase
                                            order and the budget commitment, EXPENSE -> one
                                            balanced journal entry
                                            (:mod:`subgraphs.erp.store.processes`); the
                                            receipt goes back to the OA's relay
``erp.purchase_order.created``  published    re-published until the OA's group ``oa`` has
``erp.goods.received``                       confirmed it (the applicant's message committed)
``erp.expense.posted``
``erp.item.changed``           published    the state of an item, a supplier or a budget
``erp.supplier.changed``                     after each change, for OA's copy that checks
``erp.budget.changed``                       purchase requests at submission
                                            (:mod:`subgraphs.erp.store.reference`)
``oa.employee.changed``        consumed     group ``erp``: the ERP's copy of OA's people
``oa.department.changed``                    and departments (:mod:`subgraphs.erp.store.people`)
``erp.event.parked``           published    dead letters: an approval the ERP can never
                                            apply (unknown sku or supplier, amounts that do
                                            not add up, another kind); group ``oa`` marks
                                            the request FAILED and tells its people;
                                            ``python -m subgraphs.erp events`` lists,
                                            retries or cancels them
=============================  ===========  ===============================================

The bus is Redis streams when ``TANDEM_REDIS_URL`` is set, else in-process (see
:mod:`subgraphs.oa.worker` and ``tandem dev``). Options (``TANDEM_EVENTS_*``) and parking:
:mod:`subgraphs.common.service_events`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.errors import BadUserInput
from subgraphs.common.events import Event, EventBus, EventWorker, Handler, Subscription
from subgraphs.common.service_events import EventOptions, parked_topic, parking
from subgraphs.common.service_events import running_worker as _running_worker
from subgraphs.common.settings import SubgraphSettings
from subgraphs.erp import NAME
from subgraphs.erp.store import events, reference
from subgraphs.erp.store.people import HANDLERS as PEOPLE_HANDLERS
from subgraphs.erp.store.processes import (
    create_purchase_order_from_request,
    post_expense_from_request,
)

__all__ = [
    "APPROVAL_APPROVED",
    "GROUP",
    "HANDLERS",
    "OA_GROUP",
    "PARKED",
    "build_worker",
    "on_request_approved",
    "running_worker",
]

APPROVAL_APPROVED: Final = "oa.approval.approved"
"""The OA's event for a finally approved PURCHASE or EXPENSE request."""
GROUP: Final = "erp"
"""The ERP's consumer group (and its name in ``erp_processed_events``)."""
OA_GROUP: Final = "oa"
"""The group that must confirm the ERP's order and receipt events."""
PARKED: Final = parked_topic(NAME)
"""``erp.event.parked``: where the ERP records the events it can never apply."""


async def on_request_approved(session: AsyncSession, event: Event) -> None:
    """Apply an approved request, once: its purchase order or its journal entry."""
    kind = event.payload.get("kind")
    if kind == "PURCHASE":
        await create_purchase_order_from_request(session, event.payload)
    elif kind == "EXPENSE":
        await post_expense_from_request(session, event.payload)
    else:
        raise BadUserInput(f"The ERP applies PURCHASE and EXPENSE requests, not {kind!r}.",
                           field="kind")  # fmt: skip


HANDLERS: Final[Mapping[str, Handler]] = {
    APPROVAL_APPROVED: on_request_approved,
    **PEOPLE_HANDLERS,
}
"""Topic -> handler (unwrapped), for the worker and for retrying parked events."""


def build_worker(
    sessions: async_sessionmaker[AsyncSession], bus: EventBus, options: EventOptions
) -> EventWorker:
    """The ERP's consumer of approvals and its relay (``erp_outbox``), not started."""
    handler = parking(on_request_approved, service=NAME, group=GROUP, outbox=events.OUTBOX_TABLE)
    return EventWorker.for_service(
        sessions,
        bus,
        outbox_table=events.OUTBOX_TABLE,
        subscribers={
            events.PURCHASE_ORDER_CREATED: [OA_GROUP],
            events.GOODS_RECEIVED: [OA_GROUP],
            events.EXPENSE_POSTED: [OA_GROUP],
            PARKED: [OA_GROUP],
            **{topic: [OA_GROUP] for topic in reference.TOPICS},
        },
        subscriptions=[
            Subscription(APPROVAL_APPROVED, GROUP, handler),
            *(  # OA's people: the ERP's copy (subgraphs/erp/store/people.py)
                Subscription(
                    topic,
                    GROUP,
                    parking(each, service=NAME, group=GROUP, outbox=events.OUTBOX_TABLE),
                )
                for topic, each in PEOPLE_HANDLERS.items()
            ),
        ],
        name=options.consumer,
        inbox_table=events.PROCESSED_EVENTS_TABLE,
        **options.relay_options(),
    )


@asynccontextmanager
async def running_worker(
    sessions: async_sessionmaker[AsyncSession],
    settings: SubgraphSettings,
    *,
    bus: EventBus | None = None,
    environ: Mapping[str, str] | None = None,
) -> AsyncIterator[EventWorker]:
    """The ERP's worker, running, on ``bus`` (shared: its owner closes it) or on the bus the
    settings name; stopped on exit."""
    async with _running_worker(
        NAME, build_worker, sessions, settings, bus=bus, environ=environ
    ) as worker:
        yield worker
