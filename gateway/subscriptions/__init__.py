"""GraphQL subscriptions: clients over WebSocket (``graphql-transport-ws``) and Server-Sent
Events (``graphql-sse``), the owning subgraph's subscription over ``graphql-transport-ws``,
each event completed by the query plan (``run.py``)."""

from .limits import SubscriptionLimit, SubscriptionLimits
from .sse import SSEEndpoint, wants_event_stream
from .websocket import WebSocketEndpoint

__all__ = [
    "SSEEndpoint",
    "SubscriptionLimit",
    "SubscriptionLimits",
    "WebSocketEndpoint",
    "wants_event_stream",
]
