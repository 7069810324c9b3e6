"""People upkeep (issue 16, item 4): departments can be deactivated, and every employee and
department carries a ``revision`` that grows with each change HR makes, so that a consumer
of ``oa.employee.changed`` / ``oa.department.changed`` applies a late re-delivery of an
older change never over a newer one.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (SQLite has it): a batch copy of oa_departments would drop the table
    # the employees' foreign keys point at
    true = sa.true()
    op.add_column(
        "oa_departments", sa.Column("active", sa.Boolean(), nullable=False, server_default=true)
    )
    for table in ("oa_departments", "oa_employees"):
        op.add_column(
            table, sa.Column("revision", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("oa_employees") as batch:
        batch.drop_column("revision")
    with op.batch_alter_table("oa_departments") as batch:
        batch.drop_column("revision")
        batch.drop_column("active")
