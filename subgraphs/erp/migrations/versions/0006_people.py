"""The ERP's copy of OA's people and departments (issue 16, item 4): what the ERP books a
person's costs to and whether they may still act, kept in step by OA's
``oa.employee.changed`` and ``oa.department.changed`` events (OA stays their owner).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from tandem_shared.timestamps import AwareDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erp_departments",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("parent_id", sa.String(64), nullable=True),
        sa.Column("manager_id", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
    )
    op.create_table(
        "erp_people",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("employee_no", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("department_id", sa.String(64), nullable=False),
        sa.Column("manager_id", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
    )
    op.create_index(
        op.f("ix_erp_people_department_id"), "erp_people", ["department_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_erp_people_department_id"), table_name="erp_people")
    op.drop_table("erp_people")
    op.drop_table("erp_departments")
