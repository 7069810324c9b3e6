# mypy: disable-error-code="untyped-decorator"
"""``Employee`` and ``Department``: the entities other subgraphs extend (``@key(fields: "id")``)."""

from __future__ import annotations

from typing import Any, Self

import strawberry
from strawberry.types import Info

from subgraphs.common.crypto_schema import Encrypted
from subgraphs.common.pagination import Connection
from subgraphs.oa.context import loaders
from subgraphs.oa.store import models

__all__ = ["Department", "Employee", "EmployeeConnection", "EmployeeFilter", "employee_or_none"]


@strawberry.federation.type(keys=["id"], description="A person employed by the company.")
class Employee:
    id: strawberry.ID
    employee_no: str = strawberry.field(description="The employee number: EMP-000123.")
    name: str
    email: str
    title: str
    phone: str | None = strawberry.field(
        description="Shown in plaintext, masked or not at all by policy at the gateway.",
        directives=[Encrypted(mask="LAST4")],
    )
    id_card_number: str | None = strawberry.field(
        description="The national ID card number; encrypted at rest, shown by policy.",
        directives=[Encrypted(mask="LAST4")],
    )
    roles: list[str] = strawberry.field(
        description="Roles the company's identity provider grants (what tokens will carry)."
    )
    active: bool = strawberry.field(
        description="False once HR deactivated them: they can no longer sign in or approve."
    )
    department_id: strawberry.Private[str]
    manager_id: strawberry.Private[str | None]

    @strawberry.field
    async def department(self, info: Info[Any, Any]) -> Department:
        department = await loaders(info).department.load(self.department_id)
        assert department is not None, self.department_id  # a foreign key
        return Department.from_row(department)

    @strawberry.field(description="The line manager, if any.")
    async def manager(self, info: Info[Any, Any]) -> Employee | None:
        if self.manager_id is None:
            return None
        return employee_or_none(await loaders(info).employee.load(self.manager_id))

    @strawberry.field(description="Who reports to this employee directly.")
    async def direct_reports(self, info: Info[Any, Any]) -> list[Employee]:
        return [Employee.from_row(row) for row in await loaders(info).reports.load(str(self.id))]

    @classmethod
    def from_row(cls, row: models.Employee) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            employee_no=row.employee_no,
            name=row.name,
            email=row.email,
            title=row.title,
            phone=row.phone,
            id_card_number=row.id_card_number,
            roles=list(row.roles),
            active=bool(row.active),
            department_id=row.department_id,
            manager_id=row.manager_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Self | None:
        row = await loaders(info).employee.load(str(id))
        return None if row is None else cls.from_row(row)


@strawberry.federation.type(keys=["id"], description="An organisational unit of the company.")
class Department:
    id: strawberry.ID
    code: str
    name: str
    active: bool = strawberry.field(description="False once HR deactivated it.")
    parent_id: strawberry.Private[str | None]
    manager_id: strawberry.Private[str | None]

    @strawberry.field(description="The department this one belongs to; null at the top.")
    async def parent(self, info: Info[Any, Any]) -> Department | None:
        if self.parent_id is None:
            return None
        row = await loaders(info).department.load(self.parent_id)
        return None if row is None else Department.from_row(row)

    @strawberry.field
    async def manager(self, info: Info[Any, Any]) -> Employee | None:
        if self.manager_id is None:
            return None
        return employee_or_none(await loaders(info).employee.load(self.manager_id))

    @strawberry.field(
        description="Active members, by employee number (page with employees(filter:))."
    )
    async def members(self, info: Info[Any, Any]) -> list[Employee]:
        return [Employee.from_row(row) for row in await loaders(info).members.load(str(self.id))]

    @classmethod
    def from_row(cls, row: models.Department) -> Self:
        return cls(
            id=strawberry.ID(row.id),
            code=row.code,
            name=row.name,
            active=bool(row.active),
            parent_id=row.parent_id,
            manager_id=row.manager_id,
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Self | None:
        row = await loaders(info).department.load(str(id))
        return None if row is None else cls.from_row(row)


@strawberry.input(description="Conditions on employees; every one given must hold.")
class EmployeeFilter:
    department_id: strawberry.ID | None = None
    manager_id: strawberry.ID | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of a name, e-mail address or employee number."
    )


EmployeeConnection = Connection[Employee]


def employee_or_none(row: models.Employee | None) -> Employee | None:
    """The GraphQL employee of ``row``, or None."""
    return None if row is None else Employee.from_row(row)
