"""What the OA and ERP subgraphs share: settings, data standards, errors, identity guard.

Modules: ``settings`` (environment, read once), ``standards`` (``money``, ``timestamps``,
``codes``, ``pagination``), ``errors`` (coded GraphQL errors, masking), ``identity`` (the
ASGI guard that requires the gateway-signed token), ``schema`` (the federation schema
factory) and ``app`` (the ASGI app and ``serve``). What the gateway shares with them (the
token and its keys, envelopes and the keyring, the database runner) is ``tandem_shared``.
Import from the module; this package re-exports nothing.
"""

__all__: list[str] = []
