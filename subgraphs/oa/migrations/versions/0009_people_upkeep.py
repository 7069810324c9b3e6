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
    with op.batch_alter_table("oa_departments") as batch:
        batch.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("oa_employees") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("oa_employees") as batch:
        batch.drop_column("revision")
    with op.batch_alter_table("oa_departments") as batch:
        batch.drop_column("revision")
        batch.drop_column("active")
