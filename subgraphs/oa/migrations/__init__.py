"""The OA subgraph's Alembic revisions (``versions/``), applied by ``upgrade_to_head``."""
