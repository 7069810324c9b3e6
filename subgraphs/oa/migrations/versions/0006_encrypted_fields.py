"""Encrypted fields: ``oa_employees.phone`` and ``id_card_number`` hold envelopes.

``phone`` becomes ``TEXT`` (an envelope is ~200 characters); ``id_card_number_bidx`` is the
blind index of ``id_card_number`` (equality search). Plain values already stored are sealed
in place with the keyring's active key (:mod:`tandem_shared.crypto_orm`), so no plaintext
of either column survives the upgrade.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from tandem_shared.crypto_orm import EncryptedColumn, seal_in_place

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLE = "oa_employees"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("id_card_number_bidx", sa.String(64), nullable=True))
    op.create_index("ix_oa_employees_id_card_number_bidx", TABLE, ["id_card_number_bidx"])
    seal_in_place(TABLE, "phone", EncryptedColumn("Employee", "phone"), widen=True)
    seal_in_place(
        TABLE,
        "id_card_number",
        EncryptedColumn("Employee", "idCardNumber", index="id_card_number_bidx"),
    )


def downgrade() -> None:  # pragma: no cover - envelopes stay envelopes
    raise NotImplementedError("sealed values are not turned back into plaintext")
