"""What the OA and ERP subgraphs share: settings, database, data standards, errors, identity.

Modules: ``settings`` (environment, read once), ``db`` (async SQLAlchemy, Alembic runner),
``standards`` (``money``, ``timestamps``, ``codes``, ``pagination``), ``errors`` (coded
GraphQL errors, masking), ``identity`` (the gateway-signed token: ``keys``, ``tokens``,
the ASGI guard), ``schema`` (the federation schema factory) and ``app`` (the ASGI app
and ``serve``). Import from the module; this package re-exports nothing.
"""

__all__: list[str] = []
