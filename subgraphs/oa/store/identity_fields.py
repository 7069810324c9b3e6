"""An employee's encrypted fields: setting phone and ID-card number, finding by ID-card number.

The values are checked (:mod:`subgraphs.common.crypto_formats`) and assigned in plain; the
flush seals them (:mod:`tandem_shared.crypto_orm`), so the database only ever holds
envelopes. Finding by ID-card number compares the blind index, never a plaintext.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.crypto_formats import cn_resident_id, phone_number
from subgraphs.common.errors import Forbidden
from subgraphs.oa.store.models import Employee
from subgraphs.oa.store.people import Actor, require_employee
from tandem_shared.crypto import index_form
from tandem_shared.crypto_orm import field_keys

__all__ = ["ID_CARD_COORDINATE", "find_by_id_card_number", "set_identity_fields"]

ID_CARD_COORDINATE: Final = "Employee.idCardNumber"


async def set_identity_fields(
    session: AsyncSession,
    actor: Actor,
    employee_id: str,
    *,
    phone: str | None = None,
    id_card_number: str | None = None,
) -> Employee:
    """Change an employee's phone (HR, or the employee themself) and ID-card number (HR)."""
    employee = await require_employee(session, employee_id, field="id")
    hr = actor.has_role("hr")
    if phone is not None:
        if not hr and actor.employee_id != employee.id:
            raise Forbidden("Only HR or the employee may change a phone number.")
        employee.phone = phone_number(phone, "phone")
    if id_card_number is not None:
        if not hr:
            raise Forbidden("Only HR may change an ID card number.")
        employee.id_card_number = cn_resident_id(id_card_number, "idCardNumber")
    await session.flush()
    return employee


async def find_by_id_card_number(session: AsyncSession, value: str) -> Employee | None:
    """The active employee whose ID-card number is ``value`` (through the blind index)."""
    token = field_keys().index.token(ID_CARD_COORDINATE, index_form(value))
    statement = select(Employee).where(
        Employee.id_card_number_bidx == token, Employee.active.is_(True)
    )
    return (await session.execute(statement)).scalars().first()
