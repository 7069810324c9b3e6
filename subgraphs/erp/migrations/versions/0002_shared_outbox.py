"""Move the ERP's outbox to the shared format of subgraphs.common.events; add its inbox.

``erp_outbox`` is recreated as :func:`create_outbox_table` makes it (relay bookkeeping:
attempts, receipts), and ``erp_processed_events`` records which events ERP consumers
applied (:func:`subgraphs.common.events.inbox.handle_once`). Unpublished rows of the old
table are carried over.
"""

import json
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from subgraphs.common.events.inbox import create_processed_events_table
from subgraphs.common.events.outbox import create_outbox_table, drop_outbox_table, outbox_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OUTBOX = "erp_outbox"
PROCESSED_EVENTS = "erp_processed_events"


def upgrade() -> None:
    connection = op.get_bind()
    old = sa.table(
        OUTBOX,
        sa.column("seq", sa.Integer()),
        sa.column("topic", sa.String()),
        sa.column("key", sa.String()),
        sa.column("payload", sa.JSON()),
        sa.column("published_at", sa.String()),
    )
    pending = connection.execute(
        sa.select(old.c.topic, old.c.key, old.c.payload)
        .where(old.c.published_at.is_(None))
        .order_by(old.c.seq)
    ).all()
    op.drop_table(OUTBOX)
    create_outbox_table(op, OUTBOX)
    create_processed_events_table(op, PROCESSED_EVENTS)
    now = datetime.now(UTC)
    for topic, key, payload in pending:
        connection.execute(
            sa.insert(outbox_table(OUTBOX)).values(
                id=uuid.uuid4(),
                topic=topic,
                key=key,
                payload=json.loads(payload) if isinstance(payload, str) else payload,
                created_at=now,
                attempts=0,
                next_attempt_at=now,
                confirmed_by=[],
            )
        )


def downgrade() -> None:
    op.drop_table(PROCESSED_EVENTS)
    drop_outbox_table(op, OUTBOX)
