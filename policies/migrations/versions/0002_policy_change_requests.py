"""Four-eyes policy changes: change requests, and audit entries of every kind.

A change that grants a sensitive coordinate is stored as a request until a second security
administrator approves it (``gateway/authz/approvals.py``). The audit log gains the entry's
kind (``change``, ``request``, ``approval``, ``rejection``, ``withdrawal``, ``emergency``) and
the request it belongs to; an entry that made no version (a request, a rejection) has none.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from tandem_shared.timestamps import AwareDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_change_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("added", sa.JSON(), nullable=False),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.Column("sensitive", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", AwareDateTime(), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.Column("applied_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_policy_change_requests"),
    )
    op.create_index("ix_policy_change_requests_status", "policy_change_requests", ["status", "id"])
    with op.batch_alter_table("policy_audit") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="change"))
        batch.add_column(sa.Column("request_id", sa.Integer(), nullable=True))
        batch.alter_column("version", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("policy_audit") as batch:
        batch.alter_column("version", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("request_id")
        batch.drop_column("kind")
    op.drop_index("ix_policy_change_requests_status", "policy_change_requests")
    op.drop_table("policy_change_requests")
