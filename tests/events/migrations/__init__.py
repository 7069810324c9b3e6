"""Migrations of the tests' fake shop: an outbox, the processed-events records, orders."""
