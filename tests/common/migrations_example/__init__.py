"""A throwaway migrations package, shaped as a subgraph's: ``versions/`` of Alembic revisions."""
