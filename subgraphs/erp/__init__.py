"""The ERP subgraph: finance, procurement, inventory, sales and production (DOMAIN.md).

Layout: ``store/`` (SQLAlchemy models and the business rules, usable without GraphQL, e.g.
by an event consumer), ``api/`` (strawberry types and thin resolvers, one module per area),
``schema.py`` (the Federation 2 schema), ``app.py`` (the ASGI app), ``migrations/``
(Alembic revisions), ``seed.py`` (idempotent demo data). Run it with
``python -m subgraphs.erp --port 4202``; ``python -m subgraphs.erp seed`` loads demo data.
"""

__all__ = ["NAME"]

NAME = "erp"
"""The subgraph's name: its audience in gateway tokens and its settings prefix (``TANDEM_ERP_``)."""
