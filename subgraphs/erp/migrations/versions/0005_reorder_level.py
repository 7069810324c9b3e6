"""Items get a reorder level: the available quantity (on hand, not reserved, every warehouse)
below which the item is to be ordered again; NULL for an item not managed so.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("erp_items") as batch:
        batch.add_column(sa.Column("reorder_level", sa.Integer(), nullable=True))
        batch.create_check_constraint("reorder_level", "reorder_level >= 0")


def downgrade() -> None:
    with op.batch_alter_table("erp_items") as batch:
        batch.drop_constraint("ck_erp_items_reorder_level", type_="check")
        batch.drop_column("reorder_level")
