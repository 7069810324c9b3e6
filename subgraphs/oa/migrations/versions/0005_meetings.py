"""Meetings: rooms, meetings (one room each, no double booking) and attendees.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from tandem_shared.timestamps import AwareDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "oa_meeting_rooms",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("equipment", sa.JSON(), nullable=False),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oa_meeting_rooms"),
        sa.UniqueConstraint("name", name="uq_oa_meeting_rooms_name"),
    )
    op.create_table(
        "oa_meetings",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=True),
        sa.Column("organizer_id", sa.String(64), nullable=False),
        sa.Column("room_id", sa.String(64), nullable=False),
        sa.Column("starts_at", AwareDateTime(), nullable=False),
        sa.Column("ends_at", AwareDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("minutes_recorded_at", AwareDateTime(), nullable=True),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oa_meetings"),
        _fk("oa_meetings", "organizer_id", "oa_employees"),
        _fk("oa_meetings", "room_id", "oa_meeting_rooms"),
    )
    op.create_index("ix_oa_meetings_organizer_id", "oa_meetings", ["organizer_id"])
    op.create_index("ix_oa_meetings_room_id_starts_at", "oa_meetings", ["room_id", "starts_at"])
    op.create_table(
        "oa_meeting_attendees",
        sa.Column("meeting_id", sa.String(64), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", "employee_id", name="pk_oa_meeting_attendees"),
        _fk("oa_meeting_attendees", "meeting_id", "oa_meetings"),
        _fk("oa_meeting_attendees", "employee_id", "oa_employees"),
    )
    op.create_index("ix_oa_meeting_attendees_employee_id", "oa_meeting_attendees", ["employee_id"])


def downgrade() -> None:
    op.drop_table("oa_meeting_attendees")
    op.drop_table("oa_meetings")
    op.drop_table("oa_meeting_rooms")
