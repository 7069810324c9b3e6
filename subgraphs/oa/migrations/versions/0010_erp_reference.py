"""The ERP's reference data kept by OA for the checks at submission (issue 16, item 5).

``oa_erp_items``, ``oa_erp_suppliers`` and ``oa_erp_budgets``: the latest state of each
ERP item, supplier and budget that the ERP's ``erp.*.changed`` events announced
(:mod:`subgraphs.oa.store.erp_copy`). Empty until the ERP publishes; the ERP's
``reference snapshot`` command fills them for data older than the events.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from subgraphs.common.money import DecimalAmount
from tandem_shared.timestamps import AwareDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oa_erp_items",
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("as_of", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sku", name="pk_oa_erp_items"),
    )
    op.create_table(
        "oa_erp_suppliers",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("as_of", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oa_erp_suppliers"),
    )
    op.create_table(
        "oa_erp_budgets",
        sa.Column("department_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount", DecimalAmount(), nullable=False),
        sa.Column("committed", DecimalAmount(), nullable=False),
        sa.Column("spent", DecimalAmount(), nullable=False),
        sa.Column("as_of", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("department_id", "period", name="pk_oa_erp_budgets"),
    )


def downgrade() -> None:
    for table in ("oa_erp_budgets", "oa_erp_suppliers", "oa_erp_items"):
        op.drop_table(table)
