# mypy: disable-error-code="untyped-decorator"
"""Encrypted employee fields: ``employeeByIdCardNumber`` and ``updateEmployeeIdentity``.

The arguments carry plaintext (``@encryptedInput``): the gateway accepts them only as
variables, and lets only callers who may read ``Employee.idCardNumber`` in plaintext search by
it. This subgraph checks their format and stores them sealed; it never reads them back.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from subgraphs.common.crypto_schema import EncryptedInput
from subgraphs.oa.context import actor, change, sessions
from subgraphs.oa.store import identity_fields
from subgraphs.oa.types.people import Employee
from tandem_shared.db import transaction

__all__ = ["IdentityMutation", "IdentityQuery"]

IdCardSearch = Annotated[
    str,
    strawberry.argument(directives=[EncryptedInput(field="Employee.idCardNumber", search=True)]),
]
PhoneInput = Annotated[
    str | None, strawberry.argument(directives=[EncryptedInput(field="Employee.phone")])
]
IdCardInput = Annotated[
    str | None, strawberry.argument(directives=[EncryptedInput(field="Employee.idCardNumber")])
]


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="The active employee with this ID-card number, if any.")
    async def employee_by_id_card_number(
        self, info: Info[Any, Any], id_card_number: IdCardSearch
    ) -> Employee | None:
        actor(info)
        async with transaction(sessions(info)) as session:
            row = await identity_fields.find_by_id_card_number(session, id_card_number)
        return None if row is None else Employee.from_row(row)


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(
        description="Set an employee's phone (HR or the employee) and ID-card number (HR)."
    )
    async def update_employee_identity(
        self,
        info: Info[Any, Any],
        id: strawberry.ID,
        phone: PhoneInput = None,
        id_card_number: IdCardInput = None,
    ) -> Employee:
        async with change(info) as session:
            row = await identity_fields.set_identity_fields(
                session, actor(info), str(id), phone=phone, id_card_number=id_card_number
            )
        return Employee.from_row(row)
