"""Approvals: flows and their steps, requests with items, steps and history; the event
outbox (``oa_outbox``) and inbox (``oa_processed_events``) of ``subgraphs.common.events``.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from subgraphs.common.events.inbox import create_processed_events_table
from subgraphs.common.events.outbox import create_outbox_table, drop_outbox_table
from subgraphs.common.money import DecimalAmount
from tandem_shared.timestamps import AwareDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "oa_approval_flows",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("defined_by", sa.String(64), nullable=True),
        sa.Column("defined_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oa_approval_flows"),
        sa.UniqueConstraint("kind", "version", name="uq_oa_approval_flows_kind_version"),
        _fk("oa_approval_flows", "defined_by", "oa_employees"),
    )
    op.create_table(
        "oa_approval_flow_steps",
        sa.Column("flow_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("role", sa.String(40), nullable=True),
        sa.Column("employee_id", sa.String(64), nullable=True),
        sa.Column("min_amount", DecimalAmount(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.PrimaryKeyConstraint("flow_id", "position", name="pk_oa_approval_flow_steps"),
        _fk("oa_approval_flow_steps", "flow_id", "oa_approval_flows"),
        _fk("oa_approval_flow_steps", "employee_id", "oa_employees"),
    )
    op.create_table(
        "oa_approval_requests",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("applicant_id", sa.String(64), nullable=False),
        sa.Column("department_id", sa.String(64), nullable=False),
        sa.Column("flow_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("current_step", sa.Integer(), nullable=True),
        sa.Column("amount", DecimalAmount(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("budget_period", sa.String(6), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("submitted_at", AwareDateTime(), nullable=False),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
        sa.Column("decided_at", AwareDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oa_approval_requests"),
        _fk("oa_approval_requests", "applicant_id", "oa_employees"),
        _fk("oa_approval_requests", "department_id", "oa_departments"),
        _fk("oa_approval_requests", "flow_id", "oa_approval_flows"),
    )
    op.create_index(
        "ix_oa_approval_requests_applicant_id_submitted_at",
        "oa_approval_requests",
        ["applicant_id", "submitted_at"],
    )
    op.create_index(
        "ix_oa_approval_requests_status_submitted_at",
        "oa_approval_requests",
        ["status", "submitted_at"],
    )
    op.create_table(
        "oa_approval_request_items",
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("description", sa.String(200), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", DecimalAmount(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("supplier_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("request_id", "position", name="pk_oa_approval_request_items"),
        _fk("oa_approval_request_items", "request_id", "oa_approval_requests"),
    )
    op.create_table(
        "oa_approval_steps",
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("role", sa.String(40), nullable=True),
        sa.Column("assignee_id", sa.String(64), nullable=True),
        sa.Column("min_amount", DecimalAmount(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", AwareDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("request_id", "position", name="pk_oa_approval_steps"),
        _fk("oa_approval_steps", "request_id", "oa_approval_requests"),
        _fk("oa_approval_steps", "assignee_id", "oa_employees"),
        _fk("oa_approval_steps", "decided_by", "oa_employees"),
    )
    op.create_index(
        "ix_oa_approval_steps_assignee_id_status", "oa_approval_steps", ["assignee_id", "status"]
    )
    op.create_table(
        "oa_approval_actions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("to_employee_id", sa.String(64), nullable=True),
        sa.Column("at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_oa_approval_actions"),
        _fk("oa_approval_actions", "request_id", "oa_approval_requests"),
        _fk("oa_approval_actions", "actor_id", "oa_employees"),
        _fk("oa_approval_actions", "to_employee_id", "oa_employees"),
    )
    op.create_index("ix_oa_approval_actions_request_id", "oa_approval_actions", ["request_id"])
    create_outbox_table(op, "oa_outbox")
    create_processed_events_table(op, "oa_processed_events")


def downgrade() -> None:
    op.drop_table("oa_processed_events")
    drop_outbox_table(op, "oa_outbox")
    op.drop_table("oa_approval_actions")
    op.drop_table("oa_approval_steps")
    op.drop_table("oa_approval_request_items")
    op.drop_table("oa_approval_requests")
    op.drop_table("oa_approval_flow_steps")
    op.drop_table("oa_approval_flows")
