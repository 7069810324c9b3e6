"""The fake shop: its outbox, its processed-events records and its orders (the effect)."""

import sqlalchemy as sa
from alembic import op

from subgraphs.common.events.inbox import create_processed_events_table
from subgraphs.common.events.outbox import create_outbox_table, drop_outbox_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_table(op, "shop_outbox")
    create_processed_events_table(op)
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.String(64), nullable=False),  # no unique: duplicates show
        sa.Column("event_id", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("orders")
    op.drop_table("processed_events")
    drop_outbox_table(op, "shop_outbox")
