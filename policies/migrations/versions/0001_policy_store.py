"""The policy store: casbin's rule table, policy versions and the audit log.

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
    # The casbin SQLAlchemy adapters' table, column for column.
    op.create_table(
        "casbin_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ptype", sa.String(255), nullable=True),
        *(sa.Column(f"v{i}", sa.String(255), nullable=True) for i in range(6)),
        sa.PrimaryKeyConstraint("id", name="pk_casbin_rule"),
    )
    op.create_table(
        "policy_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("rule_count", sa.Integer(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_policy_versions"),
    )
    op.create_table(
        "policy_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", AwareDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_policy_audit"),
        sa.ForeignKeyConstraint(
            ["version"], ["policy_versions.version"], name="fk_policy_audit_version_policy_versions"
        ),
    )


def downgrade() -> None:
    op.drop_table("policy_audit")
    op.drop_table("policy_versions")
    op.drop_table("casbin_rule")
