"""The plaintext-read audit table's Alembic revisions (``versions/``)."""
