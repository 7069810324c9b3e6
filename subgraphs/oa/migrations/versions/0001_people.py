"""People: departments and employees.

Revision ID: 0001
Revises: none
"""

import sqlalchemy as sa
from alembic import op

from tandem_shared.timestamps import AwareDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oa_departments",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("parent_id", sa.String(64), nullable=True),
        sa.Column("manager_id", sa.String(64), nullable=True),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oa_departments"),
        sa.UniqueConstraint("code", name="uq_oa_departments_code"),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["oa_departments.id"], name="fk_oa_departments_parent_id_oa_departments"
        ),
    )
    op.create_table(
        "oa_employees",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("employee_no", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("department_id", sa.String(64), nullable=False),
        sa.Column("manager_id", sa.String(64), nullable=True),
        sa.Column("phone", sa.String(64), nullable=True),
        sa.Column("id_card_number", sa.Text(), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oa_employees"),
        sa.UniqueConstraint("employee_no", name="uq_oa_employees_employee_no"),
        sa.UniqueConstraint("email", name="uq_oa_employees_email"),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["oa_departments.id"],
            name="fk_oa_employees_department_id_oa_departments",
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["oa_employees.id"], name="fk_oa_employees_manager_id_oa_employees"
        ),
    )
    op.create_index("ix_oa_employees_department_id", "oa_employees", ["department_id"])
    # departments and employees refer to each other: the second key comes after both tables
    # (a batch operation, so SQLite, which cannot add a constraint in place, rebuilds the table)
    with op.batch_alter_table("oa_departments") as batch:
        batch.create_foreign_key(
            "fk_oa_departments_manager_id_oa_employees", "oa_employees", ["manager_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("oa_departments") as batch:
        batch.drop_constraint("fk_oa_departments_manager_id_oa_employees", type_="foreignkey")
    op.drop_index("ix_oa_employees_department_id", table_name="oa_employees")
    op.drop_table("oa_employees")
    op.drop_table("oa_departments")
