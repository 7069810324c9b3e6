"""Budget periods as ``YYYY-MM``, the one period format of both subgraphs (issue 16, item 6).

``oa_approval_requests.budget_period`` widens to 7 characters and every stored ``YYYYMM``
becomes ``YYYY-MM`` (``202611`` -> ``2026-11``).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLE = "oa_approval_requests"


def upgrade() -> None:
    _retype(sa.String(7), "substr({c}, 1, 4) || '-' || substr({c}, 5, 2)", length=6)


def downgrade() -> None:
    _retype(sa.String(6), "substr({c}, 1, 4) || substr({c}, 6, 2)", length=7)


def _retype(type_: sa.String, rewrite: str, *, length: int) -> None:
    """Give ``budget_period`` ``type_`` and rewrite its values of ``length`` characters.

    SQLite cannot alter a column's type: the values move through a new column that takes the
    old one's name (as ``tandem_shared.crypto_orm.seal_in_place`` does).
    """
    bind = op.get_bind()
    column = "budget_period"
    if bind.dialect.name == "sqlite":
        temporary = f"{column}_new"
        op.add_column(TABLE, sa.Column(temporary, type_, nullable=True))
        bind.execute(sa.text(f'UPDATE "{TABLE}" SET "{temporary}" = "{column}"'))
        op.drop_column(TABLE, column)
        op.alter_column(TABLE, temporary, new_column_name=column)
    else:
        op.alter_column(TABLE, column, type_=type_, existing_nullable=True)
    expression = rewrite.format(c=column)
    bind.execute(
        sa.text(f"UPDATE {TABLE} SET {column} = {expression} WHERE length({column}) = {length}")
    )
