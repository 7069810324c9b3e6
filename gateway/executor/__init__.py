"""Running query plans: transport, execution and shaping of the response."""

from .execute import PlanExecutor
from .shape import Shaper
from .transport import AiohttpTransport, HttpTransport, SubgraphError, SubgraphRequest, Transport

__all__ = [
    "AiohttpTransport",
    "HttpTransport",
    "PlanExecutor",
    "Shaper",
    "SubgraphError",
    "SubgraphRequest",
    "Transport",
]
