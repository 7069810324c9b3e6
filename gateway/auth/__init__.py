"""Who a request acts for, and the identity the gateway vouches for to each subgraph."""

from .bearer import (
    AuthenticationError,
    AuthenticationUnavailable,
    BearerAuthenticator,
    BearerIdentity,
)
from .dev_identity import DevIdentity
from .identify import Identifier
from .providers import IntegratorClient, ProviderSettings, ProviderSettingsError, load_providers
from .subgraph_tokens import SubgraphTokens, load_gateway_key

__all__ = [
    "AuthenticationError",
    "AuthenticationUnavailable",
    "BearerAuthenticator",
    "BearerIdentity",
    "DevIdentity",
    "Identifier",
    "IntegratorClient",
    "ProviderSettings",
    "ProviderSettingsError",
    "SubgraphTokens",
    "load_gateway_key",
    "load_providers",
]
