"""Create widgets and the business code counters."""

import sqlalchemy as sa
from alembic import op

from subgraphs.common.codes import create_code_counters_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "widgets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
    )
    create_code_counters_table(op)


def downgrade() -> None:
    op.drop_table("business_code_counters")
    op.drop_table("widgets")
