# mypy: disable-error-code="untyped-decorator"
"""HR's people mutations: employees and departments created, changed, transferred and
deactivated (the rules: :mod:`subgraphs.oa.store.people_upkeep`)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from subgraphs.oa.context import actor, change
from subgraphs.oa.store import people_upkeep
from subgraphs.oa.types.people import Department, Employee
from subgraphs.oa.types.people_inputs import (
    CreateDepartmentInput,
    CreateEmployeeInput,
    UpdateDepartmentInput,
    UpdateEmployeeInput,
)

__all__ = ["PeopleMutation"]


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(description="Hire: a new active employee (HR).")
    async def create_employee(self, info: Info[Any, Any], input: CreateEmployeeInput) -> Employee:
        spec = people_upkeep.EmployeeSpec(
            name=input.name,
            email=input.email,
            title=input.title,
            department_id=input.department_id,
            manager_id=input.manager_id,
        )
        async with change(info) as session:
            row = await people_upkeep.create_employee(session, actor(info), spec)
        return Employee.from_row(row)

    @strawberry.mutation(description="Change an employee's name, e-mail address or title (HR).")
    async def update_employee(
        self, info: Info[Any, Any], id: strawberry.ID, input: UpdateEmployeeInput
    ) -> Employee:
        changes = people_upkeep.EmployeeChanges(
            name=input.name, email=input.email, title=input.title
        )
        async with change(info) as session:
            row = await people_upkeep.update_employee(session, actor(info), id, changes)
        return Employee.from_row(row)

    @strawberry.mutation(
        description="Move an employee to another department (HR); their manager becomes "
        "`managerId`, else the new department's manager."
    )
    async def transfer_employee(
        self,
        info: Info[Any, Any],
        id: strawberry.ID,
        department_id: strawberry.ID,
        manager_id: strawberry.ID | None = None,
    ) -> Employee:
        async with change(info) as session:
            row = await people_upkeep.transfer_employee(
                session, actor(info), id, department_id, manager_id
            )
        return Employee.from_row(row)

    @strawberry.mutation(
        description="Deactivate an employee (HR): no more sign-in or approvals; their pending "
        "approval steps and direct reports move to their manager."
    )
    async def deactivate_employee(self, info: Info[Any, Any], id: strawberry.ID) -> Employee:
        async with change(info) as session:
            row = await people_upkeep.deactivate_employee(session, actor(info), id)
        return Employee.from_row(row)

    @strawberry.mutation(description="A new department (HR).")
    async def create_department(
        self, info: Info[Any, Any], input: CreateDepartmentInput
    ) -> Department:
        spec = people_upkeep.DepartmentSpec(
            code=input.code, name=input.name, parent_id=input.parent_id, manager_id=input.manager_id
        )
        async with change(info) as session:
            row = await people_upkeep.create_department(session, actor(info), spec)
        return Department.from_row(row)

    @strawberry.mutation(
        description="Rename, re-code, move a department or appoint its manager (HR)."
    )
    async def update_department(
        self, info: Info[Any, Any], id: strawberry.ID, input: UpdateDepartmentInput
    ) -> Department:
        changes = people_upkeep.DepartmentChanges(
            code=input.code, name=input.name, parent_id=input.parent_id, manager_id=input.manager_id
        )
        async with change(info) as session:
            row = await people_upkeep.update_department(session, actor(info), id, changes)
        return Department.from_row(row)

    @strawberry.mutation(
        description="Deactivate a department without active members or sub-departments (HR)."
    )
    async def deactivate_department(self, info: Info[Any, Any], id: strawberry.ID) -> Department:
        async with change(info) as session:
            row = await people_upkeep.deactivate_department(session, actor(info), id)
        return Department.from_row(row)
