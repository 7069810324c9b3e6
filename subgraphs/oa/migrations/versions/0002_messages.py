"""Messages (internal mail) and announcements.

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
        "oa_messages",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("sender_id", sa.String(64), nullable=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", AwareDateTime(), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_oa_messages"),
        sa.UniqueConstraint("dedupe_key", name="uq_oa_messages_dedupe_key"),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["oa_employees.id"], name="fk_oa_messages_sender_id_oa_employees"
        ),
    )
    op.create_table(
        "oa_mailbox",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("folder", sa.String(16), nullable=False),
        sa.Column("read_at", AwareDateTime(), nullable=True),
        sa.Column("sent_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oa_mailbox"),
        sa.UniqueConstraint(
            "message_id", "owner_id", "role", name="uq_oa_mailbox_message_id_owner_id_role"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["oa_messages.id"], name="fk_oa_mailbox_message_id_oa_messages"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["oa_employees.id"], name="fk_oa_mailbox_owner_id_oa_employees"
        ),
    )
    op.create_index("ix_oa_mailbox_message_id", "oa_mailbox", ["message_id"])
    op.create_index(
        "ix_oa_mailbox_owner_id_folder_sent_at", "oa_mailbox", ["owner_id", "folder", "sent_at"]
    )
    op.create_table(
        "oa_announcements",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.String(64), nullable=False),
        sa.Column("published_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oa_announcements"),
        sa.ForeignKeyConstraint(
            ["author_id"], ["oa_employees.id"], name="fk_oa_announcements_author_id_oa_employees"
        ),
    )
    op.create_index("ix_oa_announcements_published_at", "oa_announcements", ["published_at"])
    op.create_table(
        "oa_announcement_audiences",
        sa.Column("announcement_id", sa.String(64), nullable=False),
        sa.Column("department_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint(
            "announcement_id", "department_id", name="pk_oa_announcement_audiences"
        ),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["oa_announcements.id"],
            name="fk_oa_announcement_audiences_announcement_id_oa_announcements",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["oa_departments.id"],
            name="fk_oa_announcement_audiences_department_id_oa_departments",
        ),
    )
    op.create_index(
        "ix_oa_announcement_audiences_department_id",
        "oa_announcement_audiences",
        ["department_id"],
    )


def downgrade() -> None:
    op.drop_table("oa_announcement_audiences")
    op.drop_table("oa_announcements")
    op.drop_table("oa_mailbox")
    op.drop_table("oa_messages")
