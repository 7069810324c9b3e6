"""The OA's event worker: relays ``oa_outbox`` to the bus, and applies the ERP's events.

=============================  ===========  ===============================================
topic                          direction    what happens
=============================  ===========  ===============================================
``oa.approval.approved``       published    re-published until the ERP's group ``erp`` has
                                            confirmed it (its purchase order or journal
                                            entry committed)
``oa.employee.changed``        published    HR changed a person or a department; group
``oa.department.changed``                    ``erp`` keeps its copy (people_events.py)
``erp.purchase_order.created``  consumed     group ``oa``: a message to the applicant
``erp.goods.received``                       (:mod:`subgraphs.oa.store.notifications`);
``erp.expense.posted``                       receipts go back to the ERP's relay
``erp.event.parked``           consumed     group ``oa``: an approval the ERP parked fails
                                            (:mod:`subgraphs.oa.store.failures`)
``erp.item.changed``           consumed     group ``oa``: OA's copy of the ERP's items,
``erp.supplier.changed``                     suppliers and budgets, for the checks of a
``erp.budget.changed``                       purchase request at submission
                                            (:mod:`subgraphs.oa.store.erp_copy`)
``oa.event.parked``            published    dead letters: an ERP event the OA can never
                                            apply (e.g. it names no known employee)
=============================  ===========  ===============================================

The bus is Redis streams when ``TANDEM_REDIS_URL`` is set, else in-process: then only
consumers in this process see the OA's events, which is what ``tandem dev`` arranges (OA and
ERP in one process on one bus); a lone OA keeps them unconfirmed in ``oa_outbox``,
re-published at a growing interval, until a consumer confirms them. Options
(``TANDEM_EVENTS_*``) and parking: :mod:`subgraphs.common.service_events`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.events import EventBus, EventWorker, Subscription
from subgraphs.common.service_events import EventOptions, parked_topic, parking
from subgraphs.common.service_events import running_worker as _running_worker
from subgraphs.common.settings import SubgraphSettings
from subgraphs.oa import NAME
from subgraphs.oa.store import erp_copy
from subgraphs.oa.store.events import APPROVAL_APPROVED
from subgraphs.oa.store.models import INBOX_TABLE, OUTBOX_TABLE
from subgraphs.oa.store.notifications import HANDLERS
from subgraphs.oa.store.people_events import DEPARTMENT_CHANGED, EMPLOYEE_CHANGED

__all__ = ["ERP_GROUP", "GROUP", "PARKED", "build_worker", "running_worker"]

GROUP: Final = "oa"
"""The OA's consumer group (and its name in ``oa_processed_events``)."""
ERP_GROUP: Final = "erp"
"""The group that must confirm every ``oa.approval.approved``."""
PARKED: Final = parked_topic(NAME)
"""``oa.event.parked``: where the OA records the events it can never apply."""


def build_worker(
    sessions: async_sessionmaker[AsyncSession], bus: EventBus, options: EventOptions
) -> EventWorker:
    """The OA's relay (``oa_outbox``) and consumers (one per topic it handles), not started."""
    subscriptions = [
        Subscription(topic, GROUP, parking(handler, service=NAME, group=GROUP, outbox=OUTBOX_TABLE))
        for topic, handler in {**HANDLERS, **erp_copy.HANDLERS}.items()
    ]
    return EventWorker.for_service(
        sessions,
        bus,
        outbox_table=OUTBOX_TABLE,
        subscribers={
            APPROVAL_APPROVED: [ERP_GROUP],
            EMPLOYEE_CHANGED: [ERP_GROUP],
            DEPARTMENT_CHANGED: [ERP_GROUP],
        },
        subscriptions=subscriptions,
        name=options.consumer,
        inbox_table=INBOX_TABLE,
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
    """The OA's worker, running, on ``bus`` (shared: its owner closes it) or on the bus the
    settings name; stopped on exit."""
    async with _running_worker(
        NAME, build_worker, sessions, settings, bus=bus, environ=environ
    ) as worker:
        yield worker
