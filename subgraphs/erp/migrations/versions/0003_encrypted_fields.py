"""Encrypted fields: supplier bank accounts, customer phones and salaries hold envelopes.

``erp_customers.phone`` and ``erp_employee_salaries.salary`` become ``TEXT`` (an envelope is
~200 characters); a salary's plaintext becomes the JSON of its ``Money``
(``"18000.00 CNY"`` -> ``{"amount": "18000.00", "currency": "CNY"}``). Plain values already
stored are sealed in place with the keyring's active key (:mod:`tandem_shared.crypto_orm`).

Revision ID: 0003
Revises: 0002
"""

import json

from tandem_shared.crypto_orm import EncryptedColumn, seal_in_place

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _money_json(value: str) -> str:
    amount, _, currency = value.partition(" ")
    return json.dumps({"amount": amount, "currency": currency}, separators=(",", ":"))


def upgrade() -> None:
    seal_in_place("erp_suppliers", "bank_account", EncryptedColumn("Supplier", "bankAccount"))
    seal_in_place("erp_customers", "phone", EncryptedColumn("Customer", "phone"), widen=True)
    seal_in_place(
        "erp_employee_salaries",
        "salary",
        EncryptedColumn("Employee", "salary", key="employee_id"),
        widen=True,
        nullable=False,
        transform=_money_json,
    )


def downgrade() -> None:  # pragma: no cover - envelopes stay envelopes
    raise NotImplementedError("sealed values are not turned back into plaintext")
