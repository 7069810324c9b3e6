"""The OA subgraph: people, internal mail, announcements, documents, approvals, meetings.

A Federation 2 subgraph (``Employee``, ``Department`` and ``ApprovalRequest`` are entities)
served by its own process: ``python -m subgraphs.oa --port 4201``; ``python -m subgraphs.oa
seed`` loads the demo company. Layers, each importing only the ones below it:

``app`` (ASGI app, lifespan) -> ``schema`` -> ``resolvers/`` (thin: arguments in, store call,
GraphQL type out) -> ``types/`` (GraphQL types, field resolvers via ``loaders``) ->
``store/`` (SQLAlchemy models, rules and queries; no GraphQL) -> ``subgraphs.common``.
Tables are named ``oa_*`` and the migration history lives in ``oa_alembic_version``, so the
OA and ERP subgraphs may share one database.
"""

from typing import Final

__all__ = ["DEFAULT_PORT", "MIGRATIONS", "NAME", "VERSION_TABLE"]

NAME: Final = "oa"
"""The subgraph's name: its token audience and its settings prefix (``TANDEM_OA_...``)."""

DEFAULT_PORT: Final = 4201
MIGRATIONS: Final = "subgraphs.oa.migrations"
VERSION_TABLE: Final = "oa_alembic_version"
