"""The audit log of plaintext reads of encrypted fields.

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
        "crypto_plaintext_reads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", AwareDateTime(), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=True),
        sa.Column("coordinate", sa.String(200), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_crypto_plaintext_reads"),
    )
    op.create_index("ix_crypto_plaintext_reads_subject", "crypto_plaintext_reads", ["subject"])
    op.create_index(
        "ix_crypto_plaintext_reads_coordinate_entity",
        "crypto_plaintext_reads",
        ["coordinate", "entity_id"],
    )


def downgrade() -> None:
    op.drop_table("crypto_plaintext_reads")
