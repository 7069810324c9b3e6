"""GraphQL subscriptions: clients over WebSocket (``graphql-transport-ws``), Server-Sent
Events (``graphql-sse``) and multipart HTTP (Apollo's), the owning subgraph's subscription over
``graphql-transport-ws``, each event completed by the query plan (``run.py``)."""

from .limits import SubscriptionLimit, SubscriptionLimits
from .streaming import StreamingEndpoint, framing_of
from .websocket import WebSocketEndpoint

__all__ = [
    "StreamingEndpoint",
    "SubscriptionLimit",
    "SubscriptionLimits",
    "WebSocketEndpoint",
    "framing_of",
]
