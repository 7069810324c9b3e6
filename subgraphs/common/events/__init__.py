"""Events between services: exactly one effect per event, nothing lost.

The pieces, in the order an event meets them::

    producer's transaction --add_event--> outbox table (same database, same commit)
    OutboxRelay --publish--> EventBus (Redis Stream per topic | in-process)
    EventConsumer --read--> handle_once: effect + processed_events record, one commit
                  --Receipt--> <outbox>.receipts --> OutboxRelay.confirm: confirmed_at
                  --ack--> the bus forgets the delivery

=================  =========================================================================
module             what it holds
=================  =========================================================================
``outbox``         the outbox table (:func:`create_outbox_table`), :func:`add_event`
``bus``            the :class:`EventBus` protocol, :class:`Event`, :class:`Delivery`,
                   :class:`Receipt`, the errors
``redis_bus``      :class:`RedisStreamBus`: XADD, XREADGROUP, XACK, XAUTOCLAIM
``memory_bus``     :class:`InProcessBus`: the same semantics in memory
``relay``          :class:`OutboxRelay`: publish due rows, re-publish until confirmed
``inbox``          ``processed_events`` (:func:`create_processed_events_table`),
                   :func:`handle_once`
``consumer``       :class:`EventConsumer`: read, handle once, send the receipt, ack
``worker``         :class:`EventWorker` (relay + consumers, start/stop), :func:`open_bus`
``loops``          :class:`Backoff` and the retrying loop the others run in
``feed``           ``OutboxFeed``: the outbox read as a live feed, after a cursor (the
                   subgraphs' GraphQL subscriptions, ``subgraphs/common/live.py``)
=================  =========================================================================

**The guarantee.** An event added with :func:`add_event` exists if and only if the
producer's transaction commits. From then on the outbox row, not the bus, is the record of
what is owed: the relay publishes it, and re-publishes it (after ``redelivery_after``,
doubling up to ``max_redelivery_interval``) until every consumer group declared for its
topic in the relay's ``subscribers`` has sent a receipt, which a group sends only after
the transaction holding the event's effect committed. So no event of a declared topic is
lost whatever the bus loses (Redis restarted without persistence, the AOF's last second,
a trimmed stream, a failover) or whichever process is killed, as long as the producer's
database keeps its commits. Each group applies each event exactly once:
:func:`handle_once` commits the effect together with a ``(group, event id)`` record, so
every further copy (a redelivery after a kill, a claim after the visibility timeout, a
re-publication after a relay crash between publish and mark or after Redis lost data)
finds the record, changes nothing and is only confirmed and acknowledged.
Conditions: the handler changes only the database, through the session it is given (an
e-mail sent from a handler is at-least-once); ``processed_events`` rows are kept while
copies may still arrive (they are never deleted here); events of topics without declared
subscribers are confirmed as soon as the bus accepted them, so they are as durable as the
bus; order is not guaranteed (first publication follows ``created_at``, copies overtake).

Errors::

    EventBusError          the bus refused an operation
     +-- BusUnavailable    the bus cannot be reached now: back off and retry
"""

from subgraphs.common.events.bus import (
    BusUnavailable,
    Delivery,
    Event,
    EventBus,
    EventBusError,
    JSONObject,
    Receipt,
)
from subgraphs.common.events.consumer import EventConsumer, Handler
from subgraphs.common.events.inbox import (
    PROCESSED_EVENTS_TABLE,
    create_processed_events_table,
    handle_once,
)
from subgraphs.common.events.loops import Backoff
from subgraphs.common.events.memory_bus import InProcessBus
from subgraphs.common.events.outbox import add_event, create_outbox_table, outbox_table
from subgraphs.common.events.redis_bus import RedisStreamBus
from subgraphs.common.events.relay import OutboxRelay
from subgraphs.common.events.worker import EventWorker, Subscription, open_bus

__all__ = [
    "PROCESSED_EVENTS_TABLE",
    "Backoff",
    "BusUnavailable",
    "Delivery",
    "Event",
    "EventBus",
    "EventBusError",
    "EventConsumer",
    "EventWorker",
    "Handler",
    "InProcessBus",
    "JSONObject",
    "OutboxRelay",
    "Receipt",
    "RedisStreamBus",
    "Subscription",
    "add_event",
    "create_outbox_table",
    "create_processed_events_table",
    "handle_once",
    "open_bus",
    "outbox_table",
]
