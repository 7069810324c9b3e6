"""The ERP's Alembic revisions (``versions/``), run by ``tandem_shared.db.upgrade_to_head``."""

VERSION_TABLE = "erp_alembic_version"
"""The ERP's own version table, so it may share a database with another subgraph's."""
