"""The audit trail: ``erp_audit_log``, one hash-chained record per changed row.

Created as :func:`subgraphs.common.audit.create_audit_table` defines it; rows written before
this revision have no records (the chain starts here).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from subgraphs.common.audit import create_audit_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLE = "erp_audit_log"


def upgrade() -> None:
    create_audit_table(op, TABLE)


def downgrade() -> None:
    op.drop_table(TABLE)
