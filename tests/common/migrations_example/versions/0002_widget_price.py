"""Give widgets a price (an exact amount) and index their names."""

import sqlalchemy as sa
from alembic import op

from subgraphs.common.money import DecimalAmount

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("widgets", sa.Column("price", DecimalAmount(), nullable=True))
    op.create_index("ix_widgets_name", "widgets", ["name"])


def downgrade() -> None:
    op.drop_index("ix_widgets_name", "widgets")
    op.drop_column("widgets", "price")
