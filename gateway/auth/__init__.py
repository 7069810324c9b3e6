"""Who a request acts for, and the identity the gateway vouches for to each subgraph."""

from .dev_identity import DevIdentity
from .subgraph_tokens import SubgraphTokens, load_gateway_key

__all__ = ["DevIdentity", "SubgraphTokens", "load_gateway_key"]
