"""Documents: versions (content, size, SHA-256), tags and shares.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from tandem_shared.timestamps import AwareDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "oa_documents",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("folder", sa.String(500), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oa_documents"),
        _fk("oa_documents", "owner_id", "oa_employees"),
    )
    op.create_index("ix_oa_documents_owner_id", "oa_documents", ["owner_id"])
    op.create_table(
        "oa_document_tags",
        sa.Column("document_id", sa.String(64), nullable=False),
        sa.Column("tag", sa.String(50), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "tag", name="pk_oa_document_tags"),
        _fk("oa_document_tags", "document_id", "oa_documents"),
    )
    op.create_index("ix_oa_document_tags_tag", "oa_document_tags", ["tag"])
    op.create_table(
        "oa_document_versions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("document_id", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oa_document_versions"),
        sa.UniqueConstraint(
            "document_id", "number", name="uq_oa_document_versions_document_id_number"
        ),
        _fk("oa_document_versions", "document_id", "oa_documents"),
        _fk("oa_document_versions", "author_id", "oa_employees"),
    )
    op.create_table(
        "oa_document_shares",
        sa.Column("document_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("permission", sa.String(8), nullable=False),
        sa.Column("shared_by", sa.String(64), nullable=False),
        sa.Column("shared_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "employee_id", name="pk_oa_document_shares"),
        _fk("oa_document_shares", "document_id", "oa_documents"),
        _fk("oa_document_shares", "employee_id", "oa_employees"),
        _fk("oa_document_shares", "shared_by", "oa_employees"),
    )
    op.create_index("ix_oa_document_shares_employee_id", "oa_document_shares", ["employee_id"])


def downgrade() -> None:
    op.drop_table("oa_document_shares")
    op.drop_table("oa_document_versions")
    op.drop_table("oa_document_tags")
    op.drop_table("oa_documents")
