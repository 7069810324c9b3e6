# mypy: disable-error-code="untyped-decorator"
"""People: ``me``, ``employee``, ``employees``, ``department``, ``departments``."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from subgraphs.common.errors import NotFound
from subgraphs.common.pagination import Connection
from subgraphs.oa.context import actor, loaders, sessions
from subgraphs.oa.store import people
from subgraphs.oa.store.validation import check_id
from subgraphs.oa.types.people import Department, Employee, EmployeeFilter
from tandem_shared.db import transaction

__all__ = ["PeopleQuery"]


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="The employee the request acts for; null for a non-employee.")
    async def me(self, info: Info[Any, Any]) -> Employee | None:
        row = await loaders(info).employee.load(actor(info).employee_id)
        return None if row is None else Employee.from_row(row)

    @strawberry.field(description="One employee; NOT_FOUND if there is none with this id.")
    async def employee(self, info: Info[Any, Any], id: strawberry.ID) -> Employee | None:
        actor(info)
        row = await loaders(info).employee.load(check_id(id, field="id"))
        if row is None:
            raise NotFound(f"No employee {id}.", extensions={"field": "id", "id": id})
        return Employee.from_row(row)

    @strawberry.field(description="Active employees by employee number, a page at a time.")
    async def employees(
        self,
        info: Info[Any, Any],
        filter: EmployeeFilter | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Employee]:
        actor(info)
        given = filter or EmployeeFilter()
        conditions = people.EmployeeFilter(
            department_id=given.department_id, manager_id=given.manager_id, search=given.search
        )
        async with transaction(sessions(info)) as session:
            page = await people.find_employees(session, conditions, first=first, after=after)
        return page.to_connection(Employee.from_row)

    @strawberry.field(description="One department; NOT_FOUND if there is none with this id.")
    async def department(self, info: Info[Any, Any], id: strawberry.ID) -> Department | None:
        actor(info)
        row = await loaders(info).department.load(check_id(id, field="id"))
        if row is None:
            raise NotFound(f"No department {id}.", extensions={"field": "id", "id": id})
        return Department.from_row(row)

    @strawberry.field(description="Every department, by code (a company has few).")
    async def departments(self, info: Info[Any, Any]) -> list[Department]:
        actor(info)
        async with transaction(sessions(info)) as session:
            rows = await people.departments(session)
        return [Department.from_row(row) for row in rows]
